# What a change of a rule's state does (alert/rules.py's Engine samples, and loads this module
# for a change and forgets it after): the alert SMS and its ACK code, the escalation down the
# recipients, the message when the input is normal again, an ACK and who is told of it.
# Functions of the Engine `e` and one of its rules `r`; the states and priorities are
# rules.py's.
from smsgw import clock
from smsgw.alert import util
from smsgw.alert.rules import (
    ACK_TRIES, ACKED, ALERT, ALERT_PRIORITY, DONE, HELD, NORMAL, REPLY_PRIORITY,
)


def on_active(e, r):
    """The input became active: an alert to the first recipient, or HELD inside the cooldown."""
    now = e._wall()
    if r.last is not None and 0 <= now - r.last < r.cooldown:
        r.st = HELD
        return
    r.code = _new_code(e)
    r.fails = 0
    r.st, r.step, r.last, r.deadline = ALERT, 0, now, now + r.window
    e.last_alert = (r.name, now)
    e.alerts += 1
    _alert(e, r)


def on_normal(e, r):
    """The input is normal again: `normal_message` to those alerted so far."""
    was, r.st = r.st, NORMAL
    if was in (ALERT, ACKED, DONE) and r.normal_message:
        text = util.fill(r.normal_message, _fields(e, r, e._wall()))
        for i in range(min(r.step + 1, len(r.recipients))):
            e._send(r.recipients[i], text, "%s-%d-n%d" % (_rid(r), r.last, i), REPLY_PRIORITY)


def escalate(e, r, now):
    """A deadline of `r` passed (Engine.poll tells which): a cooldown over while the input is
    still active alerts now; an ACK window over alerts the next recipient, or ends (DONE)."""
    if r.st == HELD:
        r.st = NORMAL
        on_active(e, r)
        return
    r.step += 1
    if r.step >= len(r.recipients):
        r.st, r.step = DONE, len(r.recipients) - 1
        return
    r.deadline = now + r.window
    _alert(e, r)


def ack(e, number, code):
    """Engine.ack: the rule acknowledged, or None (a wrong code counted against each open
    alert `number` may acknowledge)."""
    wrong = []
    for r in e.rules:
        if r.st not in (ALERT, DONE) or number not in r.recipients:
            continue
        if r.fails >= ACK_TRIES:
            e.ack_locked += 1
        elif r.code != code:
            wrong.append(r)
        else:
            return _acked(e, r, number, number)
    for r in wrong:
        r.fails += 1
    if wrong:
        e.save()
    return None


def ack_rule(e, name, by):
    """Engine.ack_rule: the rule, or None when `name` has no open alert (KeyError: no such
    rule)."""
    for r in e.rules:
        if r.name == name:
            return _acked(e, r, by, None) if r.st in (ALERT, DONE) else None
    raise KeyError(name)


def _acked(e, r, by, number):
    # The alert ends; those alerted so far (and an acknowledging `number`) are told who.
    r.st = ACKED
    e.acks += 1
    e.save()
    text = "%s: %s acknowledged by %s (ACK %s)" % (e.device, r.name, by, r.code)
    told = r.recipients[: r.step + 1]
    if number is not None and number not in told:
        told = told + [number]
    for i, n in enumerate(told):
        e._send(n, text, "%s-%d-k%d" % (_rid(r), r.last, i), REPLY_PRIORITY)
    return r


def _alert(e, r):
    text = util.fill(r.message, _fields(e, r, r.last)) + " Reply ACK %s" % r.code
    e._send(r.recipients[r.step], text, "%s-%d-a%d" % (_rid(r), r.last, r.step),
            ALERT_PRIORITY)


def _fields(e, r, t):
    return {"device": e.device, "name": r.name, "value": r.value,
            "time": util.fmt_time(clock.local_seconds(t))}


def _new_code(e):
    rand = e._rand or _rand
    while True:
        code = "%06d" % (rand() % 1000000)
        if not any(o.code == code and o.st in (ALERT, DONE) for o in e.rules):
            return code


def _rid(r):
    return "al%d" % r.index


def _rand():
    import os

    b = os.urandom(3)  # 24 bits: enough for ACK_DIGITS = 6
    return b[0] << 16 | b[1] << 8 | b[2]
