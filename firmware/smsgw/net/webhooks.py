# Signed webhooks in android-sms-gateway's shape, delivered from a durable queue (webhook_queue).
#
# Registrations: {"id", "url", "event"}, at most webhook_admin.MAX_HOOKS, kept in
# <root>/webhooks.json.
# Envelope: {"id": <event id, same on every try>, "webhookId", "deviceId", "event", "payload"}.
# Headers: X-Timestamp (Unix seconds) and X-Signature = hex HMAC-SHA256(signing_key, body + ts);
# without a provisioned signing_key, start() generates one (kept in smsgw.settings' file). A 2xx
# answer within timeout_s counts as delivered;
# otherwise the try is retried after retry_base_s * 2**(tries-1) (capped at retry_max_s) until
# retry_count tries (a try the gateway's heap cut short spends none: it is made again a second
# later), then the delivery goes to the bounded dead-letter list
# (GET /webhooks/dead, POST /webhooks/dead/replay; routes in webhook_api.py). One delivery at a
# time, earliest due first. Registering, deleting and the dead letters' endpoints are
# net/webhook_admin.py's, loaded for each such request.
import asyncio
import os

from smsgw.tasks import TaskOwner
from smsgw.net.webhook_queue import Journal, serve

from micropython import const


EVENTS = ("sms:received", "sms:data-received", "sms:sent", "sms:delivered", "sms:failed",
          "sms:cancelled", "system:ping")
_NO_HEAP_WAIT_MS = const(1000)  # a delivery whose code found no heap looks again this often
# What a delivery loads (net/webhook_send.py, the HTTP client with its TCP connect and URL form,
# hmac, the target check), forgotten while none is pending (webhook_queue.serve's `release`)
_SEND = ("smsgw.net.webhook_send", "smsgw.net.httpc", "smsgw.net.tcp", "smsgw.net.url",
         "smsgw.hmac", "smsgw.net.webhook_target")


def _load():
    # The first pending delivery brings the delivery code in, before a burst of deliveries
    # (and anything else) fragments the heap; it stays until the journal is empty again.
    try:
        from smsgw.net import webhook_send  # noqa: F401
    except MemoryError:  # no room now: the task's try loads it again
        pass


def _new_signing_key(qdir):
    # Deliveries are always signed, as android-sms-gateway's: without a provisioned key one is
    # generated on first use and kept with the settings (PATCH /settings sets another; no GET
    # shows it).
    from smsgw import settings

    key = _new_id() + _new_id()[:8]
    over = settings.load(qdir)
    over.setdefault("webhooks", {})["signing_key"] = key
    settings.save(qdir, over)
    return key


def _new_id():
    import binascii

    return binascii.hexlify(os.urandom(8)).decode()


