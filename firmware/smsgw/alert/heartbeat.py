# Heartbeat: a boot message, a periodic "I am alive" (SMS and/or a `system:ping` event other
# features forward), and an alert on the modem's UNDER-VOLTAGE WARNNING (SIMCom's spelling).
# The unit (alert/unit.py) loads this module for each of them and forgets it after: it keeps
# the state (`state`) and the task.
from smsgw.alert import util

DEFAULTS = {
    "boot": True,  # boot message to the recipients
    "interval_s": 86400,  # period of the heartbeat (0: none)
    "sms": False,  # heartbeat as SMS to the recipients (costs money: off unless asked)
    "event": True,  # heartbeat as a system:ping event (webhooks/MQTT forward it)
    "recipients": [],
    "message": "{device} alive: up {uptime}, queue {queue}, signal {signal}",
    "boot_message": "{device} started",
    "under_voltage": True,
    "under_voltage_message": "{device}: modem supply under-voltage ({detail})",
}
UV_MIN_GAP_S = 600  # at most one under-voltage SMS per 10 minutes (the URC repeats)


class Heartbeat:
    """Decides what to send; the unit owns the task and the I/O.

    Args:
        cfg: the `heartbeat` section (DEFAULTS fill the gaps).
        send: send(number, text, msg_id, priority) -> bool.
        emit: emit(name, payload) (smsgw.events.emit).
        fields: fields() -> dict for the templates ({device}, {uptime}, {queue}, {signal}...).
        wall: injectable Unix seconds.
        state: what outlives this object between uses ({"beats", "uv_last"}; a new one when
            None).
    """

    def __init__(self, cfg, send, emit, fields, wall=None, fallback=(), ping=None, state=None):
        self._ping = ping  # ping() -> the system:ping payload (default: the fields)
        self.fallback = list(fallback)  # under-voltage goes here when there are no recipients
        c = dict(DEFAULTS)
        c.update(cfg)
        self.cfg = c
        self._send = send
        self._emit = emit
        self._fields = fields
        self._wall = wall or util.wall
        self.state = {"beats": 0, "uv_last": None} if state is None else state

    def _fill(self, template, extra=None):
        f = self._fields()
        if extra:
            f.update(extra)
        return util.fill(template, f)

    def _to_all(self, text, tag, priority, numbers=None):
        t = self._wall()
        for i, n in enumerate(numbers or self.cfg["recipients"]):
            self._send(n, text, "hb-%s-%d-%d" % (tag, t, i), priority)

    def boot(self):
        if self.cfg["boot"]:
            self._to_all(self._fill(self.cfg["boot_message"]), "b", 100)

    def beat(self):
        """One heartbeat: the event and/or the SMS."""
        st = self.state
        st["beats"] += 1
        if self.cfg["event"]:
            p = self._ping() if self._ping else {"health": self._fields()}
            p["beat"] = st["beats"]
            self._emit("system:ping", p)
        if self.cfg["sms"]:
            self._to_all(self._fill(self.cfg["message"]), "p", 0)

    def on_modem(self, name, detail):
        """modem.listeners hook: alert once per UV_MIN_GAP_S on under-voltage."""
        if name != "under_voltage" or not self.cfg["under_voltage"]:
            return
        now = self._wall()
        last = self.state["uv_last"]
        if last is not None and now - last < UV_MIN_GAP_S:
            return
        self.state["uv_last"] = now
        text = self._fill(self.cfg["under_voltage_message"], {"detail": detail})
        self._to_all(text, "uv", 110, self.cfg["recipients"] or self.fallback)
