# The alert unit wired to the gateway: board inputs/relays, the outbox (alerts, replies, pacer),
# inbound SMS (ACK and commands), the modem (USSD, under-voltage) and the heartbeat.
# Every task is owned here; stop() cancels and awaits them.
import asyncio

from smsgw import call_loaded, forget
from smsgw.clock import ticks_diff, ticks_ms
from smsgw.tasks import cancel_all

from micropython import const

TYPE_CHECKING = const(False)
if TYPE_CHECKING:  # the type checker's view only (tools/typecheck.sh); never runs
    from smsgw.alert.limits import Pacer
    from smsgw.alert.rules import Engine

_INBOX_MAX = const(8)  # inbound SMS waiting for the command task (more are dropped and counted)
_RETRY_MAX = const(16)  # alert SMS the outbox refused for now (429/503), retried with the same id
_RETRY_MS = const(5000)
# the helpers of the modules the unit loads for a use (alert/util.py): forgotten with them
_UTIL = "smsgw.alert.util"


class Unit:
    """Args: ctx with .cfg, .board, .modem, .outbox (attributes may be None)."""

    # What alert/setup.py sets at the start (bare annotations: no code on MicroPython).
    engine: "Engine | None"
    pacer: "Pacer | None"

    retry_ms = _RETRY_MS

    def __init__(self, ctx):
        self.ctx = ctx
        cfg = _cfg(ctx)
        self.cfg = cfg
        self.board = getattr(ctx, "board", None)
        self.modem = getattr(ctx, "modem", None)
        self.outbox = getattr(ctx, "outbox", None)
        self.device = cfg.get("device", {}).get("name", "smsgate")
        d = cfg.get("queue", {}).get("dir", "") or ""
        self.dir = d.rstrip("/")
        self.counters = {"inbound_dropped": 0, "submit_refused": 0, "submit_retried": 0,
                         "alphanumeric_ignored": 0}
        self.tasks = []
        self.inbox = []
        self.inbox_ev = asyncio.Event()
        self.retry = []
        started = getattr(ctx, "started", None)
        self.started_ms = ticks_ms() if started is None else started
        self.pacer = self.engine = None
        # the heartbeat's section, period (s), under-voltage recipients when it has none, and
        # its state between uses: alert/heartbeat.py is loaded for each use only (_heartbeat)
        self.hb_cfg = {}
        self.hb_every = 0
        self.hb_fallback = []
        self.hb_state = {"beats": 0, "uv_last": None}
        self.uv_later = None  # an under-voltage warning no heap could alert on yet (_on_modem)
        self.cmd_tat = {}  # commands.Auth's rate-limit buckets, kept while commands is unloaded
        self.replies = 0  # command replies sent since boot (their ids: cr-<time>-<n>)
        self.relays = cfg.get("relays", {})
        self.relay_on = {}  # relay -> last state commanded (all OFF after a boot)

    # -- building (alert/setup.py: boot's code, forgotten once the unit runs) ----------------
    def start(self):
        call_loaded("smsgw.alert.setup", "start", self)
        forget(_UTIL)  # the config's checks and the start used it
        return self

    def _path(self, name):
        return "%s/%s" % (self.dir, name) if self.dir else name

    def _heartbeat(self, fn, *args):
        # One use of the heartbeat (boot message, beat, under-voltage): its module is loaded
        # for it and forgotten after; returns the period of the beats (s, 0: none)
        from smsgw import events
        from smsgw.alert import heartbeat

        try:
            hb = heartbeat.Heartbeat(self.hb_cfg, self.send, events.emit, self.fields,
                                     fallback=self.hb_fallback, ping=self._ping_payload,
                                     state=self.hb_state)
            getattr(hb, fn)(*args)
            return hb.cfg["interval_s"]
        finally:
            forget("smsgw.alert.heartbeat", _UTIL)

    def _on_modem(self, name, detail):
        # modem.listeners: the heartbeat alerts on under-voltage; with no heap for its code
        # now (MemoryError), the retry task makes the alert a little later
        if name == "under_voltage":
            try:
                self._heartbeat("on_modem", name, detail)
            except MemoryError:
                self.uv_later = detail

    async def stop(self):
        from smsgw import events

        events.unsubscribe(self._on_event)
        await cancel_all(self.tasks, (asyncio.CancelledError, Exception))
        self.tasks = []

    # -- sending -----------------------------------------------------------------------------
    def send(self, number, text, msg_id, priority):
        """Queue one SMS (idempotent by id); refused ones are retried by _retry_task."""
        if self.outbox is None:
            return False
        body = {"id": msg_id, "textMessage": {"text": text}, "phoneNumbers": [number],
                "priority": priority, "withDeliveryReport": False}
        try:
            status, _ = self.outbox.submit(body)
        except MemoryError:  # mid-submission: retried with the same id, as a 503 would be
            status = 503
        if status < 300:
            return True
        self.counters["submit_refused"] += 1
        if len(self.retry) < _RETRY_MAX and status != 400:
            self.retry.append(body)
        return False

    async def _retry_task(self):
        while True:
            await asyncio.sleep_ms(self.retry_ms)
            if self.uv_later is not None:
                detail, self.uv_later = self.uv_later, None
                self._on_modem("under_voltage", detail)
            while self.retry:
                try:
                    status, _ = self.outbox.submit(self.retry[0])
                except MemoryError:  # the next round tries again (the id keeps it once)
                    break
                if status >= 300 and status != 400:
                    break
                self.retry.pop(0)
                self.counters["submit_retried"] += 1

    # -- inputs ------------------------------------------------------------------------------
    def _read(self, rule):
        try:
            if rule.adc is None:
                return self.board.read_pin(rule.pin)
            return self.board.read_adc(rule.adc)
        except (OSError, ValueError):
            return None  # no reading this round; debounce keeps the last state

    async def _rules_task(self):
        period = self.engine.wanted_poll_ms()
        while True:
            try:
                self.engine.poll()
            except (OSError, MemoryError) as e:  # flash write failed, or no heap for a state
                # change's code (nothing changed then: the next poll makes it): log, keep polling
                from smsgw import log

                log.exc("alert rules", e)
            await asyncio.sleep_ms(period)

    # -- inbound SMS: ACK and commands -------------------------------------------------------
    def _on_event(self, name, payload):
        if name != "sms:received":
            return
        if payload.get("senderType") == "alphanumeric":  # may spell an owner's number
            self.counters["alphanumeric_ignored"] += 1
            return
        if len(self.inbox) >= _INBOX_MAX:
            self.counters["inbound_dropped"] += 1
            return
        self.inbox.append((payload.get("phoneNumber", ""), payload.get("message", "")))
        self.inbox_ev.set()

    async def _inbound_task(self):
        while True:
            if not self.inbox:
                self.inbox_ev.clear()
                await self.inbox_ev.wait()
                continue
            number, text = self.inbox.pop(0)
            try:
                from smsgw.alert import inbound  # for this SMS only

                try:
                    await inbound.handle(self, number, text)
                finally:
                    del inbound
                    forget("smsgw.alert.inbound", _UTIL)
            except Exception as e:  # one bad SMS (or no heap for it) must not end the task
                from smsgw import log

                log.exc("alert command", e)

    # -- what commands.Actions and the heartbeat read ---------------------------------------
    def fields(self):
        st = getattr(self.modem, "status", None) or {}
        q = self.outbox.pending() if self.outbox is not None else 0
        return {"device": self.device, "uptime": self._uptime(), "queue": q,
                "signal": st.get("rssi"), "reg": st.get("reg")}

    def _uptime(self):
        # alert/util.py's: STATUS and the heartbeat, which load it too, forget it after them
        from smsgw.alert.util import uptime

        return uptime(ticks_diff(ticks_ms(), self.started_ms) // 1000)

    # -- heartbeat ---------------------------------------------------------------------------
    async def _heartbeat_task(self):
        while True:
            await asyncio.sleep(self.hb_every)
            try:
                self._heartbeat("beat")
            except Exception as e:  # no heap for it now (MemoryError): the next beat comes
                from smsgw import log

                log.exc("heartbeat", e)

    def _ping_payload(self):
        """system:ping carries the gateway's /health document when there is one."""
        try:  # the health code is loaded for the beat only (2.4 KB on 32-bit)
            return call_loaded("smsgw.net.health", "build", self.ctx)
        except (ImportError, AttributeError):
            return {"health": self.fields()}

    def health_check(self):
        """The /health check of the unit: warn while an alert is unacknowledged."""
        h = self.health()
        open_alerts = [n for n, st in h.get("rules", {}).items() if st in ("alert", "done")]
        return {"description": "alert unit: rule states, commands, pacing", "observedUnit":
                "counters", "observedValue": h, "status": "warn" if open_alerts else "pass"}

    def health(self):
        """Counters for /health (commands, alerts, pacing)."""
        h: dict = dict(self.counters)  # then values of other types
        if self.engine is not None:
            h["alerts"] = self.engine.alerts
            h["acks"] = self.engine.acks
            h["rules"] = dict((r.name, _state_name(r.st)) for r in self.engine.rules)
        if self.pacer is not None:
            h["paced"] = self.pacer.held
            h["segments_today"] = self.pacer.day_count
            if self.pacer.quiet_unknown:
                h["quiet_hours_skipped_no_clock"] = self.pacer.quiet_unknown
        return h


def drop_commands():
    # commands + totp (~9 KB of heap) are loaded for one command SMS at a time (handle)
    forget("smsgw.alert.commands", "smsgw.alert.totp", _UTIL)


def _state_name(st):
    from smsgw.alert.rules import STATE_NAMES

    return STATE_NAMES[st]


def _cfg(ctx):
    c = getattr(ctx, "cfg", None)
    return c if c is not None else getattr(ctx, "config", {})

