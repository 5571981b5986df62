# The outbox: one submit() for HTTP, MQTT, alert rules and SMS-command replies; a sender task
# that drains the durable store part by part; delivery reports paired by (recipient, TP-MR).
#
# States (android-sms-gateway): Pending -> Processed -> Sent -> Delivered | Failed, Cancelled.
# Journal lines (store.log), one per state change, times in Unix seconds:
#   S r p np t  part p of recipient r handed to AT+CMGS (np = parts of that recipient)
#   M r p mr t  +CMGS answered with TP-MR mr      R r p n code t  temporary error, retry n
#   U r p t     uncertain: S without an answer before a crash/timeout; never resent
#   D r p st t  status report (TP-ST < 32 delivered, >= 64 failed; 32..63 not journaled)
#   F r t why   recipient failed                   C t  cancelled while Pending
import asyncio
import gc

from smsgw import events, log
from smsgw.queue.msgparse import parse_body, same_number as _same
from smsgw.queue.msgstate import (
    CANCELLED, DELIVERED, FAILED, PENDING, PROCESSED, SENT,
    aggregate as _aggregate, rstate as _rstate, scan as _scan, segments as _segments,
    times as _times, work as _work,
)
from smsgw.queue.store import key_of
from smsgw.tasks import cancel_and_wait

# +CMS ERROR codes worth retrying (3GPP TS 24.011 E.2 temporary causes, 27.005 3.2.5 network).
TEMPORARY_CMS = (41, 42, 47, 331, 332, 500)
CMS_TEXT = {
    21: "short message transfer rejected", 38: "network out of order", 41: "temporary failure",
    42: "congestion", 47: "resources unavailable", 50: "facility not subscribed",
    69: "facility not implemented", 300: "ME failure", 302: "operation not allowed",
    304: "invalid PDU mode parameter", 322: "memory full", 330: "SMSC address unknown",
    331: "no network service", 332: "network timeout", 500: "unknown error",
}
_MAYBE_SENT = ("REBOOT", "POWER DOWN", "PARSE")  # ATError kinds after which a part may be out
_UNCERTAIN = ("uncertain: part %d/%d may have been sent before a power loss or modem timeout; "
              "not resent")


