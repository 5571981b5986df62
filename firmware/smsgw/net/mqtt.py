# MQTT bridge: events out, send commands in, retained status, availability by last will, and
# Home Assistant discovery (mqtt_ha.py). Topics under <prefix>/<device-id>/ ("base"):
#   received | sent | delivered | failed | ping   events (JSON payload of the event), QoS 1
#   status          retained JSON: signal, registration, queue depth, counters (status_fn)
#   availability    retained "online"; the broker publishes the will "offline" when we vanish
#   send            command in: {"id", "phoneNumbers"|"to", "text"} -> outbox.submit (QoS 1)
#   ha/send         command in from Home Assistant's text entity: "+number: message"
#                   (a command without an id gets one from its packet id and payload, so a
#                   broker's redelivery never sends twice: mqtt_cmd.command_id)
#   send/result     outcome out: {"id", "status": <http status>, "state", "message"}
# With `mqtt.fleet` the board also takes its group's work (net/fleet.py, loaded lazily) and
# its session is clean: a stopped board must not keep a share of the group's work (EVENTS.md).
# Publishes go through a bounded queue (drop oldest, counted); the SMS engine never waits on MQTT.
# Recovery lives here: any failure closes the connection and reconnects with capped back-off.
# The commands' parsing and their answer are net/mqtt_cmd.py, loaded for each command.
import asyncio
import json

from smsgw import forget
from smsgw.net.mqtt_client import MQTTClient
from smsgw.tasks import TaskOwner

from micropython import const


_HEAD_TRIES = const(3)  # sessions that may die publishing one item before it is dropped
# What making a connection loads (the URL's form, the TCP connect) and the session does not need
_CONNECTING = ("smsgw.net.url", "smsgw.net.tcp", "smsgw.net.mqtt_connect")
_EVENT_TOPIC = {
    "sms:received": "received",
    "sms:sent": "sent",
    "sms:delivered": "delivered",
    "sms:failed": "failed",
    "sms:cancelled": "cancelled",
    "sms:data-received": "data-received",
    "system:ping": "ping",  # the alert heartbeat's health document
}


