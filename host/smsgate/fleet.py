"""The host side of a fleet: hands messages to a group of boards through an MQTT
broker and follows them to their final state. `smsgate fleet` (cmd_fleet.py) is its CLI.

Topics (P = the boards' mqtt.prefix, G = the group; docs/EVENTS.md keeps the tree):
  P/fleet/G/send, P/fleet/G/route/<digits>/send   work, published QoS 1 (boards share them)
  P/fleet/G/result                                 {"id", "deviceId", "state", "status"?, "error"?}
  P/<device>/status (retained, its "fleet" part), P/<device>/availability, P/<device>/send
  (one board's own command topic) and P/<device>/send/result.

Exactly once across boards rests on one rule: a board publishes the claim "Claimed" (and has it
acknowledged by the broker) before it stores a message. So a message nobody claimed is in no
board's queue and may be published again to the group (after a board refused it, after the
broker found no subscriber, after a board or the broker went away, or after `resend_after`);
a claimed one belongs to its board for good, and is only ever re-sent to that board's own
topic (idempotent by id there), e.g. when it came back after a power cut.
"""

from __future__ import annotations

import json
import queue
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

FINAL = ("Sent", "Delivered", "Failed", "error")
_NO_SUBSCRIBERS = 16  # MQTT 5 PUBACK reason: nobody subscribed (the work went nowhere)
_RETRYABLE = (429, 500, 503)  # a board's "not now": not stored, give it to another


@dataclass
class Board:
    device: str
    online: bool = False
    status: dict = field(default_factory=dict)

    @property
    def fleet(self) -> dict:
        return self.status.get("fleet") or {}


@dataclass
class Job:
    """One message of the batch and what is known of it."""

    id: str
    phone: str
    text: str
    state: str = "new"  # new | published | Claimed | Pending | Processed | Sent | ... | error
    device: str | None = None
    error: str | None = None
    published_at: float = 0.0  # last publish to the group (0: waits to be published)
    resend_at: float = 0.0  # publish again to the group at this time (0: no)
    owner_poke: float = 0.0  # when to re-send it to its board's own topic (claimed ones)
    twice: list = field(default_factory=list)  # other devices that claimed it (must stay empty)

    @property
    def final(self) -> bool:
        return self.state in FINAL

    def report(self) -> dict:
        return {"id": self.id, "phone": self.phone, "device": self.device, "state": self.state,
                "error": self.error}


def digits(number: str) -> str:
    return "".join(c for c in number if c.isdigit())