class Outbox:
    """Accepts, stores, sends and tracks outgoing SMS.

    Args:
        store: an opened smsgw.queue.store.Store.
        cfg: the full config dict (queue.*, device.id are read).
        modem: object with `async send_pdu(hex, tpdu_len) -> mr` (None: nothing is sent).
        ready: None, or an asyncio.Event-like object the sender waits on before each message.
    """

    def __init__(self, store, cfg, modem=None, ready=None):
        q = cfg["queue"]
        self.store = store
        self.modem = modem
        self.ready = ready
        self.pacer = None  # optional: delay_ms(segments, priority), record(segments)
        self.device_id = cfg["device"]["id"]
        self.max_pending = q["max_messages"]
        self.max_text = q["max_text"]
        self.max_rcpt = q["max_recipients"]
        self.retries = q["retries"]
        self.backoff_ms = q["backoff_ms"]
        self.wake = asyncio.Event()
        self.task = None
        self.counters = {"accepted": 0, "sent": 0, "failed": 0, "uncertain": 0, "retries": 0,
                         "reports": 0, "unpaired_reports": 0, "paced": 0, "oom": 0}
        self.failed_at = []  # Unix times of recent failures (bounded), for /health

    # -- submit ----------------------------------------------------------------------------
    def pending(self):
        """Messages the sender has not passed yet (an upper bound)."""
        s = self.store
        return max(s.count() - s.cur, s.count(True) - s.pcur)

    def submit(self, body):
        """Validate and durably enqueue one message. Returns (http_status, status_or_error).

        Same `id` twice is the same message: its current status is answered, it is sent once.
        Errors are (400|429|503, {"message": ...}); nothing accepted is ever dropped.
        """
        try:
            meta = self._parse(body)
        except ValueError as e:
            return 400, {"message": str(e)}
        key = key_of(meta["id"])
        old = self.store.get(key)
        if old is not None:
            if old["id"] != meta["id"]:
                return 503, {"message": "id hash collision, use another id"}
            return 202, self.status_of(key, old)
        if self.pending() >= self.max_pending:
            return 429, {"message": "too many pending messages (%d)" % self.max_pending}
        if self.store.storage_full():
            return 503, {"message": "storage full"}
        # Concatenation reference: the message's lifelong sequence number in the store, so
        # consecutive messages never share one within 256 (8-bit refs) / 65536 (16-bit), also
        # across reboots and compactions (a random one repeated: handsets merged messages).
        meta["ref"] = self.store.seq() & 0xFFFF
        try:
            self.store.append_index(key)  # first: a crash now leaves a record, no message
            if meta["prio"] >= 100:
                self.store.append_index(key, True)
            self.store.put(key, meta)  # the commit point: now it is accepted
        except OSError as e:
            log.error("store write failed: %s", e)
            return 503, {"message": "storage error"}
        self.counters["accepted"] += 1
        self.wake.set()
        return 202, self.status_of(key, meta, [])

    def _parse(self, b):
        return parse_body(b, self.max_text, self.max_rcpt)

    # -- status ----------------------------------------------------------------------------
    def status(self, msg_id):
        """The status object of message `msg_id`, or None."""
        key = key_of(msg_id)
        meta = self.store.get(key)
        if meta is None or meta["id"] != msg_id:
            return None
        return self.status_of(key, meta)

    def status_of(self, key, meta, jr=None):
        if jr is None:
            jr = self.store.journal(key)
        rs, cancelled = _scan(meta, jr)
        recipients = []
        states = {PENDING: events.iso(meta["t"])}
        for i, r in enumerate(rs):
            st = _rstate(r, cancelled)
            err = r[3]
            if not err and "U" in r[1].values():
                p = [k for k, v in r[1].items() if v == "U"][0]
                err = _UNCERTAIN % (p + 1, r[0])
            recipients.append({"phoneNumber": meta["to"][i], "state": st, "error": err})
        state = _aggregate([x["state"] for x in recipients])
        _times(rs, cancelled, state, states)
        return {"id": meta["id"], "deviceId": self.device_id, "state": state,
                "isHashed": False, "isEncrypted": False, "recipients": recipients,
                "states": states}

    def list(self, state=None, limit=50, offset=0):
        """(total, [key, ...]) newest first, optionally only messages in `state`; the page
        holds keys only (render each with status_by_key) so RAM does not grow with it."""
        s = self.store
        total = 0
        out = []
        for i in range(s.count() - 1, -1, -1):
            key = s.key_at(i)
            meta = s.get(key) if key else None
            if meta is None or key in out:
                continue
            if state and self.status_of(key, meta)["state"] != state:
                continue
            if offset <= total < offset + limit:
                out.append(key)
            total += 1
        return total, out

    def status_by_key(self, key):
        meta = self.store.get(key)
        return None if meta is None else self.status_of(key, meta)

    def cancel(self, msg_id):
        """Cancel a Pending message: (200, status) | (404|409, error)."""
        key = key_of(msg_id)
        meta = self.store.get(key)
        if meta is None or meta["id"] != msg_id:
            return 404, {"message": "message not found"}
        st = self.status_of(key, meta)
        if st["state"] == CANCELLED:
            return 200, st
        if st["state"] != PENDING:
            return 409, {"message": "cannot cancel a message in state %s" % st["state"]}
        self.store.log(key, "C %d" % events.now())
        return 200, self.status_of(key, meta)

    # -- delivery reports ------------------------------------------------------------------
    def on_report(self, mr, number, tp_st):
        """Pair a status report with the part that got TP-MR `mr`; True when it was paired."""
        self.counters["reports"] += 1
        slot = self.store.get_mr(mr)
        meta = self.store.get(slot[0]) if slot else None
        if meta is None or slot[1] >= len(meta["to"]) or not _same(meta["to"][slot[1]], number):
            self.counters["unpaired_reports"] += 1
            return False
        if 32 <= tp_st < 64:  # temporary: the SMSC keeps trying (TS 23.040 9.2.3.15)
            return True
        key, r, p = slot
        before = self._rstates(key, meta)[r]
        self.store.log(key, "D %d %d %d %d" % (r, p, tp_st, events.now()))
        after = self._rstates(key, meta)[r]
        if after != before:
            self._emit(after, meta, r)
        return True

    def _rstates(self, key, meta):
        rs, cancelled = _scan(meta, self.store.journal(key))
        return [_rstate(r, cancelled) for r in rs]

    def _emit(self, st, meta, r, reason=None):
        p = {"messageId": meta["id"], "phoneNumber": meta["to"][r], "simNumber": 1}
        t = events.iso(events.now())
        if st == SENT:
            p["sentAt"] = t
            self.counters["sent"] += 1
            events.emit("sms:sent", p)
        elif st == DELIVERED:
            p["deliveredAt"] = t
            events.emit("sms:delivered", p)
        elif st == FAILED:
            p["failedAt"] = t
            p["reason"] = reason or "failed"
            self.counters["failed"] += 1
            self.failed_at = self.failed_at[-15:] + [events.now()]
            events.emit("sms:failed", p)

    # -- the sender ------------------------------------------------------------------------
    def start(self):
        self.task = asyncio.create_task(self.run())
        return self.task

    async def stop(self):
        await cancel_and_wait(self.task, (asyncio.CancelledError, Exception))
        self.task = None

    def _finished(self, key):
        """True when the sender has nothing more to do for `key` (compaction may drop it)."""
        meta = self.store.get(key)
        if meta is None:
            return True
        rs, cancelled = _scan(meta, self.store.journal(key))
        return not _work(rs, cancelled)

    def next_key(self):
        """The next key with sending work: priority index first, then FIFO. None when idle."""
        s = self.store
        moved = False
        found = None
        for pri in (True, False):
            while True:
                i = s.pcur if pri else s.cur
                if i >= s.count(pri):
                    break
                key = s.key_at(i, pri)
                meta = s.get(key)
                if meta is not None and (pri or meta["prio"] < 100):
                    rs, cancelled = _scan(meta, s.journal(key))
                    if _work(rs, cancelled):
                        found = key
                        break
                if pri:
                    s.pcur += 1
                else:
                    s.cur += 1
                moved = True
            if found:
                break
        if moved and (found is None or s.cur % 8 == 0):
            # the saved cursor is only a lower bound (finished messages are skipped again at
            # boot), so saving it every 8 messages, or when idle, is enough: fewer flash writes
            s.save_cursor()
            s.compact(self._finished)
        return found

    async def run(self):
        """Sender task: forever take the next message and send it (never raises)."""
        while True:
            try:
                key = self.next_key()
                if key is None:
                    self.wake.clear()
                    try:
                        await asyncio.wait_for_ms(self.wake.wait(), 1000)
                    except asyncio.TimeoutError:
                        pass
                    continue
                if self.ready is not None and not self.ready.is_set():
                    await self.ready.wait()
                await self.send(key)
            except asyncio.CancelledError:
                raise
            except MemoryError as e:  # before the part went to the modem (imports, encoding,
                # flash reads/writes): nothing sent, the message stays Pending and is retried;
                # counted (/health counters.outbox.oom) so the shortage is not silent
                self.counters["oom"] += 1
                log.error("sender: out of memory, retrying: %s", e)
                gc.collect()
                await asyncio.sleep_ms(1000)
            except Exception as e:
                log.exc("sender", e)
                await asyncio.sleep_ms(1000)

    async def send(self, key):
        """Send every part of `key` that is still to do; returns when it needs nothing more
        now (done, failed, uncertain, or the modem stopped answering)."""
        meta = self.store.get(key)
        rs, cancelled = _scan(meta, self.store.journal(key))
        now = events.now()
        if meta["exp"] and now > meta["exp"]:
            for r, rec in enumerate(rs):
                if _rstate(rec, cancelled) in (PENDING, PROCESSED):
                    self._fail(key, meta, r, "expired")
            return
        if self.pacer is not None:
            d = self.pacer.delay_ms(_segments(meta, rs), meta["prio"])
            if d:  # held (carrier caps, quiet hours): wait, but a new submit wakes us, and
                # next_key chooses again so a priority message overtakes the held ones
                self.counters["paced"] += 1
                self.wake.clear()
                try:
                    await asyncio.wait_for_ms(self.wake.wait(), min(d, 60000))
                except asyncio.TimeoutError:
                    pass
                return
        for r, rec in enumerate(rs):
            if not await self._send_recipient(key, meta, r):
                return

    async def _send_recipient(self, key, meta, r):
        rs, cancelled = _scan(meta, self.store.journal(key))
        rec = rs[r]
        if _rstate(rec, cancelled) not in (PENDING, PROCESSED):
            return True
        from smsgw.codec import pdu

        validity = max(300, meta["exp"] - events.now()) if meta["exp"] else None
        try:
            enc, parts = pdu.encode_submit(meta["to"][r], meta["text"], srr=meta["srr"],
                                           ref=meta["ref"], validity_s=validity)
        except MemoryError:
            raise  # not the message's fault: it stays Pending (run() counts and retries)
        except Exception as e:
            self._fail(key, meta, r, "cannot encode: %s" % e)
            return True
        np = len(parts)
        for p in range(np):
            code = rec[1].get(p)
            if code in ("M", "U"):
                continue
            if code == "S":  # handed to the modem before a crash: maybe sent, never resend
                self.store.log(key, "U %d %d %d" % (r, p, events.now()))
                self.counters["uncertain"] += 1
                continue
            ok = await self._send_part(key, meta, r, p, np, parts[p], rec[4].get(p, 0))
            if ok is None:
                return False
            if not ok:
                return True
        if self.pacer is not None:
            self.pacer.record(np)
        st = self._rstates(key, meta)[r]
        if st in (SENT, DELIVERED):
            self._emit(SENT, meta, r)
        return True

    async def _send_part(self, key, meta, r, p, np, part, tries):
        """True sent, False recipient failed, None stop this message for now (uncertain)."""
        from smsgw.errors import ATError

        while True:
            if self.modem is None or (self.ready is not None and not self.ready.is_set()):
                return None  # the modem went down between parts: resume when it is back
            self.store.log(key, "S %d %d %d %d" % (r, p, np, events.now()))
            try:
                mr = await self.modem.send_pdu(part[0], part[1])
            except ATError as e:
                if e.kind in _MAYBE_SENT:  # modem rebooted / unparsable answer mid-send
                    return self._uncertain(key, meta, r, p, e)
                code = e.code if e.kind == "CMS" else None
                tries += 1
                if (code is None or code in TEMPORARY_CMS) and tries <= self.retries:
                    self.counters["retries"] += 1
                    self.store.log(key, "R %d %d %d %s %d" % (r, p, tries, code, events.now()))
                    await asyncio.sleep_ms(self.backoff_ms << (tries - 1))
                    continue
                self.store.log(key, "R %d %d %d %s %d" % (r, p, tries, code, events.now()))
                self._fail(key, meta, r, _cms_reason(e))
                return False
            except Exception as e:  # ATTimeout or worse: the part may have gone out
                return self._uncertain(key, meta, r, p, e)
            self.store.log(key, "M %d %d %d %d" % (r, p, mr, events.now()))
            if meta["srr"]:  # a status report will come back: remember who got this TP-MR
                self.store.set_mr(mr, key, r, p)
            return True

    def _uncertain(self, key, meta, r, p, e):
        self.store.log(key, "U %d %d %d" % (r, p, events.now()))
        self.counters["uncertain"] += 1
        log.warn("part %d of %s uncertain: %s", p, meta["id"], e)
        return None

    def _fail(self, key, meta, r, reason):
        self.store.log(key, "F %d %d %s" % (r, events.now(), reason))
        self._emit(FAILED, meta, r, reason)


def _cms_reason(e):
    if e.kind == "CMS" and e.code is not None:
        return "+CMS ERROR: %s (%s)" % (e.code, e.text or CMS_TEXT.get(e.code, "see 27.005"))
    return "%s %s" % (e.kind, e.text or e.code or "")