class MqttBridge(TaskOwner):
    """Owns the MQTT connection task.

    Args:
        cfg: validated `mqtt` section; device_id: topic level and HA identifiers;
        submit: fn(body) -> (http_status, status_obj) or an awaitable of it (outbox.submit);
        status: fn() -> dict (or awaitable) for the retained status topic;
        known: fn(id) -> True when the outbox has that message (None: commands without an id
            get none, and a redelivery may send twice).
    """

    def __init__(self, cfg, device_id, submit=None, status=None, known=None):
        from smsgw.net.mqtt_cfg import validate  # forgotten again by start()

        self.cfg = validate(cfg)
        self.device_id = device_id
        self.base = "%s/%s" % (self.cfg["prefix"], device_id)
        self.resolve_id = None  # async fn() -> device id, awaited before the first connection
        self.submit = submit
        self.status_fn = status
        self.known = known
        self.fleet = None  # net/fleet.Fleet when the board is in a fleet
        self.queue = []  # (topic, payload, retain, qos)
        self._ready = asyncio.Event()
        self.online = asyncio.Event()  # ctx.online (net/wifi.py) once started; else always
        self.online.set()
        self.client = None
        self.connected = False
        self.status_due = True
        self._head = None  # the queue's head item and how many sessions tried to publish it
        self._head_tries = 0
        self.counters = {"connects": 0, "published": 0, "discards": 0, "commands": 0,
                         "failures": 0}
        self.last_error = None

    def join_fleet(self, fleet, resolve_id=None):
        """Take the group's work through `fleet` (net/fleet.Fleet); `resolve_id`: async fn() ->
        the device id, awaited before the first connection (boards of a fleet must not share
        topics or client ids)."""
        self.fleet = fleet
        if resolve_id is not None:
            self.resolve_id = resolve_id

    # -- the SMS side: never waits -------------------------------------------------------------
    def _put(self, topic, payload, retain=False, qos=1):
        if len(self.queue) >= self.cfg["queue_max"]:
            self.queue.pop(0)
            self.counters["discards"] += 1
        self.queue.append((topic, payload, retain, qos))
        self._ready.set()

    def on_event(self, name, payload):
        """events.subscribe handler: enqueue the event, then a fresh status."""
        sub = _EVENT_TOPIC.get(name)
        if sub is None:
            return
        self._put("%s/%s" % (self.base, sub), json.dumps(payload))
        self.status_due = True
        self._ready.set()

    # -- the connection: TaskOwner.start() runs run() ---------------------------------------------
    async def stop(self):
        await TaskOwner.stop(self)
        c = self.client
        if c is not None:
            if self.connected and not c.dead.is_set():
                try:  # a clean DISCONNECT suppresses the will: say "offline" ourselves
                    await asyncio.wait_for(c.publish(self.base + "/availability", b"offline",
                                                     True, 0), 2)
                except (OSError, asyncio.TimeoutError):
                    pass  # the broker is gone: its will says "offline" for us
            self.connected = False
            await c.close()

    def _make_client(self):
        from smsgw.net.url import mqtt

        cfg = self.cfg
        tls, host, port, user, password = mqtt(cfg["url"])
        will = (self.base + "/availability", b"offline", True, 1)
        c = MQTTClient(cfg["client_id"] or "smsgate-" + self.device_id, host, port, user,
                       password, cfg["keepalive_s"], will, tls or cfg["tls"],
                       clean=self.fleet is not None,
                       on_message=self._on_message, ca=cfg["ca"])
        c.wake = self._ready  # the pump leaves at once when the connection dies
        return c

    async def run(self):
        if self.resolve_id is not None:
            self.device_id = await self.resolve_id()
            self.base = "%s/%s" % (self.cfg["prefix"], self.device_id)
        delay = 1
        cap = self.cfg["reconnect_max_s"]
        while True:
            await self.online.wait()  # no network (Wi-Fi down): no connection attempts
            c = self.client = None
            try:
                c = self.client = self._make_client()  # a MemoryError here too: retried
                try:
                    await c.connect(self.cfg["keepalive_s"])
                finally:
                    forget(*_CONNECTING)
                self.counters["connects"] += 1
                self.connected = True
                delay = 1
                await self._session(c)
            except Exception as exc:  # broker, network or heap trouble: reconnect later
                self.counters["failures"] += 1
                self.last_error = "%s %s" % (type(exc).__name__, exc)
                if isinstance(exc, OSError) and not self.connected and c is not None:
                    from smsgw.net import dns

                    dns.forget(c.host)  # maybe the broker moved: look it up again
            self.connected = False
            if c is not None:
                await c.close(graceful=False)
            await asyncio.sleep(min(delay, cap))
            delay = min(delay * 2, cap)

    async def _session(self, c):
        base = self.base
        await c.publish(base + "/availability", b"online", retain=True, qos=1)
        if self.cfg["discovery"]:
            from smsgw.net import mqtt_ha

            try:
                await mqtt_ha.publish_discovery(c, self.cfg["discovery_prefix"],
                                                self.device_id, base)
            finally:  # needed again only at the next connection (~2 KB meanwhile)
                del mqtt_ha
                forget("smsgw.net.mqtt_ha")
        await c.subscribe(base + "/send", 1)
        await c.subscribe(base + "/ha/send", 1)
        if self.fleet is not None:
            self.fleet.connected()
        self.status_due = True
        await self._pump(c)

    async def _pump(self, c):
        # drain the queue; ping when idle; refresh status; leave when the connection dies
        ka = self.cfg["keepalive_s"]
        import time

        last_status = last_tx = time.ticks_ms()
        while True:
            if c.dead.is_set():
                raise OSError("connection lost: %s" % c.error)
            if self.fleet is not None:
                await self.fleet.sync(c)  # (un)subscribes the group's work with capacity
            now = time.ticks_ms()
            if self.status_due or time.ticks_diff(now, last_status) >= (
                self.cfg["status_interval_s"] * 1000
            ):
                self.status_due = False
                last_status = now
                await self._publish_status(c)
                last_tx = now
            if self.queue:
                item = self.queue[0]
                if self._poison(item):  # the broker hung up on it 3 times: drop, count, go on
                    continue
                await c.publish(item[0], item[1], item[2], item[3])
                if self.queue and self.queue[0] is item:  # not dropped meanwhile
                    self.queue.pop(0)
                self.counters["published"] += 1
                last_tx = time.ticks_ms()
                continue
            if time.ticks_diff(now, last_tx) >= ka * 500:
                await c.ping()
                last_tx = now
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), min(ka / 2, 1))
            except asyncio.TimeoutError:
                pass

    def _poison(self, item):
        if item is not self._head:
            self._head, self._head_tries = item, 0
        self._head_tries += 1
        if self._head_tries <= _HEAD_TRIES:
            return False
        self.queue.pop(0)
        self.counters["discards"] += 1
        return True

    async def _publish_status(self, c):
        st = {} if self.status_fn is None else self.status_fn()
        if hasattr(st, "send"):  # a coroutine (status_fn may be async): the checker cannot tell
            st = await st  # pyright: ignore[reportGeneralTypeIssues]
        st = dict(st)
        st["mqtt"] = {"published": self.counters["published"],
                      "discards": self.counters["discards"], "connects": self.counters["connects"]}
        await c.publish(self.base + "/status", json.dumps(st), retain=True, qos=1)
        self.counters["published"] += 1

    # -- commands in ---------------------------------------------------------------------------
    async def _on_message(self, topic, msg, retained, pid=0, dup=False):
        if retained:  # a stale retained command is never executed
            return
        if self.fleet is not None and topic in self.fleet.send_topics:
            self.counters["commands"] += 1
            return await self.fleet.on_message(self.client, msg, pid)
        if topic == self.base + "/send":
            parse = "parse_command"
        elif topic == self.base + "/ha/send":
            parse = "parse_ha_text"
        else:
            return
        self.counters["commands"] += 1
        from smsgw.net import mqtt_cmd  # loaded for the command, forgotten after it

        try:
            await mqtt_cmd.handle(self, getattr(mqtt_cmd, parse), msg, pid, dup)
        finally:
            del mqtt_cmd
            forget("smsgw.net.mqtt_cmd")