class FleetLink:
    """The MQTT side: one paho client (MQTT 5), events handed to the caller as a queue.

    Args:
        url: mqtt://[user:pass@]host[:port] (mqtts:// for TLS); group, prefix: as the boards';
        client_id: a persistent session under this id keeps results that arrive while the
            command is not running (Ctrl-C, then a re-run); None: a throw-away session.
    """

    def __init__(self, url: str, group: str, prefix: str = "smsgate",
                 client_id: str | None = None) -> None:
        u = urlsplit(url)
        if u.scheme not in ("mqtt", "mqtts") or not u.hostname:
            raise ValueError("expected mqtt://host[:port] or mqtts://..., got %r" % url)
        self.group, self.prefix = group, prefix
        self.root = "%s/fleet/%s/" % (prefix, group)
        self.events: queue.Queue = queue.Queue()
        self.boards: dict[str, Board] = {}
        self.connected = threading.Event()
        self.connects = 0
        persistent = client_id is not None
        self.c = paho.Client(paho.CallbackAPIVersion.VERSION2,
                             client_id=client_id or "smsgate-fleet-" + secrets.token_hex(4),
                             protocol=paho.MQTTv5)
        if u.username:
            self.c.username_pw_set(u.username, u.password)
        if u.scheme == "mqtts":
            self.c.tls_set()
        self.c.on_connect = self._on_connect
        self.c.on_disconnect = lambda *a: (self.connected.clear(),
                                           self.events.put(("disconnected", None)))
        self.c.on_message = self._on_message
        self.c.on_publish = self._on_publish
        self.c.reconnect_delay_set(0.2, 2)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 7 * 86400 if persistent else 0
        self.c.connect_async(u.hostname, u.port or (8883 if u.scheme == "mqtts" else 1883),
                             keepalive=15, clean_start=not persistent, properties=props)
        self._mids: dict[int, str] = {}  # publish mid -> job id
        self._acked: dict[int, int] = {}  # PUBACK reasons that came before publish() returned
        self._lock = threading.Lock()  # never held while calling paho (its thread takes it)
        self.c.loop_start()

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()

    def _on_connect(self, c, u, flags, rc, props=None):
        if rc.is_failure:
            self.events.put(("refused", str(rc)))
            return
        p = self.prefix
        c.subscribe([(self.root + "result", 1), (p + "/+/status", 1),
                     (p + "/+/availability", 1), (p + "/+/send/result", 1)])
        self.connects += 1
        self.connected.set()
        self.events.put(("connected", self.connects))

    def _on_message(self, c, u, msg):
        topic, p = msg.topic, self.prefix
        try:
            if topic == self.root + "result":
                self.events.put(("result", json.loads(msg.payload)))
                return
            dev, _, sub = topic[len(p) + 1:].partition("/")
            if sub == "status":
                st = json.loads(msg.payload)
                if (st.get("fleet") or {}).get("group") == self.group:
                    self.boards.setdefault(dev, Board(dev)).status = st
            elif sub == "availability":
                b = self.boards.setdefault(dev, Board(dev))
                was, b.online = b.online, msg.payload == b"online"
                if was != b.online:
                    self.events.put(("online" if b.online else "offline", dev))
            elif sub == "send/result":
                r = json.loads(msg.payload)
                r["deviceId"] = dev
                self.events.put(("result", r))
        except ValueError:
            pass  # not ours / not JSON: ignored

    def _on_publish(self, c, u, mid, rc, props=None):
        code = getattr(rc, "value", 0)
        with self._lock:
            job_id = self._mids.pop(mid, None)
            if job_id is None:
                self._acked[mid] = code
        if job_id is not None:
            self._nobody(job_id, code)

    def _nobody(self, job_id: str, code: int) -> None:
        if code == _NO_SUBSCRIBERS:
            self.events.put(("nobody", job_id))

    def members(self) -> list[Board]:
        """The boards of the group that are online, by device id."""
        return [b for _, b in sorted(self.boards.items()) if b.online and b.fleet]

    def publish(self, topic: str, body: dict) -> None:
        # paho calls on_publish from its thread holding its own lock, maybe before publish()
        # returns here: our lock is taken only around our dicts, or the two threads deadlock
        info = self.c.publish(topic, json.dumps(body), qos=1)
        with self._lock:
            code = self._acked.pop(info.mid, None)
            if code is None:
                self._mids[info.mid] = body["id"]
        if code is not None:
            self._nobody(body["id"], code)

    def route(self, phone: str) -> tuple[str, list[Board]]:
        """(topic, boards that take it): the routed topic when an online board claims the
        number's prefix (the longest one), else the group's topic and every online member."""
        num, best = digits(phone), ""
        for b in self.members():
            for pre in b.fleet.get("prefixes", ()):
                d = digits(pre)
                if num.startswith(d) and len(d) > len(best):
                    best = d
        if not best:
            return self.root + "send", self.members()
        takers = [b for b in self.members()
                  if best in (digits(x) for x in b.fleet.get("prefixes", ()))]
        return "%sroute/%s/send" % (self.root, best), takers


