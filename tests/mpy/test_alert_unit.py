# heapsize: 288K
# The alert unit wired to fakes of the board, outbox and modem: ACK/commands from inbound SMS
# events, relays, STATUS, heartbeat, under-voltage, section validation dispatch.
import asyncio
import sys

import smsgw.alert as alert
from smsgw import clock, events
from smsgw.alert import checks, totp
from smsgw.errors import ConfigError
from waits import until

SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
R1, R2 = "+15550000001", "+15550000002"
_qdir = []


def qdir():
    """The unit's flash folder: a scratch dir of this run (another run may be on the machine)."""
    if not _qdir:
        from fsutil import scratch  # lazily: the heap of the first tests stays as it was

        _qdir.append(scratch("alert_unit"))
    return _qdir[0]


class Board:
    def __init__(self):
        self.levels = {14: 1}
        self.modes = {}
        self.out = {}

    def pin(self, n, mode, pull):
        self.modes[n] = (mode, pull)

    def read_pin(self, n):
        return self.levels[n]

    def write_pin(self, n, v):
        self.out[n] = v

    def read_adc(self, n):
        return 0


class Outbox:
    def __init__(self):
        self.bodies = []
        self.ids = set()
        self.pacer = None

    def submit(self, body):
        if body.get("id") in self.ids:
            return 202, {"id": body["id"]}
        self.ids.add(body.get("id"))
        self.bodies.append(body)
        return 202, {"id": body.get("id") or "x%d" % len(self.bodies)}

    def pending(self):
        return 0

    def texts(self, number=None):
        return [b["textMessage"]["text"] for b in self.bodies
                if number is None or b["phoneNumbers"] == [number]]


class Modem:
    def __init__(self):
        self.status = {"rssi": 21, "reg": 1}
        self.listeners = []

    async def ussd(self, code):
        assert code == b"*101#"
        return 0, "Balance 9.99", 15


class Ctx:
    def __init__(self, cfg):
        self.cfg = cfg
        self.board = Board()
        self.outbox = Outbox()
        self.modem = Modem()
        self.health_checks = {}


def _cfg():
    return {
        "device": {"name": "pump-3"},
        "queue": {"dir": qdir()},
        "rules": [{"name": "door", "pin": 14, "pull": "up", "active": 0, "debounce_ms": 30,
                   "recipients": [R1, R2], "ack_window_s": 300, "cooldown_s": 0}],
        "commands": {"allow": {R1: SECRET}, "balance_ussd": "*101#"},
        "relays": {"1": 25},
        "limits": {"per_minute": 6},
        "heartbeat": {"recipients": [R2], "interval_s": 0},
    }


def _clean():
    import os

    for f in ("alert_state.json", "alert_cmd.json", "alert_day.json"):
        try:
            os.remove(qdir() + "/" + f)
        except OSError:
            pass


def _inbound(number, text):
    events.emit("sms:received", {"phoneNumber": number, "message": text, "messageId": "m"})


