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
# Pure logic: clocks, input reader, sender and randomness are injected. This module samples;
# what a change of state does (the SMS, the escalation, an ACK) is alert/alerting.py's, loaded
# for the change and forgotten after it, so an idle unit carries the sampling only.
from smsgw import call_loaded, clock, forget
from smsgw.clock import ticks_diff, ticks_ms
from smsgw.fsutil import write_json

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
_ACT = "smsgw.alert.alerting"
_UTIL = "smsgw.alert.util"  # alerting's helpers: forgotten with it


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
        self._ticks = ticks or ticks_ms
        self._wall = wall or clock.unix
        self._rand = rand  # None: alerting's, from os.urandom
        self.last_alert = None  # (rule name, wall time) for STATUS
        self.alerts = 0
        self.acks = 0
        self.ack_locked = 0  # ACKs refused: the alert took ACK_TRIES wrong codes
        self._jumped = clock.jumped
        if state_path:  # the states a reboot left: boot's code only (alert/rulestate.py)
            call_loaded("smsgw.alert.rulestate", "load", self)

    def save(self):
        if self._path:
            write_json(self._path, dict((r.name, r.dump()) for r in self.rules))

    def poll(self):
        """Sample every input, apply debounce, run transitions and escalation deadlines."""
        now = self._ticks()
        changed = self._follow_clock()
        act = None
        for r in self.rules:
            v = self._read(r)
            if v is None:
                continue
            r.value = v
            raw = r.is_active(v)
            if raw != r.raw:
                r.raw = raw
                # ticks are small ints on the port; the stubs brand them (_TicksMs)
                r.since = now  # pyright: ignore[reportAttributeAccessIssue]
            if raw != r.active and ticks_diff(now, r.since) >= r.debounce:
                act = act or _act()  # a MemoryError: nothing changed, the next poll sees it
                r.active = raw
                changed = True
                act.on_active(self, r) if raw else act.on_normal(self, r)
        wall = self._wall()
        for r in self.rules:
            # a cooldown over while still active (HELD), or an ACK window over (ALERT)
            if ((r.st == HELD and r.active and (r.last is None or wall - r.last >= r.cooldown))
                    or (r.st == ALERT and wall >= r.deadline)):
                act = act or _act()
                act.escalate(self, r, wall)
                changed = True
        if changed:
            self.save()
        if act is not None:
            forget(_ACT, _UTIL)

    def _follow_clock(self):
        # The clock was set (modem time, NTP: from 2000 to today after a power-on) since the
        # last poll: the wall times of running escalations move with it, so an ACK window
        # keeps its length instead of ending at once.
        j = clock.jumped
        d, self._jumped = j - self._jumped, j
        if not d:
            return False
        for r in self.rules:
            r.deadline += d
            if r.last is not None:
                r.last += d
        return True

    def ack(self, number, code):
        """Handle "ACK <code>" from `number`. Returns the rule acknowledged, or None.

        A wrong code counts against every open alert `number` may acknowledge; one that has
        taken ACK_TRIES wrong codes takes no more (counted in `ack_locked`).
        """
        return self._change("ack", number, code)

    def ack_rule(self, name, by):
        """Acknowledge rule `name` on behalf of `by` (e.g. "the web page"), as a right ACK
        reply would: the caller has authenticated otherwise (the API's password), so the code
        and its wrong-try lock do not apply. Returns the rule, or None when `name` has no open
        alert (KeyError: no such rule)."""
        return self._change("ack_rule", name, by)

    def _change(self, what, *args):
        try:
            return call_loaded(_ACT, what, self, *args)
        finally:
            forget(_UTIL)

    def view(self, r):
        """One rule's state for the API (never its ACK code)."""
        return {"name": r.name, "state": STATE_NAMES[r.st], "input": r.value,
                "active": r.active, "alerted": (r.recipients[: r.step + 1]
                             if r.st in (ALERT, ACKED, DONE) else []),
                "since": r.last, "deadline": r.deadline if r.st == ALERT else None,
                "ackLocked": r.fails >= ACK_TRIES}

    def inputs(self):
        """'door=1 tank=1234' for STATUS."""
        return " ".join("%s=%s" % (r.name, "?" if r.value is None else r.value)
                        for r in self.rules)

    def wanted_poll_ms(self):
        """Sampling period: a few samples per debounce interval, 20..200 ms."""
        d = min([r.debounce for r in self.rules] or [200]) // 3
        return max(20, min(200, d))


def _act():
    # the state changes' code (alert/alerting.py), for one change
    return __import__(_ACT, None, None, ["on_active"])
