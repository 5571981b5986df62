# heapsize: 128K
# Input rules: debounce, analog hysteresis, escalation, ACK, cooldown, persistence (fake clock).
from fsutil import scratch
from smsgw.alert import checks, inbound, rules
from smsgw.errors import ConfigError

R1, R2, R3 = "+15550000001", "+15550000002", "+15550000003"
# a scratch dir of this run: another test run may be on the same machine at the same time
STATE = scratch("rules") + "/state.json"


class World:
    """Injected clocks, inputs and an outbox that records what was sent."""

    def __init__(self):
        self.ms = 0
        self.t = 1800000000
        self.pins = {}
        self.sent = []  # (number, text, id, priority)
        self.codes = [123456, 567890, 432109, 876543]

    def read(self, rule):
        return self.pins.get(rule.pin if rule.adc is None else ("adc", rule.adc))

    def send(self, number, text, msg_id, priority):
        self.sent.append((number, text, msg_id, priority))
        return True

    def rand(self):
        return self.codes.pop(0)

    def engine(self, cfg, path=None):
        return rules.Engine(cfg, "pump-3", self.send, self.read, path,
                            ticks=lambda: self.ms, wall=lambda: self.t, rand=self.rand)

    def run(self, eng, seconds, step_ms=10):
        for _ in range(int(seconds * 1000) // step_ms):
            self.ms += step_ms
            if self.ms % 1000 == 0:
                self.t += 1
            eng.poll()


def door(**kw):
    cfg = {"name": "door", "pin": 14, "pull": "up", "active": 0, "debounce_ms": 50,
           "message": "{device}: {name} opened at {time} ({value})",
           "recipients": [R1, R2, R3], "ack_window_s": 60, "cooldown_s": 600}
    cfg.update(kw)
    return cfg


def test_parse_ack():
    # the unit's inbound SMS code asks before it loads alert/commands for a command SMS
    assert inbound.parse_ack("ACK 1234") == "1234"
    assert inbound.parse_ack(" ack 0042 ") == "0042"
    assert inbound.parse_ack("Ack 0042.") == "0042"
    assert inbound.parse_ack("ACK") is None
    assert inbound.parse_ack("ACK 12 34") is None
    assert inbound.parse_ack("ACKNOWLEDGE 1234") is None


def test_debounce_ignores_glitches_and_alerts_first_recipient():
    w = World()
    w.pins[14] = 1
    e = w.engine([door()])
    w.run(e, 1)
    for _ in range(5):  # 30 ms glitches shorter than the 50 ms debounce
        w.pins[14] = 0
        w.run(e, 0.03)
        w.pins[14] = 1
        w.run(e, 0.03)
    assert w.sent == []
    w.pins[14] = 0
    w.run(e, 0.04)
    assert w.sent == []
    w.run(e, 0.02)
    assert len(w.sent) == 1
    number, text, msg_id, prio = w.sent[0]
    assert number == R1 and prio >= 100
    assert text.startswith("pump-3: door opened at 2027-01-15 08:00:0")
    assert text.endswith("(0) Reply ACK 123456")
    assert e.rules[0].st == rules.ALERT


def test_a_state_change_loads_its_code_for_that_change_only():
    # alert/alerting.py is in the heap for a change and forgotten after it; with no heap for
    # it the change waits, nothing half made, and a later poll makes it
    import sys

    w = World()
    w.pins[14] = 1
    e = w.engine([door()])
    w.run(e, 1)
    assert "smsgw.alert.alerting" not in sys.modules  # sampling only while nothing changes
    w.pins[14] = 0
    real = rules._act

    def no_heap():
        raise MemoryError("memory allocation failed, allocating 1024 bytes")

    rules._act = no_heap
    try:
        for _ in range(10):
            w.ms += 10
            try:
                e.poll()
            except MemoryError:
                pass
    finally:
        rules._act = real
    r = e.rules[0]
    assert w.sent == [] and r.st == rules.NORMAL and not r.active
    w.run(e, 0.01)
    assert len(w.sent) == 1 and r.st == rules.ALERT and r.active
    assert "smsgw.alert.alerting" not in sys.modules
    w.run(e, 61)  # the ACK window ends: the escalation loads it again, for that step
    assert [s[0] for s in w.sent] == [R1, R2]
    assert "smsgw.alert.alerting" not in sys.modules
    assert e.ack(R2, "123456").name == "door" and r.st == rules.ACKED
    assert "smsgw.alert.alerting" not in sys.modules


def test_escalation_goes_down_the_list_until_ack():
    w = World()
    w.pins[14] = 0
    e = w.engine([door()])
    w.run(e, 0.1)
    assert [s[0] for s in w.sent] == [R1]
    w.run(e, 59)
    assert len(w.sent) == 1
    w.run(e, 1.5)
    assert [s[0] for s in w.sent] == [R1, R2]
    assert w.sent[1][1] == w.sent[0][1]  # same alert text, same code
    assert e.ack(R3, "999999") is None  # wrong code
    assert e.ack("+15559999999", "123456") is None  # not a recipient
    assert e.ack(R2, "123456").name == "door"
    confirm = w.sent[2:]
    assert sorted(s[0] for s in confirm) == [R1, R2]
    assert "acknowledged by " + R2 in confirm[0][1]
    w.run(e, 200)
    assert len(w.sent) == 4  # no further escalation
    assert e.rules[0].st == rules.ACKED
    assert e.ack(R2, "123456") is None  # acked once


def test_ack_from_the_api_ends_the_alert_even_when_locked():
    w = World()
    w.pins[14] = 0
    e = w.engine([door()])
    assert e.view(e.rules[0])["state"] == "normal"
    assert e.ack_rule("door", "the web page") is None  # no open alert
    w.run(e, 0.1)
    for _ in range(rules.ACK_TRIES):
        e.ack(R1, "999999")  # wrong codes lock the SMS ACK of this alert
    v = e.view(e.rules[0])
    assert v["state"] == "alert" and v["alerted"] == [R1] and v["ackLocked"] and v["active"]
    assert "123456" not in repr(v)  # the code is the SMS credential: never shown
    assert e.ack_rule("door", "the web page").name == "door"
    assert [s[0] for s in w.sent[1:]] == [R1]  # told, as after an SMS ACK
    assert "door acknowledged by the web page (ACK 123456)" in w.sent[1][1]
    assert e.view(e.rules[0])["state"] == "acked" and e.acks == 1
    try:
        e.ack_rule("nothing", "x")
        raise AssertionError("no KeyError")
    except KeyError:
        pass


def test_clock_set_mid_escalation_keeps_the_ack_window():
    from smsgw import clock

    w = World()
    w.pins[14] = 0
    e = w.engine([door()])
    w.run(e, 0.1)
    assert [s[0] for s in w.sent] == [R1]
    w.run(e, 30)
    jump = 26 * 365 * 86400  # modem time arrives: the RTC leaves 2000 for today
    w.t += jump
    was = clock.jumped
    clock.jumped += jump
    try:
        w.run(e, 20)
        assert [s[0] for s in w.sent] == [R1]  # 50 s of the 60 s window: not escalated yet
        w.run(e, 11)
        assert [s[0] for s in w.sent] == [R1, R2]
    finally:
        clock.jumped = was


def test_exhausted_list_stops_and_late_ack_still_works():
    w = World()
    w.pins[14] = 0
    e = w.engine([door(ack_window_s=5)])
    w.run(e, 30)
    assert [s[0] for s in w.sent] == [R1, R2, R3]
    assert e.rules[0].st == rules.DONE
    assert e.ack(R1, "123456") is not None
    assert e.rules[0].st == rules.ACKED


def test_normal_message_and_cooldown():
    w = World()
    w.pins[14] = 0
    e = w.engine([door(normal_message="{name} closed", cooldown_s=100)])
    w.run(e, 61)  # R1 then R2
    w.pins[14] = 1
    w.run(e, 0.1)
    assert e.rules[0].st == rules.NORMAL
    normal = [s for s in w.sent if s[1] == "door closed"]
    assert sorted(s[0] for s in normal) == [R1, R2]
    n = len(w.sent)
    w.pins[14] = 0  # opens again inside the cooldown: held, no SMS
    w.run(e, 10)
    assert e.rules[0].st == rules.HELD and len(w.sent) == n
    w.pins[14] = 1
    w.run(e, 1)
    assert len(w.sent) == n  # held episodes end quietly
    w.run(e, 40)  # past the cooldown (100 s after the first alert)
    w.pins[14] = 0
    w.run(e, 0.1)
    assert len(w.sent) == n + 1 and w.sent[-1][1].endswith("ACK 567890")


def test_still_active_when_cooldown_ends_alerts():
    w = World()
    w.pins[14] = 0
    e = w.engine([door(cooldown_s=30, ack_window_s=1000)])
    w.run(e, 1)
    e.ack(R1, "123456")
    w.pins[14] = 1
    w.run(e, 1)
    w.pins[14] = 0
    w.run(e, 1)
    assert e.rules[0].st == rules.HELD
    w.run(e, 30)
    assert e.rules[0].st == rules.ALERT and w.sent[-1][1].endswith("ACK 567890")


def test_analog_threshold_with_hysteresis():
    w = World()
    cfg = {"name": "tank", "adc": 34, "threshold": 3000, "hysteresis": 200, "debounce_ms": 0,
           "message": "{name} level {value}", "normal_message": "{name} ok {value}",
           "recipients": [R1], "cooldown_s": 0}
    e = w.engine([cfg])
    for v, want in ((2900, False), (3000, True), (2900, True), (2801, True), (2800, False),
                    (2999, False), (3100, True)):
        w.pins[("adc", 34)] = v
        w.run(e, 0.02)
        assert e.rules[0].active == want, v
    texts = [s[1] for s in w.sent]
    assert texts[0] == "tank level 3000 Reply ACK 123456"
    assert texts[1] == "tank ok 2800"
    assert texts[2].startswith("tank level 3100")


def test_analog_below_direction():
    w = World()
    cfg = {"name": "batt", "adc": 1, "threshold": 100, "hysteresis": 10, "direction": "below",
           "debounce_ms": 0, "recipients": [R1]}
    e = w.engine([cfg])
    for v, want in ((150, False), (100, True), (109, True), (110, False)):
        w.pins[("adc", 1)] = v
        w.run(e, 0.02)
        assert e.rules[0].active == want, v
    assert w.sent[0][1].startswith("pump-3: batt alert at ")


def test_power_cut_mid_escalation_resumes_from_state_file():
    import os

    try:
        os.remove(STATE)
    except OSError:
        pass
    w = World()
    w.pins[14] = 0
    e = w.engine([door()], STATE)
    w.run(e, 1)
    assert [s[0] for s in w.sent] == [R1]
    del e  # power cut: RAM lost, the flash file stays
    w.t += 100  # the outage outlasts the ack window
    w.ms = 0
    e2 = w.engine([door()], STATE)
    assert e2.rules[0].st == rules.ALERT and e2.rules[0].code == "123456"
    w.run(e2, 0.1)
    assert [s[0] for s in w.sent] == [R1, R2]
    # the same message id as before the cut would have had: the outbox dedups a resend
    assert w.sent[1][2].endswith("-a1")
    assert e2.ack(R2, "123456") is not None
    e3 = w.engine([door()], STATE)
    assert e3.rules[0].st == rules.ACKED
    os.remove(STATE)


def test_state_written_on_transitions_only():
    import os

    try:
        os.remove(STATE)
    except OSError:
        pass
    w = World()
    w.pins[14] = 1
    e = w.engine([door()], STATE)
    writes = [0]
    orig = e.save

    def counting():
        writes[0] += 1
        orig()

    e.save = counting
    w.run(e, 5)
    assert writes[0] == 0
    w.pins[14] = 0
    w.run(e, 5)
    assert writes[0] == 1
    os.remove(STATE)


def test_message_ids_unique_per_episode():
    w = World()
    w.pins[14] = 0
    e = w.engine([door(cooldown_s=0, ack_window_s=1000)])
    w.run(e, 1)
    w.pins[14] = 1
    w.run(e, 1)
    w.pins[14] = 0
    w.run(e, 1)
    ids = [s[2] for s in w.sent]
    assert len(ids) == 2 and ids[0] != ids[1]


def test_inputs_summary_and_poll_period():
    w = World()
    w.pins[14] = 1
    e = w.engine([door(), {"name": "tank", "adc": 2, "threshold": 5, "recipients": [R1]}])
    e.poll()
    assert e.inputs() == "door=1 tank=?"
    assert e.wanted_poll_ms() == 20


def _err(value):
    try:
        checks.rules(value, "rules")
    except ConfigError as e:
        return e.key
    return None


def test_validate_names_the_key():
    good = {"name": "door", "pin": 14, "pull": "up", "active": 0, "debounce_ms": 50,
            "message": "{device}: {name} opened at {time}",
            "recipients": ["+15550000001", "+15550000002"], "ack_window_s": 300,
            "cooldown_s": 600}
    assert _err([good]) is None
    assert _err({}) == "rules"
    assert _err([dict(good, pin=99)]) == "rules.0.pin"
    assert _err([dict(good, pull="sideways")]) == "rules.0.pull"
    assert _err([dict(good, recipients=[])]) == "rules.0.recipients"
    assert _err([dict(good, recipients=["5550000001"])]) == "rules.0.recipients.0"
    assert _err([good, dict(good, colour=1)]) == "rules.1.colour"
    assert _err([good, good]) == "rules.1.name"
    assert _err([dict(good, ack_window_s=0)]) == "rules.0.ack_window_s"
    analog = {"name": "t", "adc": 3, "recipients": [R1]}
    assert _err([analog]) == "rules.0.threshold"
    assert _err([dict(analog, threshold=5, pin=3)]) == "rules.0.pin"
    assert _err([dict(analog, threshold=5, direction="up")]) == "rules.0.direction"


def _rm(path):
    import os

    try:
        os.remove(path)
    except OSError:
        pass


def test_ack_codes_are_six_digits_and_an_alert_takes_five_wrong_ones():
    _rm(STATE)
    w = World()
    w.codes = [7]  # a small draw still makes six digits
    w.pins[14] = 0
    e = w.engine([door()], STATE)
    w.run(e, 1)
    assert w.sent[0][1].endswith("Reply ACK 000007")
    assert e.ack(R1, "7") is None  # not the code: a wrong try
    for guess in range(rules.ACK_TRIES - 1):
        assert e.ack(R1, "%06d" % (900000 + guess)) is None
    assert e.rules[0].fails == rules.ACK_TRIES
    # The right code no longer acknowledges it: the alert goes on escalating.
    assert e.ack(R1, "000007") is None and e.ack_locked == 1
    w.run(e, 61)
    assert [s[0] for s in w.sent] == [R1, R2]
    # Kept across a power cut (a reboot gives no new guesses), reset by the next alert.
    e2 = w.engine([door()], STATE)
    assert e2.rules[0].fails == rules.ACK_TRIES and e2.ack(R2, "000007") is None
    # A stranger's wrong codes count for nothing.
    w2 = World()
    w2.pins[14] = 0
    e3 = w2.engine([door()])
    w2.run(e3, 1)
    for _ in range(20):
        assert e3.ack("+15559999999", "000000") is None
    assert e3.rules[0].fails == 0 and e3.ack(R1, "123456").name == "door"
    _rm(STATE)


def test_state_saved_before_the_ack_count_still_loads():
    import json

    with open(STATE, "w") as f:
        f.write(json.dumps({"door": [1, 0, "654321", 1800000600, 1800000000, 1]}))
    w = World()
    e = w.engine([door()], STATE)
    assert e.rules[0].st == rules.ALERT and e.rules[0].fails == 0
    assert e.ack(R1, "654321").name == "door"
    _rm(STATE)