async def test_unit_end_to_end_with_fakes():
    _clean()
    ctx = Ctx(_cfg())
    unit = alert.start(ctx)
    try:
        ob = ctx.outbox
        assert "smsgw.alert.commands" not in sys.modules  # loaded per command SMS only
        assert "smsgw.alert.inbound" not in sys.modules  # and the inbound code per SMS
        assert "smsgw.alert.util" not in sys.modules  # their helpers, with them
        assert ob.pacer is unit.pacer and ob.pacer.per_minute == 6
        assert ctx.board.modes[14] == ("in", "up") and ctx.board.out == {25: 0}
        assert ob.texts(R2) == ["pump-3 started"]  # boot message
        ctx.board.levels[14] = 0  # door opens
        await until(lambda: len(ob.texts(R1)) > 0)
        alert_text = ob.texts(R1)[-1]
        assert alert_text.startswith("pump-3: door alert at ") and " Reply ACK " in alert_text
        code = alert_text.rsplit(" ", 1)[1]
        assert ob.bodies[-1]["priority"] >= 100
        assert ctx.health_checks["alert"]()["status"] == "warn"  # unacknowledged alert
        # commands: STATUS with a fresh code, then RELAY; a wrong code does nothing
        t = clock.unix()
        key = totp.b32decode(SECRET)
        n = len(ob.bodies)
        _inbound(R1, "000000 STATUS")
        _inbound(R2, totp.totp(key, t) + " STATUS")  # not on the allow list
        await until(lambda: unit.counters["cmd_unknown_number"] == 1)  # handled in order
        assert len(ob.bodies) == n
        _inbound(R1, totp.totp(key, t - 30) + " STATUS")
        _inbound(R1, totp.totp(key, t) + " relay 1 on")
        _inbound(R1, totp.totp(key, t + 30) + " BALANCE")
        await until(lambda: len(ob.bodies) == n + 3)
        replies = ob.texts(R1)[-3:]
        assert replies[0].startswith("pump-3 up ") and "sig 21 reg 1" in replies[0]
        assert "in door=0" in replies[0] and "last door 20" in replies[0]
        assert "relays 1=OFF" in replies[0]
        assert replies[1] == "RELAY 1 ON" and ctx.board.out[25] == 1
        assert replies[2] == "BALANCE: Balance 9.99"
        assert "smsgw.alert.commands" not in sys.modules  # and forgotten after each
        assert "smsgw.alert.inbound" not in sys.modules
        assert "smsgw.alert.util" not in sys.modules  # also after the alert SMS (alerting)
        # the ACK stops the escalation and is confirmed to the alerted recipient
        _inbound(R1, "ACK " + code)
        await until(lambda: "acknowledged" in ob.texts(R1)[-1])
        assert ob.texts(R1)[-1] == "pump-3: door acknowledged by %s (ACK %s)" % (R1, code)
        assert unit.health()["rules"] == {"door": "acked"}
        assert ctx.health_checks["alert"]()["status"] == "pass"
        assert ctx.health_checks["alert"]()["observedValue"]["cmd_bad_code"] == 1
        # under-voltage URC from the modem: one SMS to the heartbeat recipients
        for fn in ctx.modem.listeners:
            fn("under_voltage", "UNDER-VOLTAGE WARNNING")
            fn("under_voltage", "UNDER-VOLTAGE WARNNING")
        uv = [x for x in ob.texts(R2) if "under-voltage" in x]
        assert uv == ["pump-3: modem supply under-voltage (UNDER-VOLTAGE WARNNING)"]
    finally:
        await unit.stop()
        _clean()
    assert unit.tasks == []


async def test_refused_submit_is_retried_with_same_id():
    _clean()
    cfg = _cfg()
    del cfg["rules"]
    ctx = Ctx(cfg)
    calls = []
    real = ctx.outbox.submit

    def flaky(body):
        calls.append(body.get("id"))
        if len(calls) == 1:
            return 429, {"message": "too many"}
        if len(calls) == 2:  # no heap mid-submission: the retry task lives, tries again
            raise MemoryError("memory allocation failed, allocating 1104 bytes")
        return real(body)

    ctx.outbox.submit = flaky
    from smsgw.alert.unit import Unit

    Unit.retry_ms = 20
    unit = alert.start(ctx)  # the boot message is refused once
    try:
        assert unit.retry and unit.counters["submit_refused"] == 1
        await until(lambda: len(calls) >= 3)
        assert calls[0] == calls[1] == calls[2] and ctx.outbox.texts(R2) == ["pump-3 started"]
        assert not unit.retry and unit.counters["submit_retried"] == 1
        assert all(not t.done() for t in unit.tasks)
    finally:
        Unit.retry_ms = 5000
        await unit.stop()
        _clean()


async def test_under_voltage_without_heap_for_the_heartbeat_is_alerted_later():
    # the warning came while no heap could load alert/heartbeat: the modem's handler counted
    # the MemoryError and the alert was never sent
    from noheap import no_heap_for

    _clean()
    cfg = _cfg()
    del cfg["rules"]
    ctx = Ctx(cfg)
    from smsgw.alert.unit import Unit

    Unit.retry_ms = 20
    unit = alert.start(ctx)
    try:
        with no_heap_for("smsgw.alert", "heartbeat"):
            for fn in ctx.modem.listeners:
                fn("under_voltage", "UNDER-VOLTAGE WARNNING")
            assert unit.uv_later == "UNDER-VOLTAGE WARNNING"  # kept for the retry task
            assert not any("under-voltage" in x for x in ctx.outbox.texts(R2))
        await until(lambda: any("under-voltage" in x for x in ctx.outbox.texts(R2)))
        assert ctx.outbox.texts(R2)[-1] == (
            "pump-3: modem supply under-voltage (UNDER-VOLTAGE WARNNING)")
        assert unit.uv_later is None and all(not t.done() for t in unit.tasks)
    finally:
        Unit.retry_ms = 5000
        await unit.stop()
        _clean()


