# Fleet membership: the boards of a group share one work queue through the broker's
# shared subscriptions. Imported by the MQTT bridge (net/mqtt.py) only when its section has
# `fleet` (a sub-section of `mqtt`: a top-level one cost the core ~14 KB, docs/EVENTS.md).
# Topics (P = mqtt.prefix, G = mqtt.fleet.group; the tree is in docs/EVENTS.md):
#   $share/G/P/fleet/G/send                         work for any board of the group (QoS 1)
#   $share/G-<prefix>/P/fleet/G/route/<prefix>/send  work for the boards that claim <prefix>
#   P/fleet/G/result                                 out: {"id", "deviceId", "state", ...}
# A command is claimed (the result "Claimed", PUBACKed by the broker) before the outbox stores
# it, and acknowledged after: a message the host saw nobody claim is in no board's queue, so
# the host may give it to another board (docs/EVENTS.md, "Fleet" explains the whole scheme).
# A board subscribes only while it can take work (capacity > 0) and unsubscribes otherwise.
import asyncio
import json

from smsgw.net.mqtt_client import DEFER

DEFAULTS = {
    "group": None,  # the fleet's name: topic level and shared-subscription group
    "prefixes": [],  # numbers this board prefers ("+4917"): routed work comes to it first
    "weight": 4,  # messages it keeps waiting in its queue before it stops taking work
}
_NUMS = {"weight": (1, 100)}
_MAX_PREFIXES = 8
_FINAL = {"sms:sent": "Sent", "sms:delivered": "Delivered", "sms:failed": "Failed"}


def digits(prefix):
    """A prefix as its topic level: the digits without the leading "+"."""
    return prefix[1:] if prefix.startswith("+") else prefix


def validate(value, key="mqtt.fleet"):
    """Check the `mqtt.fleet` section; return it merged over DEFAULTS (raises ConfigError)."""
    from smsgw.errors import ConfigError
    from smsgw.section import check_section

    def check_other(name, k, v):
        if k == "group":
            if (not isinstance(v, str) or not v or len(v) > 64
                    or any(c in v for c in "/+#$ ")):
                raise ConfigError(name, "must be a non-empty name without / + # $ or spaces")
        elif (not isinstance(v, list) or len(v) > _MAX_PREFIXES
              or not all(isinstance(p, str) and 0 < len(digits(p)) <= 15
                         and digits(p).isdigit() for p in v)):
            raise ConfigError(name, "must be a list of up to %d number prefixes ('+4917')"
                              % _MAX_PREFIXES)

    out = check_section(value, key, DEFAULTS, _NUMS, check_other)
    if out["group"] is None:
        raise ConfigError(key + ".group", "required")
    if not isinstance(out["weight"], int):
        raise ConfigError(key + ".weight", "must be an integer")
    return out


