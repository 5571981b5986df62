# Input rules: debounced digital inputs and analog thresholds with hysteresis raise an alert SMS
# that escalates down a recipient list until someone answers "ACK <code>".
#
# Per rule: NORMAL -> (input active) -> ALERT (step i: recipient i alerted, deadline) --ack-->
# ACKED; no ack by the deadline -> step i+1, ... -> DONE (list exhausted). The ACK code is
# ACK_DIGITS random digits, new per alert; after ACK_TRIES wrong codes from its recipients an
# alert takes no ACK at all and keeps escalating (a guesser can only make it louder). Input
# back to normal -> NORMAL (and `normal_message` to those alerted). An activation inside
# `cooldown_s` of the last alert -> HELD (no SMS). State lives in a small JSON file written on
# transitions only, so an escalation continues after a power cut; deadlines are wall-clock
# (Unix seconds).
# Pure logic: clocks, input reader, sender and randomness are injected.
from smsgw.alert import util
from smsgw.fsutil import read_json, write_json

NORMAL = 0
ALERT = 1
ACKED = 2
DONE = 3
HELD = 4
STATE_NAMES = ("normal", "alert", "acked", "done", "held")
ACK_DIGITS = 6
ACK_TRIES = 5  # wrong ACK codes an alert takes (one chance in 200,000 to guess it)
ALERT_PRIORITY = 110  # above every other message (outbox: >= 100 goes first, past pacing)
REPLY_PRIORITY = 100
DEFAULT_MESSAGE = "{device}: {name} alert at {time}"


def fill(template, fields):
    """Replace {device} {name} {value} {time} (only those; other braces stay as written)."""
    for k in fields:
        template = template.replace("{" + k + "}", str(fields[k]))
    return template


def parse_ack(text):
    """'ACK 1234' (any case, spaces or a final '.'/'!' around) -> '1234', else None."""
    parts = text.strip().rstrip(".!").split()
    if len(parts) == 2 and parts[0].upper() == "ACK" and parts[1].isdigit():
        return parts[1]
    return None


class Rule:
    def __init__(self, cfg, index):
        self.index = index
        self.name = cfg["name"]
        self.pin = cfg.get("pin")
        self.adc = cfg.get("adc")
        self.pull = cfg.get("pull")
        self.level = cfg.get("active", 1)
        self.threshold = cfg.get("threshold", 0)
        self.hyst = cfg.get("hysteresis", 0)
        self.below = cfg.get("direction", "above") == "below"
        self.debounce = cfg.get("debounce_ms", 50)
        self.message = cfg.get("message", DEFAULT_MESSAGE)
        self.normal_message = cfg.get("normal_message")
        self.recipients = cfg["recipients"]
        self.window = cfg.get("ack_window_s", 300)
        self.cooldown = cfg.get("cooldown_s", 600)
        # runtime
        self.value = None  # last reading (0/1 or the ADC value)
        self.active = False  # debounced
        self.raw = False
        self.since = 0
        self.st = NORMAL
        self.step = 0
        self.code = ""
        self.fails = 0  # wrong ACK codes for this alert
        self.deadline = 0
        self.last = None  # wall time of the last alert sent (start of an escalation)

    def is_active(self, reading):
        """Raw activity of a reading; analog uses hysteresis around the debounced state."""
        if self.adc is None:
            return reading == self.level
        if self.below:
            edge = self.threshold + self.hyst if self.active else self.threshold
            return reading < edge if self.active else reading <= edge
        edge = self.threshold - self.hyst if self.active else self.threshold
        return reading > edge if self.active else reading >= edge

    def dump(self):
        return [self.st, self.step, self.code, self.deadline, self.last, 1 if self.active else 0,
                self.fails]

    def restore(self, rec, now_ms):
        self.st, self.step, self.code, self.deadline, self.last, act = rec[:6]
        self.fails = rec[6] if len(rec) > 6 else 0
        self.active = self.raw = bool(act)
        self.since = now_ms