def test_heartbeat_beat_emits_ping_and_sms():
    from smsgw.alert import heartbeat

    sent, emitted = [], []
    hb = heartbeat.Heartbeat({"sms": True, "recipients": [R1]}, lambda *a: sent.append(a),
                             lambda n, p: emitted.append((n, p)),
                             lambda: {"device": "d", "uptime": "5m00s", "queue": 2, "signal": 20},
                             wall=lambda: 1800000000)
    hb.beat()
    assert emitted[0][0] == "system:ping" and emitted[0][1]["beat"] == 1
    assert sent[0][:2] == (R1, "d alive: up 5m00s, queue 2, signal 20")
    assert hb.state["beats"] == 1
    from smsgw.alert.util import uptime

    assert uptime(3 * 86400 + 4 * 3600 + 5 * 60) == "3d04h05m"
    assert uptime(65) == "1m05s"


def test_a_ping_loads_the_health_code_for_that_beat_only():
    # system:ping carries the /health document: its code (net/health.py, 2.4 KB on 32-bit)
    # is loaded for the beat and forgotten after it; a context it cannot read gives the fields
    from smsgw.alert.unit import Unit

    class _U:
        ctx = Ctx(_cfg())

        def fields(self):
            return {"device": "pump-3"}

    assert "smsgw.net.health" not in sys.modules
    assert Unit._ping_payload(_U()) == {"health": {"device": "pump-3"}}
    assert "smsgw.net.health" not in sys.modules


def _err(value, key):
    try:
        checks.validate(value, key)
    except ConfigError as e:
        return e.key
    return None


def test_validate_dispatches_per_section():
    cfg = _cfg()
    for k in checks.SECTIONS:
        assert _err(cfg[k], k) is None, k
    assert _err({"per_minute": -1}, "limits") == "limits.per_minute"
    assert _err({"interval_s": "1"}, "heartbeat") == "heartbeat.interval_s"
    assert _err({"recipients": ["x"]}, "heartbeat") == "heartbeat.recipients.0"
    assert _err({}, "alarms") == "alarms"
    cfg["rules"][0]["pin"] = 25
    try:
        checks.check_config(cfg)
    except ConfigError as e:
        assert e.key == "rules.0.pin"
    else:
        raise AssertionError("relay pin used as input accepted")


class _SendModem:
    def __init__(self):
        self.sent = []

    async def send_pdu(self, hexpdu, tlen):
        await asyncio.sleep_ms(0)
        self.sent.append(hexpdu)
        return len(self.sent)


async def test_pacer_on_real_outbox_spreads_burst_and_alert_overtakes():
    from fsutil import scratch
    from smsgw.fstree import rmtree
    from smsgw import config
    from smsgw.alert import limits
    from smsgw.queue.outbox import Outbox
    from smsgw.queue.store import Store

    cfg = config.merge(config.DEFAULTS, {"queue": {"backoff_ms": 1}})
    store = Store(scratch("alert_pacer"), cfg["queue"]["max_stored"])
    store.open()
    modem = _SendModem()
    ob = Outbox(store, cfg, modem)
    clock = [0]
    ob.pacer = limits.Pacer({"per_minute": 3}, ticks=lambda: clock[0], clock=lambda: 43200)
    for i in range(7):
        assert ob.submit({"id": "bulk%d" % i, "textMessage": {"text": "bulk %d" % i},
                          "phoneNumbers": ["+15550000009"], "withDeliveryReport": False})[0] == 202
    task = asyncio.create_task(ob.run())
    try:
        await until(lambda: len(modem.sent) >= 3)
        assert len(modem.sent) == 3  # the per-minute cap holds the rest
        clock[0] = 30000
        ob.submit({"id": "alert", "textMessage": {"text": "ALERT"}, "priority": 110,
                   "phoneNumbers": ["+15550000001"], "withDeliveryReport": False})
        await until(lambda: len(modem.sent) >= 4)
        assert len(modem.sent) == 4  # the alert went at once, past the cap
        assert ob.status("alert")["state"] == "Sent"
        assert ob.status("bulk3")["state"] == "Pending"  # held, not dropped
        clock[0] = 60000  # the first three leave the window; the alert (t=30 s) still counts
        ob.wake.set()
        await until(lambda: len(modem.sent) >= 6)
        assert len(modem.sent) == 6
        clock[0] = 180000
        ob.wake.set()
        await until(lambda: len(modem.sent) >= 8)
        assert len(modem.sent) == 8
        for i in range(7):
            assert ob.status("bulk%d" % i)["state"] == "Sent", i
    finally:
        task.cancel()
        try:
            await task
        except BaseException:
            pass
        rmtree(store.root)