class Dispatcher:
    """Feeds jobs to the group while boards have room, and follows results to the end.

    Args:
        link: a FleetLink; jobs: the batch (jobs already final are left alone);
        resend_after: seconds after which a message nobody claimed is published again;
        poke_every: seconds between re-sends of a claimed message to its own board.
    """

    def __init__(self, link: FleetLink, jobs: list[Job], resend_after: float = 30.0,
                 poke_every: float = 20.0, grace: float = 10.0) -> None:
        self.link = link
        self.jobs = {j.id: j for j in jobs}
        self.order = list(jobs)
        self.resend_after = resend_after
        self.poke_every = poke_every
        self.grace = grace  # after a board or the broker went away: claims still on the way
        self.published = 0

    # -- results -----------------------------------------------------------------------------
    def handle(self, kind: str, data) -> None:
        now = time.monotonic()
        if kind == "result":
            self._result(data, now)
        elif kind == "nobody":
            j = self.jobs.get(data)
            if j is not None and j.state == "published":
                j.resend_at = now + 0.5
        elif kind in ("offline", "disconnected", "connected"):
            # what went to the gone board (or was in flight at the broker) is dropped with its
            # clean session: publish again what nobody claims within the grace
            for j in self.order:
                if j.state == "published":
                    j.resend_at = min(j.resend_at or now + self.grace, now + self.grace)
        if kind == "online":  # back after a cut: it may hold a claim but no copy (see step)
            for j in self.order:
                if j.device == data and not j.final:
                    j.owner_poke = min(j.owner_poke, now + self.grace)

    def _result(self, r: dict, now: float) -> None:
        j = self.jobs.get(r.get("id"))
        dev = r.get("deviceId")
        if j is None or j.final and j.device == dev:
            return
        status, state = r.get("status"), r.get("state")
        if j.device not in (None, dev) and (state == "Claimed" or status in (200, 202)
                                            or state in FINAL):
            j.twice.append(dev)  # claimed by two boards: the scheme failed; reported
            return
        if status in _RETRYABLE:  # refused: not stored on that board
            if j.device in (None, dev) and j.state in ("published", "Claimed"):
                j.device, j.state, j.resend_at = None, "published", now
            return
        if status == 400:
            j.device, j.state, j.error = dev, "error", r.get("error") or r.get("message")
            return
        if state or status in (200, 202):
            if j.device is None:
                j.owner_poke = now + self.poke_every
            j.device = dev
            j.state = state or "Claimed"
            j.resend_at = 0.0
            if state in FINAL:  # Failed: why; Sent: "uncertain: ..." after a cut at AT+CMGS
                j.error = r.get("error") or r.get("message")

    # -- publishing --------------------------------------------------------------------------
    def room(self, boards: list[Board]) -> int:
        held: dict[str, int] = {}
        for j in self.order:
            if j.device and not j.final:
                held[j.device] = held.get(j.device, 0) + 1
        return sum(max(0, int(b.fleet.get("weight", 1)) - held.get(b.device, 0))
                   for b in boards)

    def step(self) -> None:
        """Publish what there is room for, re-publish what got lost, poke owners."""
        if not self.link.connected.is_set():
            return
        now = time.monotonic()
        unclaimed: dict[str, int] = {}
        for j in self.order:
            if j.state == "published":
                if (j.resend_at and now >= j.resend_at) or now - j.published_at > \
                        self.resend_after:
                    j.state = "new"  # nobody claimed it: in no board's queue, publish again
                else:
                    topic, _ = self.link.route(j.phone)
                    unclaimed[topic] = unclaimed.get(topic, 0) + 1
            elif not j.final and j.device and now >= j.owner_poke:
                # a board that claimed it and was cut before storing it has no copy: its own
                # topic (idempotent by id there) makes sure; never the group's topic again
                b = self.link.boards.get(j.device)
                if b is not None and b.online:
                    self.link.publish("%s/%s/send" % (self.link.prefix, j.device),
                                      {"id": j.id, "to": j.phone, "text": j.text})
                j.owner_poke = now + self.poke_every
        for j in self.order:
            if j.state != "new":
                continue
            topic, takers = self.link.route(j.phone)
            if not takers or self.room(takers) - unclaimed.get(topic, 0) <= 0:
                continue
            self.link.publish(topic, {"id": j.id, "to": j.phone, "text": j.text})
            self.published += 1
            j.state, j.published_at, j.resend_at = "published", now, 0.0
            unclaimed[topic] = unclaimed.get(topic, 0) + 1

    def done(self) -> bool:
        return all(j.final for j in self.order)

    def run(self, until: float | None = None, tick=None) -> bool:
        """Dispatch until every job is final (True) or monotonic() passes `until` (False);
        `tick()` is called about 10 times a second (progress)."""
        while not self.done():
            if until is not None and time.monotonic() > until:
                return False
            try:
                kind, data = self.link.events.get(timeout=0.1)
                self.handle(kind, data)
                while True:
                    kind, data = self.link.events.get_nowait()
                    self.handle(kind, data)
            except queue.Empty:
                pass
            self.step()
            if tick is not None:
                tick()
        return True
