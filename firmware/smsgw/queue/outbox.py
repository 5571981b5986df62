# The outbox: one submit() for HTTP, MQTT, alert rules and SMS-command replies; a sender task
# that drains the durable store part by part; delivery reports paired by (recipient, TP-MR).
#
# States (android-sms-gateway): Pending -> Processed -> Sent -> Delivered | Failed, Cancelled.
# Each message's journal (records and the states they add up to): queue/journal.py. Events
# (sms:sent/delivered/failed) are emitted from the journal write that changes a recipient's
# state, covered by a hand-off intent in the store (replayed at boot after a power cut).
import asyncio
import gc

from smsgw import call_loaded, events, forget, log, unloaded
from smsgw.queue.journal import (
    CANCELLED, FAILED, PENDING, PROCESSED, Journal, aggregate as _aggregate,
)
from smsgw.queue.store import key_of
from smsgw.tasks import cancel_all

_SENDER = "smsgw.queue.sender"
_ACCEPT = "smsgw.queue.accept"
_REPORTS = "smsgw.queue.reports"


class Outbox:
    """Accepts, stores, sends and tracks outgoing SMS.

    Args:
        store: an opened smsgw.queue.store.Store.
        cfg: the full config dict (queue.*, device.id are read; smsgw.device).
        modem: object with `async send_pdu(hex, tpdu_len) -> mr` (None: nothing is sent).
        ready: None, or an asyncio.Event-like object the sender waits on before each message.
    """

    def __init__(self, store, cfg, modem=None, ready=None):
        q = cfg["queue"]
        self.store = store
        self.modem = modem
        self.ready = ready
        self.pacer = None  # optional: delay_ms(segments, priority), record(segments)
        self.cfg = cfg
        self.order = None  # queue/order.py's Order while prioritized/scheduled messages wait
        self._dev = ""  # the deviceId, once known (device_id())
        self.max_pending = q["max_messages"]
        self.max_text = q["max_text"]
        self.max_rcpt = q["max_recipients"]
        self.retries = q["retries"]
        self.backoff_ms = q["backoff_ms"]
        self.wake = asyncio.Event()
        self.task = None
        self.rtask = None  # consumes modem.reports
        self.counters = {"accepted": 0, "sent": 0, "failed": 0, "uncertain": 0, "retries": 0,
                         "reports": 0, "unpaired_reports": 0, "bad_reports": 0, "paced": 0,
                         "oom": 0}
        self.failed_at = []  # Unix times of recent failures (bounded), for /health

    # -- submit ----------------------------------------------------------------------------
    def pending(self):
        """Messages the sender has not passed yet (an upper bound)."""
        s = self.store
        return max(s.count() - s.cur, s.count(True) - s.pcur)

    def device_id(self):
        """The deviceId (smsgw/device.py: device.id, else derived from the IMEI; kept once
        known: hashing it for every status object cost heap)."""
        if not self._dev:
            self._dev = self.cfg["device"]["id"] or _device(self.modem)
        return self._dev

    def submit(self, body, max_priority=127, skip_check=False):
        """Validate and durably enqueue one message. Returns (http_status, status_or_error).

        Same `id` twice with the same body is the same message: its current status is
        answered, it is sent once; the same `id` with another body is a 409.
        Errors are (400|409|429|503, {"message": ...}); nothing accepted is ever dropped (503:
        storage trouble, or no heap for the submission's code now).
        `max_priority`: the highest priority this caller may ask for (API/MQTT: 99 unless
        api.allow_priority; >= 100 goes past the carrier caps and quiet hours).
        `skip_check`: skipPhoneValidation (any address the codec can encode).
        """
        # this request's code (queue/accept.py) is in the heap for it only: the sends after
        # the POSTs, where the heap runs out first, do not carry it
        fresh = unloaded("smsgw.rfc3339")  # scheduleAt, validUntil: read by accept
        try:
            from smsgw.queue import accept
        except MemoryError:  # no room for it now: nothing was stored, the caller retries
            self.counters["oom"] += 1
            return 503, {"message": "out of memory, retry later"}
        try:
            return accept.submit(self, body, max_priority, skip_check)
        finally:
            del accept
            forget(_ACCEPT, *fresh)

    # -- status ----------------------------------------------------------------------------
    def status(self, msg_id):
        """The status object of message `msg_id`, or None."""
        key = key_of(msg_id)
        meta = self.store.get(key)
        if meta is None or meta["id"] != msg_id:
            return None
        return self.status_of(key, meta)

    def _journal(self, key, meta, lines=None):
        return Journal(self.store, key, meta, lines, self._changed)

    def status_of(self, key, meta, jr=None):
        j = self._journal(key, meta, jr)
        recipients = []
        states = {PENDING: events.iso(meta["t"])}
        for i in range(len(j.rs)):
            recipients.append({"phoneNumber": meta["to"][i], "state": j.rstate(i),
                               "error": j.error(i)})
        state = _aggregate([x["state"] for x in recipients])
        j.times(state, states)
        st = {"id": meta["id"], "deviceId": self.device_id(), "state": state,
              "isHashed": False, "isEncrypted": False, "recipients": recipients,
              "states": states}
        if meta.get("at"):  # scheduleAt, and why it waits (queue/order.py)
            call_loaded("smsgw.queue.order", "annotate", st, meta)
        return st

    def cancel(self, msg_id):
        """Cancel a Pending message: (200, status) | (404|409, error); sms:cancelled."""
        return call_loaded("smsgw.queue.cancel", "cancel", self, msg_id)

    # -- delivery reports (queue/reports.py, imported for a report) ------------------------
    def on_report(self, mr, number, tp_st):
        """Pair a status report with the part that got TP-MR `mr`; True when it was paired."""
        return __import__(_REPORTS, None, None, ["pair"]).pair(self, mr, number, tp_st)

    def handle_report(self, h):
        """Decode one SMS-STATUS-REPORT PDU (hex) and pair it (on_report). True when the
        modem's copy may go: journaled, unpairable, or undecodable (its hex logged)."""
        return __import__(_REPORTS, None, None, ["handle"]).handle(self, h)

    def _changed(self, j, r, before, after, replay=False):
        """A journal record moved recipient r from `before` to `after`: count it and emit its
        event (queue/sms_events.py, only when something listens; the journal's hand-off
        intent covers a power cut until the handlers have it)."""
        if not replay:
            if after == FAILED:
                self.counters["failed"] += 1
                self.failed_at = self.failed_at[-15:] + [events.now()]
            elif after != CANCELLED and before in (PENDING, PROCESSED):
                self.counters["sent"] += 1
        if events.count():
            from smsgw.queue.sms_events import outgoing

            outgoing(j, r, before, after)

    # -- the sender ------------------------------------------------------------------------
    def start(self):
        """Start the sender (returned) and, with a modem, the status-report consumer."""
        self.task = asyncio.create_task(self.run())
        if getattr(self.modem, "reports", None) is not None:
            self.rtask = asyncio.create_task(self._reports())
        return self.task

    async def stop(self):
        await cancel_all([t for t in (self.task, self.rtask) if t is not None],
                         (asyncio.CancelledError, Exception))
        self.task = self.rtask = None

    async def _reports(self):
        # Status reports straight from the modem: pair, journal, then delete the modem's copy
        # (a report the codec rejects is logged and deleted; anything else keeps it stored; a
        # MemoryError: again a second later; none waiting: the report code leaves the heap).
        await self.modem.reports.consume(self._report, self.counters, _release_reports,
                                         _report_failed)

    async def _report(self, _kind, index, h):
        if self.handle_report(h) and index is not None:
            await self.modem.delete(index)

    def _finished(self, key):
        """True when the sender has nothing more to do for `key` (compaction may drop it)."""
        meta = self.store.get(key)
        if meta is None:
            return True
        return not self._journal(key, meta).work()

    def next_key(self):
        """The next key with sending work: priority index first, then FIFO. None when idle."""
        j = self._next()
        return None if j is None else j.key

    def _next(self):
        # the next message with sending work, as its scanned Journal (send() keeps it):
        # priority > 0 and due scheduled ones (queue/order.py), then FIFO, then priority < 0
        s = self.store
        o = self.order
        if o is None and s.pcur < s.count(True):
            from smsgw.queue.order import Order

            o = self.order = Order(self)
        pcur = s.pcur
        found = o.pick(True) if o is not None else None
        moved = False
        if found is None:
            found, moved = self._fifo()
        if found is None and o is not None:
            found = o.pick(False)
        if (moved or s.pcur != pcur) and (found is None or s.cur % 8 == 0):
            # the saved cursor is only a lower bound (finished messages are skipped again at
            # boot), so saving it every 8 messages, or when idle, is enough: fewer flash writes
            s.save_cursor()
            if s.compact(self._finished):
                self.order = None  # the priority index was renumbered: rebuilt at next use
        if o is not None and not o.items:
            self.order = None
            forget("smsgw.queue.order")  # loaded again by the next priority or scheduled one
        return found

    def _fifo(self):
        # (Journal or None, cursor moved): the oldest plain message with work; ordered ones
        # ("q", or priority >= 100 from before there was "q") are order.py's
        s = self.store
        moved = False
        while s.cur < s.count():
            key = s.key_at(s.cur)
            meta = s.get(key)
            if meta is not None and not meta.get("q") and meta["prio"] < 100:
                j = self._journal(key, meta)
                if j.work():
                    return j, moved
            s.cur += 1
            moved = True
        return None, moved

    async def run(self):
        """Sender task: forever take the next message and send it (never raises)."""
        while True:
            try:
                j = self._next()
                if j is None:
                    # nothing to send: the sending code and the codec leave the heap meanwhile
                    forget(_SENDER)
                    _release_codec()
                    self.wake.clear()
                    try:
                        await asyncio.wait_for_ms(self.wake.wait(), 1000)
                    except asyncio.TimeoutError:
                        pass
                    continue
                if self.ready is not None and not self.ready.is_set():
                    await self.ready.wait()
                await self._sender().send(self, j)
            except asyncio.CancelledError:
                raise
            except MemoryError as e:  # before the part went to the modem (imports, encoding,
                # flash reads/writes): nothing sent, the message stays Pending and is retried;
                # counted (/health counters.outbox.oom) so the shortage is not silent
                self.counters["oom"] += 1
                gc.collect()  # first: the failed step's garbage, so that the log line fits
                log.error("sender: out of memory, retrying: %s", e)
                await asyncio.sleep_ms(1000)
            except Exception as e:
                log.exc("sender", e)
                await asyncio.sleep_ms(1000)

    async def send(self, key):
        """Send every part of `key` that is still to do; returns when it needs nothing more
        now (done, failed, uncertain, or the modem stopped answering)."""
        await self._sender().send(self, self._journal(key, self.store.get(key)))

    def _sender(self):
        # the sending code (queue/sender.py): imported with a message to send, forgotten when
        # there is none (run())
        return __import__(_SENDER, None, None, ["send"])


def _release_reports():
    forget(_REPORTS)


def _report_failed(e, item):
    log.warn("report at %s: %s", item[1], e)


def _release_codec():
    # what a send or a report loaded of the codec (smsgw.codec.release), when anything did
    import sys

    if "smsgw.codec" in sys.modules:
        from smsgw.codec import release

        release()


def _device(modem):
    # the deviceId derived from the IMEI (smsgw/device.py); "" before the modem told it.
    # Asked once (Outbox.device_id keeps it), so the module is forgotten again: the core's
    # smallest heap was 4K larger with it resident
    from smsgw.device import device_id

    st = getattr(modem, "status", None)  # None: no modem (tests)
    d = device_id(st.get("imei") if st else None)
    forget("smsgw.device")
    return d