class Webhooks(TaskOwner):
    """Webhook registry, event fan-out and the one delivery task.

    Args:
        root: flash directory for webhooks.json and the queue files; cfg: the section (checked
        and merged over net/webhook_cfg's DEFAULTS here); device_id: put in every envelope (a
        str, or a function returning it: the outbox's device_id, known once the modem told its
        IMEI); now: Unix seconds or None while unset (default smsgw.clock.now; injectable for
        tests).
    """

    def __init__(self, root, cfg=None, device_id: "str | object" = "", now=None):
        from smsgw.net.webhook_cfg import validate  # forgotten again by start()

        cfg = validate(cfg)
        self.cfg = cfg
        self.root = root
        self.device_id = device_id
        if now is None:
            from smsgw.clock import now
        self._now = now
        self.hooks = self._load_hooks()
        self.queue = Journal(root, cfg["queue_max"], cfg["dead_max"])
        self._wake = asyncio.Event()
        self.counters = {"delivered": 0, "tries_failed": 0, "dead": 0, "overflow": 0,
                         "io_errors": 0, "clock_wait": 0, "oom": 0, "lost": 0}
        self.last_error = None
        self.api_port = None  # the gateway's own API port (refused as a target)
        self.online = None  # ctx.online: deliveries wait while it is clear (no Wi-Fi)

    # -- registry ------------------------------------------------------------------------------
    def _load_hooks(self):
        from smsgw.fsutil import read_json

        return read_json(self.root + "/webhooks.json", [])

    def _hook(self, wid):
        for h in self.hooks:
            if h["id"] == wid:
                return h
        return None

    # -- events --------------------------------------------------------------------------------
    def on_event(self, name, payload):
        """events.subscribe handler: queue one delivery per matching webhook (never blocks; with
        no heap for that now, the event is held for the task: Journal.hold)."""
        ids = [h["id"] for h in self.hooks if h["event"] == name]
        if not ids:
            return 0
        n = len(ids)
        self.queue.hold(self.counters, self._journal, _new_id(), name, payload, ids)
        self._wake.set()
        return n

    def _journal(self, evid, name, payload, ids):
        # the envelope for each webhook of `ids`, taken off the list once journaled: a
        # MemoryError half-way holds the rest only
        import json

        did = self.device_id() if callable(self.device_id) else self.device_id
        while ids:
            env = {"id": evid, "webhookId": ids[0], "deviceId": did, "event": name,
                   "payload": payload}
            if self.add(ids[0], json.dumps(env).encode()) is not None:
                self.counters["overflow"] += 1
            ids.pop(0)

    def add(self, wid, body):
        """Queue `body` for webhook `wid` (Journal.add; an event's, or a dead one replayed)."""
        if not self.queue.pending:
            _load()
        return self.queue.add(wid, body)

    # -- delivery: the task TaskOwner.start() runs ---------------------------------------------
    def run(self):
        return serve(self.queue, self._wake, self._try, self.counters, "webhook journal",
                     self.online, _SEND)

    async def deliver(self, entry):
        """One try of one pending delivery; records the outcome in the journal."""
        self.queue.busy = entry
        try:
            return await self._try(entry)
        finally:
            self.queue.busy = None

    async def _try(self, entry):
        # the signed POST is net/webhook_send.py's, loaded while deliveries are pending
        try:
            from smsgw.net.webhook_send import attempt
        except MemoryError:  # no room for the HTTP client now: it waits, no try spent
            self.last_error = "MemoryError: loading the delivery"
            self.queue.postpone(entry, _NO_HEAP_WAIT_MS)
            return False
        return await attempt(self, entry)

    def health_check(self):
        """/health check: deliveries waiting; warn when any died, the queue is 80 % full, or
        the clock is unset (deliveries wait for it: X-Timestamp must be the true time)."""
        n = len(self.queue.pending)
        desc = "webhook deliveries pending (dead: %d)" % self.counters["dead"]
        bad = self.counters["dead"] or n * 5 >= self.cfg["queue_max"] * 4
        if self._now() is None:
            bad = True
            desc += "; clock not set: deliveries wait for it (X-Timestamp)"
        return {"description": desc, "observedUnit": "deliveries", "observedValue": n,
                "status": "warn" if bad else "pass"}

    def stats(self):
        """Counters and queue depths for /health and MQTT status."""
        d = dict(self.counters)
        d["pending"] = len(self.queue.pending)
        d["dropped"] = self.queue.dropped
        d["corrupt"] = self.queue.corrupt
        return d


def start(ctx):
    """Feature entry point (smsgw.startup when there is something to deliver to: a provisioned
    `webhooks` section, a registered webhook, a kept delivery or dead letter; else
    net/webhook_api at the first registration): build, make sure deliveries are signed,
    subscribe to events, start the task. The endpoints are net/webhook_api's."""
    from smsgw import events, forget

    cfg = ctx.cfg
    # the deviceId as the outbox keeps it (smsgw/device.py's, asked once): a closure over
    # smsgw.device.current kept that module in the heap for good ("" with no outbox: tests)
    ob = ctx.outbox
    hooks = Webhooks(cfg["queue"]["dir"], cfg.get("webhooks"), ob.device_id if ob else "")
    forget("smsgw.net.webhook_cfg")  # the section is checked; PATCH /settings loads it again
    if not hooks.cfg["signing_key"]:
        hooks.cfg["signing_key"] = _new_signing_key(cfg["queue"]["dir"])
    hooks.api_port = cfg["api"]["port"]
    hooks.online = ctx.online
    events.subscribe(hooks.on_event)
    ctx.health_checks["webhooks"] = hooks.health_check
    ctx.tasks.append(hooks.start())
    return hooks