_REG = {0: "not registered", 1: "home", 2: "searching", 3: "denied", 4: "unknown", 5: "roaming"}


def topic_id(cfg):
    """The device's topic level: device.id, else device.name, without MQTT special characters."""
    d = cfg["device"]
    raw = d.get("id") or d.get("name") or "smsgate"
    return "".join("_" if c in "/#+ " else c for c in raw)


def modem_status(ctx):
    """The retained status document from the gateway context."""
    ms = ctx.modem.status
    rssi = ms.get("rssi")
    return {
        "signal": None if rssi is None or rssi == 99 else -113 + 2 * rssi,  # 27.007 +CSQ
        "csq": rssi,
        "registration": _REG.get(ms.get("reg"), "unknown"),
        "ready": bool(ms.get("ready")),
        "queue": ctx.outbox.pending(),
        "counters": {"outbox": ctx.outbox.counters, "inbox": ctx.inbox.counters},
    }


async def known_device_id(ctx):
    """smsgw.device.current (the one home of deviceId) once the modem has told its IMEI."""
    from smsgw.device import current

    while not current(ctx):
        await ctx.ready.wait()
        await asyncio.sleep(1)
    return current(ctx)


def status_doc(ctx, bridge):
    """modem_status, plus the board's fleet capacity when it is in a fleet."""
    st = modem_status(ctx)
    if bridge.fleet is not None:
        st["fleet"] = bridge.fleet.status()
    return st


def start(ctx):
    """Feature entry point (smsgw.startup): the bridge on events, outbox.submit and the status."""
    from smsgw import events

    from smsgw.net.api import client_priority_cap

    cap = client_priority_cap(ctx.cfg)
    bridge = MqttBridge(ctx.cfg["mqtt"], topic_id(ctx.cfg),
                        submit=lambda body: ctx.outbox.submit(body, cap),
                        status=lambda: status_doc(ctx, bridge),
                        known=lambda i: ctx.outbox.status(i) is not None)
    forget("smsgw.net.mqtt_cfg")  # the section is checked (MqttBridge)
    bridge.online = ctx.online
    events.subscribe(bridge.on_event)
    if bridge.cfg["fleet"] is not None:
        from smsgw.net.fleet import Fleet

        fleet = Fleet(bridge.cfg["fleet"], bridge, ctx.outbox, ctx.modem.status, cap)
        bridge.join_fleet(fleet, None if ctx.cfg["device"]["id"] else
                          (lambda: known_device_id(ctx)))
        events.subscribe(fleet.on_event)

    def check():
        ok = bridge.connected
        return {"description": "connected to the MQTT broker (discards: %d)"
                % bridge.counters["discards"], "observedUnit": "boolean", "observedValue": ok,
                "status": "pass" if ok else "warn"}

    ctx.health_checks["mqtt"] = check
    ctx.tasks.append(bridge.start())
    return bridge
