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

from smsgw import events, log
from smsgw.store import key_of

PENDING = "Pending"
PROCESSED = "Processed"
SENT = "Sent"
DELIVERED = "Delivered"
FAILED = "Failed"
CANCELLED = "Cancelled"
STATES = (PENDING, PROCESSED, SENT, DELIVERED, FAILED, CANCELLED)

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
_UNCERTAIN = "uncertain: part %d/%d may have been sent before a power loss or modem timeout; not resent"


class Outbox:
    """Accepts, stores, sends and tracks outgoing SMS.

    Args:
        store: an opened smsgw.store.Store.
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
                         "reports": 0, "unpaired_reports": 0, "paced": 0}
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
        if not isinstance(b, dict):
            raise ValueError("body must be a JSON object")
        if b.get("isEncrypted"):
            raise ValueError("isEncrypted: encrypted messages are not supported")
        if "dataMessage" in b or "mmsMessage" in b:
            raise ValueError("only textMessage is supported")
        tm = b.get("textMessage")
        if tm is not None and "message" in b:
            raise ValueError("give textMessage or message, not both")
        text = tm.get("text") if isinstance(tm, dict) else b.get("message")
        if not isinstance(text, str) or not text:
            raise ValueError("textMessage.text: a non-empty string is required")
        if len(text) > self.max_text:
            raise ValueError("textMessage.text: longer than %d characters" % self.max_text)
        nums = b.get("phoneNumbers")
        if not isinstance(nums, list) or not nums or len(nums) > self.max_rcpt:
            raise ValueError("phoneNumbers: a list of 1..%d numbers is required" % self.max_rcpt)
        for n in nums:
            if not _valid_number(n):
                raise ValueError("phoneNumbers: invalid number %r" % (n,))
        mid = b.get("id")
        if mid is None:
            mid = _new_id()
        elif not isinstance(mid, str) or not 0 < len(mid) <= 64:
            raise ValueError("id: a string of 1..64 characters")
        sim = b.get("simNumber")
        if sim is not None and sim != 1:
            raise ValueError("simNumber: this gateway has one SIM (1)")
        prio = b.get("priority", 0)
        if not _is_int(prio) or not -128 <= prio <= 127:
            raise ValueError("priority: an integer -128..127")
        srr = b.get("withDeliveryReport", True)
        if not isinstance(srr, bool):
            raise ValueError("withDeliveryReport: a boolean")
        now = events.now()
        return {"id": mid, "to": nums, "text": text, "srr": srr, "prio": prio, "t": now,
                "exp": _expiry(b, now), "ref": _rand8()}

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
        if self.task:
            self.task.cancel()
            try:
                await self.task
            except (asyncio.CancelledError, Exception):
                pass
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
        if moved:
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
        from smsgw import pdu

        validity = max(300, meta["exp"] - events.now()) if meta["exp"] else None
        try:
            enc, parts = pdu.encode_submit(meta["to"][r], meta["text"], srr=meta["srr"],
                                           ref=meta["ref"], validity_s=validity)
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
        from smsgw.errors import ATError, ATTimeout

        while True:
            if self.modem is None:
                return None
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


# -- journal replay (pure) -----------------------------------------------------------------
# A recipient record: [np, {part: S|M|R|U}, {part: TP-ST}, reason, {part: tries}, times]
# times = [processed, sent, delivered, failed]


def _scan(meta, jr):
    rs = [[0, {}, {}, None, {}, [0, 0, 0, 0]] for _ in meta["to"]]
    cancelled = 0
    for f in jr:
        c = f[0]
        if c == "C":
            cancelled = int(f[1])
            continue
        r = int(f[1])
        if r >= len(rs):
            continue
        rec = rs[r]
        t = rec[5]
        if c == "F":
            rec[3] = " ".join(f[3:])
            t[3] = int(f[2])
            continue
        p = int(f[2])
        if c == "S":
            rec[0] = int(f[3])
            rec[1][p] = "S"
            t[0] = t[0] or int(f[4])
        elif c == "M":
            rec[1][p] = "M"
            t[1] = int(f[4])
        elif c == "U":
            rec[1][p] = "U"
            t[1] = int(f[3])
        elif c == "R":
            rec[1][p] = "R"
            rec[4][p] = int(f[3])
        elif c == "D":
            st = int(f[3])
            rec[2][p] = st
            if st >= 64:
                rec[3] = "delivery failed: TP-ST %d" % st
                t[3] = int(f[4])
            else:
                t[2] = int(f[4])
    return rs, cancelled


def _rstate(rec, cancelled):
    np, parts, reps = rec[0], rec[1], rec[2]
    if rec[3]:
        return FAILED
    if not parts:
        return CANCELLED if cancelled else PENDING
    if np and all(parts.get(p) in ("M", "U") for p in range(np)):
        if all(reps.get(p, 99) < 32 for p in range(np)):
            return DELIVERED
        return SENT
    return PROCESSED


def _work(rs, cancelled):
    for rec in rs:
        if _rstate(rec, cancelled) in (PENDING, PROCESSED):
            return True
    return False


def _aggregate(sts):
    for s in (PENDING, PROCESSED):
        if s in sts:
            return s
    for s in (DELIVERED, FAILED, CANCELLED):
        if all(x == s for x in sts):
            return s
    return SENT


def _times(rs, cancelled, state, states):
    def pick(i, use_max):
        v = [r[5][i] for r in rs if r[5][i]]
        return (max(v) if use_max else min(v)) if v else 0

    t = pick(0, False)
    if t:
        states[PROCESSED] = events.iso(t)
    if state in (SENT, DELIVERED, FAILED) and pick(1, True):
        states[SENT] = events.iso(pick(1, True))
    if state == DELIVERED:
        states[DELIVERED] = events.iso(pick(2, True))
    if state == FAILED:
        states[FAILED] = events.iso(pick(3, True))
    if state == CANCELLED and cancelled:
        states[CANCELLED] = events.iso(cancelled)


def _segments(meta, rs):
    return max(1, (len(meta["text"]) + 152) // 153) * len(rs)


# -- small parsers --------------------------------------------------------------------------
def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _valid_number(n):
    if not isinstance(n, str):
        return False
    d = n[1:] if n.startswith("+") else n
    return 0 < len(d) <= 20 and all("0" <= c <= "9" for c in d)


def _same(a, b):
    """Same phone number, ignoring "+" and the national/international prefix difference."""
    da = "".join(c for c in a if "0" <= c <= "9")
    db = "".join(c for c in (b or "") if "0" <= c <= "9")
    n = min(len(da), len(db), 9)
    return n > 0 and da[-n:] == db[-n:]


def _rand8():
    import os

    return os.urandom(1)[0]


def _new_id():
    import os

    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "".join(alphabet[b % 62] for b in os.urandom(16))


def _expiry(b, now):
    ttl, until = b.get("ttl"), b.get("validUntil")
    if ttl is not None and until is not None:
        raise ValueError("ttl and validUntil are mutually exclusive")
    if ttl is not None:
        if not _is_int(ttl) or ttl <= 0:
            raise ValueError("ttl: a positive number of seconds")
        return now + ttl
    if until is not None:
        return parse_rfc3339(until)
    return 0


def parse_rfc3339(s):
    """Unix seconds of an RFC 3339 timestamp ("2026-01-02T03:04:05Z", "+02:00", fraction ok)."""
    try:
        if not isinstance(s, str) or len(s) < 20 or s[4] != "-" or s[10] not in "Tt ":
            raise ValueError
        y, mo, d = int(s[0:4]), int(s[5:7]), int(s[8:10])
        h, mi, sec = int(s[11:13]), int(s[14:16]), int(s[17:19])
        rest = s[19:]
        if rest.startswith("."):
            i = 1
            while i < len(rest) and "0" <= rest[i] <= "9":
                i += 1
            rest = rest[i:]
        if rest in ("Z", "z"):
            off = 0
        else:
            sign = 1 if rest[0] == "+" else -1 if rest[0] == "-" else 0
            if not sign or len(rest) != 6:
                raise ValueError
            off = sign * (int(rest[1:3]) * 3600 + int(rest[4:6]) * 60)
    except (ValueError, IndexError):
        raise ValueError("validUntil: an RFC 3339 timestamp")
    return _days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off


def _days(y, m, d):
    # days since 1970-01-01 (proleptic Gregorian; Howard Hinnant's civil algorithm)
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468