class Fleet:
    """One board's share of the group's work, riding on the bridge's connection.

    Args:
        cfg: validated `mqtt.fleet` section; bridge: the MqttBridge (its publish queue and status);
        outbox: submit/status/pending/pacer; modem_status: the modem's status dict.
    """

    def __init__(self, cfg, bridge, outbox, modem_status, max_priority=99):
        self.cfg = validate(cfg)
        self.bridge = bridge
        self.outbox = outbox
        self.modem_status = modem_status
        self.max_priority = max_priority
        g = self.cfg["group"]
        root = "%s/fleet/%s/" % (bridge.cfg["prefix"], g)
        self.result_topic = root + "result"
        self.send_topics = [root + "send"]
        self.filters = ["$share/%s/%ssend" % (g, root)]
        for p in self.cfg["prefixes"]:
            d = digits(p)
            self.send_topics.append("%sroute/%s/send" % (root, d))
            self.filters.append("$share/%s-%s/%sroute/%s/send" % (g, d, root, d))
        self.subscribed = False
        self.lock = asyncio.Lock()  # one command at a time: capacity is checked, then used
        self.counters = {"claimed": 0, "rejected": 0}

    def capacity(self):
        """How many more messages this board takes now (0: not registered, caps spent, full)."""
        ms = self.modem_status
        if not ms.get("ready") or ms.get("reg") not in (1, 5):  # 27.007 +CREG: home, roaming
            return 0
        pacer = self.outbox.pacer
        if pacer is not None and pacer.delay_ms(1, 0) > 0:  # per-day/minute caps, quiet hours
            return 0
        return max(0, min(self.cfg["weight"], self.outbox.max_pending) - self.outbox.pending())

    def status(self):
        """The `fleet` part of the retained status: what operators and `smsgate fleet` see."""
        c = self.cfg
        out = {"group": c["group"], "prefixes": c["prefixes"], "weight": c["weight"],
               "capacity": self.capacity(), "taking": self.subscribed}
        out.update(self.counters)
        pacer = self.outbox.pacer
        if pacer is not None and pacer.per_day:
            out["capsLeft"] = max(0, pacer.per_day - pacer.day_count)
        return out

    def connected(self):
        """A new connection (a clean session): nothing is subscribed yet."""
        self.subscribed = False

    async def sync(self, c):
        """Subscribe while the board can take work, unsubscribe when it cannot (bridge pump)."""
        want = self.capacity() > 0
        if want == self.subscribed:
            return
        for f in self.filters:
            await (c.subscribe(f, 1) if want else c.unsubscribe(f))
        self.subscribed = want
        self.bridge.status_due = True

    def on_event(self, name, payload):
        """events handler: every final state of this board's messages goes to the group."""
        state = _FINAL.get(name)
        if state is None:
            return
        mid = payload.get("messageId")
        out = {"id": mid, "deviceId": self.bridge.device_id, "state": state}
        err = payload.get("reason")
        if state == "Sent":  # a part cut off at AT+CMGS counts as sent but may not be on air
            st = self.outbox.status(mid) or {}
            err = ([r["error"] for r in st.get("recipients", ()) if r.get("error")]
                   or [None])[0]
        if err:
            out["error"] = err
        self.bridge._put(self.result_topic, json.dumps(out))

    async def on_message(self, c, msg, pid):
        """A send command: handled in a task that acknowledges it (DEFER) once it is stored."""
        asyncio.create_task(self._take(c, msg, pid))
        return DEFER

    async def _take(self, c, msg, pid):
        async with self.lock:
            try:
                out = await self._claim_and_store(c, msg)
            except Exception:  # the connection died while claiming: nothing stored, no ack
                return  # (the clean session drops the command; nobody claimed it: resent)
            self.bridge._put(self.result_topic, json.dumps(out))
            self.bridge.status_due = True
            if pid:
                try:
                    await c.puback(pid)
                except OSError:
                    pass  # stored and claimed: the host knows this board has it

    async def _claim_and_store(self, c, msg):
        from smsgw import forget
        from smsgw.net.mqtt_cmd import parse_command

        forget("smsgw.net.mqtt_cmd")  # parse_command is all it needs of it, and only now
        dev = self.bridge.device_id
        try:
            body = parse_command(msg)
        except ValueError as exc:
            return {"id": None, "deviceId": dev, "status": 400, "state": None,
                    "error": str(exc)}
        rid = body.get("id")
        if not isinstance(rid, str) or not rid:
            return {"id": None, "deviceId": dev, "status": 400, "state": None,
                    "error": "a fleet command needs an id"}
        if self.outbox.status(rid) is None:
            if self.capacity() <= 0:  # came in before our UNSUBSCRIBE: not ours, resent
                self.counters["rejected"] += 1
                return {"id": rid, "deviceId": dev, "status": 503, "state": None,
                        "error": "busy"}
            # the claim reaches the broker before the message is stored (see the top)
            await c.publish(self.result_topic, json.dumps(
                {"id": rid, "deviceId": dev, "state": "Claimed"}), False, 1)
            self.counters["claimed"] += 1
        status, obj = self.outbox.submit(body, self.max_priority)
        out = {"id": rid, "deviceId": dev, "status": status, "state": obj.get("state")}
        if obj.get("message"):
            out["error"] = obj["message"]
        return out