class Engine:
    """All rules of the unit.

    Args:
        rules_cfg: the validated `rules` list.
        device: the device name for {device}.
        send: send(number, text, msg_id, priority) -> bool (queued); ids are idempotent.
        read: read(rule) -> the current reading (pin level or ADC value).
        state_path: the JSON state file in flash (None: no persistence).
        ticks, wall, rand: injectable clocks (ms monotonic, Unix seconds) and rand() -> int.
    """

    def __init__(self, rules_cfg, device, send, read, state_path=None, ticks=None, wall=None,
                 rand=None):
        self.rules = [Rule(c, i) for i, c in enumerate(rules_cfg)]
        self.device = device
        self._send = send
        self._read = read
        self._path = state_path
        self._ticks = ticks or util.ticks_ms
        self._wall = wall or util.wall
        self._rand = rand or _rand
        self.last_alert = None  # (rule name, wall time) for STATUS
        self.alerts = 0
        self.acks = 0
        self.ack_locked = 0  # ACKs refused: the alert took ACK_TRIES wrong codes
        self._jumped = util.clock.jumped
        self._load()

    def _load(self):
        if not self._path:
            return
        saved = read_json(self._path, {})
        now = self._ticks()
        for r in self.rules:
            rec = saved.get(r.name)
            if rec and len(rec) in (6, 7):  # 6: saved before the ACK attempt count
                r.restore(rec, now)
                # A clock that restarted (no NTP yet) must not stretch a deadline past one window.
                r.deadline = min(r.deadline, self._wall() + r.window)
                if r.last is not None and (self.last_alert is None or r.last > self.last_alert[1]):
                    self.last_alert = (r.name, r.last)

    def save(self):
        if self._path:
            write_json(self._path, dict((r.name, r.dump()) for r in self.rules))

    def poll(self):
        """Sample every input, apply debounce, run transitions and escalation deadlines."""
        now = self._ticks()
        changed = self._follow_clock()
        for r in self.rules:
            v = self._read(r)
            if v is None:
                continue
            r.value = v
            raw = r.is_active(v)
            if raw != r.raw:
                r.raw = raw
                r.since = now
            if raw != r.active and util.ticks_diff(now, r.since) >= r.debounce:
                r.active = raw
                changed = True
                self._on_active(r) if raw else self._on_normal(r)
        changed = self._escalate() or changed
        if changed:
            self.save()

    def _follow_clock(self):
        # The clock was set (modem time, NTP: from 2000 to today after a power-on) since the
        # last poll: the wall times of running escalations move with it, so an ACK window
        # keeps its length instead of ending at once.
        j = util.clock.jumped
        d, self._jumped = j - self._jumped, j
        if not d:
            return False
        for r in self.rules:
            r.deadline += d
            if r.last is not None:
                r.last += d
        return True

    def _fields(self, r, t):
        return {"device": self.device, "name": r.name, "value": r.value,
                "time": util.fmt_time(util.local_seconds(t))}

    def _on_active(self, r):
        now = self._wall()
        if r.last is not None and 0 <= now - r.last < r.cooldown:
            r.st = HELD
            return
        r.code = self._new_code()
        r.fails = 0
        r.st, r.step, r.last, r.deadline = ALERT, 0, now, now + r.window
        self.last_alert = (r.name, now)
        self.alerts += 1
        self._alert(r)

    def _alert(self, r):
        text = fill(r.message, self._fields(r, r.last)) + " Reply ACK %s" % r.code
        self._send(r.recipients[r.step], text, "%s-%d-a%d" % (_rid(r), r.last, r.step),
                   ALERT_PRIORITY)

    def _on_normal(self, r):
        was, r.st = r.st, NORMAL
        if was in (ALERT, ACKED, DONE) and r.normal_message:
            text = fill(r.normal_message, self._fields(r, self._wall()))
            for i in range(min(r.step + 1, len(r.recipients))):
                self._send(r.recipients[i], text, "%s-%d-n%d" % (_rid(r), r.last, i),
                           REPLY_PRIORITY)

    def _escalate(self):
        now = self._wall()
        changed = False
        for r in self.rules:
            if r.st == HELD and r.active and (r.last is None or now - r.last >= r.cooldown):
                r.st = NORMAL  # still active when the cooldown ends: alert now
                self._on_active(r)
                changed = True
                continue
            if r.st != ALERT or now < r.deadline:
                continue
            changed = True
            r.step += 1
            if r.step >= len(r.recipients):
                r.st, r.step = DONE, len(r.recipients) - 1
                continue
            r.deadline = now + r.window
            self._alert(r)
        return changed

    def ack(self, number, code):
        """Handle "ACK <code>" from `number`. Returns the rule acknowledged, or None.

        A wrong code counts against every open alert `number` may acknowledge; one that has
        taken ACK_TRIES wrong codes takes no more (counted in `ack_locked`).
        """
        wrong = []
        for r in self.rules:
            if r.st not in (ALERT, DONE) or number not in r.recipients:
                continue
            if r.fails >= ACK_TRIES:
                self.ack_locked += 1
            elif r.code != code:
                wrong.append(r)
            else:
                return self._acked(r, number, number)
        for r in wrong:
            r.fails += 1
        if wrong:
            self.save()
        return None

    def ack_rule(self, name, by):
        """Acknowledge rule `name` on behalf of `by` (e.g. "the web page"), as a right ACK
        reply would: the caller has authenticated otherwise (the API's password), so the code
        and its wrong-try lock do not apply. Returns the rule, or None when `name` has no open
        alert (KeyError: no such rule)."""
        for r in self.rules:
            if r.name == name:
                return self._acked(r, by, None) if r.st in (ALERT, DONE) else None
        raise KeyError(name)

    def _acked(self, r, by, number):
        # The alert ends; those alerted so far (and an acknowledging `number`) are told who.
        r.st = ACKED
        self.acks += 1
        self.save()
        text = "%s: %s acknowledged by %s (ACK %s)" % (self.device, r.name, by, r.code)
        told = r.recipients[: r.step + 1]
        if number is not None and number not in told:
            told = told + [number]
        for i, n in enumerate(told):
            self._send(n, text, "%s-%d-k%d" % (_rid(r), r.last, i), REPLY_PRIORITY)
        return r

    def view(self, r):
        """One rule's state for the API (never its ACK code)."""
        return {"name": r.name, "state": STATE_NAMES[r.st], "input": r.value,
                "active": r.active, "alerted": (r.recipients[: r.step + 1]
                             if r.st in (ALERT, ACKED, DONE) else []),
                "since": r.last, "deadline": r.deadline if r.st == ALERT else None,
                "ackLocked": r.fails >= ACK_TRIES}

    def _new_code(self):
        while True:
            code = "%06d" % (self._rand() % 1000000)
            if not any(r.code == code and r.st in (ALERT, DONE) for r in self.rules):
                return code

    def inputs(self):
        """'door=1 tank=1234' for STATUS."""
        return " ".join("%s=%s" % (r.name, "?" if r.value is None else r.value)
                        for r in self.rules)

    def wanted_poll_ms(self):
        """Sampling period: a few samples per debounce interval, 20..200 ms."""
        d = min([r.debounce for r in self.rules] or [200]) // 3
        return max(20, min(200, d))


def _rid(r):
    return "al%d" % r.index


def _rand():
    import os

    b = os.urandom(3)  # 24 bits: enough for ACK_DIGITS = 6
    return b[0] << 16 | b[1] << 8 | b[2]
