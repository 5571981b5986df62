# The message journal: the one home of every record the outbox appends to a message's journal
# (store.log / store.journal do the file I/O) and of the state those records add up to.
# States are android-sms-gateway's: Pending -> Processed -> Sent -> Delivered | Failed, and
# Cancelled. Records, one line each, times in Unix seconds:
#   S r p np t       part p of recipient r handed to AT+CMGS (np = parts of that recipient)
#   M r p mr t       +CMGS answered with TP-MR mr
#   R r p n code t   temporary error, retry n (code: +CMS code or None)
#   U r p t          uncertain: S without an answer before a crash/timeout; never resent
#   D r p st t       status report (TP-ST < 32 delivered, >= 64 failed; 32..63 not journaled)
#   F r t why        recipient failed (why: free text to the end of the line)
#   C t              cancelled while Pending
# A line that does not parse (damaged flash) is skipped and counted in Journal.bad.
import os

from smsgw import events
from smsgw.fsutil import append

from micropython import const

PENDING = "Pending"
PROCESSED = "Processed"
SENT = "Sent"
DELIVERED = "Delivered"
FAILED = "Failed"
CANCELLED = "Cancelled"
STATES = (PENDING, PROCESSED, SENT, DELIVERED, FAILED, CANCELLED)

# record fields (index into the split line)
_KIND = const(0)
_RCPT = const(1)
_PART = const(2)
_S_NP = const(3)
_S_T = const(4)
_M_T = const(4)
_R_TRIES = const(3)
_U_T = const(3)
_D_ST = const(3)
_D_T = const(4)
_F_T = const(2)
_F_WHY = const(3)
_C_T = const(1)

# a recipient's scanned state: [np, {part: S|M|R|U}, {part: TP-ST}, why, {part: tries}, times]
_NP = const(0)
_CODES = const(1)
_REPORTS = const(2)
_WHY = const(3)
_TRIES = const(4)
_TIMES = const(5)
# times: [processed, sent, delivered, failed]
_T_PROC = const(0)
_T_SENT = const(1)
_T_DELIV = const(2)
_T_FAIL = const(3)

_UNCERTAIN = ("uncertain: part %d/%d may have been sent before a power loss or modem timeout; "
              "not resent")


class Journal:
    """One message's journal, scanned once: the state of each recipient, kept up to date by
    the writers below (so the sender does not re-read flash for every part).

    Args:
        store: the Store; key, meta: the message (meta["to"] = recipients).
        lines: the journal's lines split into fields (None: read from the store).
        on_change: fn(journal, r, before, after) called after a record moved recipient r to
            Sent, Delivered or Failed (the outbox emits the event there); while it runs, a
            hand-off intent (Handoff below) covers a power cut before the event is queued.
    A failed write leaves this object ahead of flash: drop it and scan again.
    """

    def __init__(self, store, key, meta, lines=None, on_change=None):
        self.store = store
        self.key = key
        self.meta = meta
        self.on_change = on_change
        self.rs = [[0, {}, {}, None, {}, [0, 0, 0, 0]] for _ in meta["to"]]
        self.cancelled = 0
        self.bad = 0
        for f in store.journal(key) if lines is None else lines:
            try:
                self._apply(f)
            except (ValueError, IndexError):
                self.bad += 1

    def _apply(self, f):
        c = f[_KIND]
        if c == "C":
            self.cancelled = int(f[_C_T])
            return
        r = int(f[_RCPT])
        if r >= len(self.rs):
            return
        rec = self.rs[r]
        t = rec[_TIMES]
        if c == "F":
            rec[_WHY] = " ".join(f[_F_WHY:])
            t[_T_FAIL] = int(f[_F_T])
            return
        p = int(f[_PART])
        if c == "S":
            rec[_NP] = int(f[_S_NP])
            t[_T_PROC] = t[_T_PROC] or int(f[_S_T])
        elif c == "M":
            t[_T_SENT] = int(f[_M_T])
        elif c == "U":
            t[_T_SENT] = int(f[_U_T])
        elif c == "R":
            rec[_TRIES][p] = int(f[_R_TRIES])
        elif c == "D":
            st = int(f[_D_ST])
            rec[_REPORTS][p] = st
            if st >= 64:
                rec[_WHY] = "delivery failed: TP-ST %d" % st
                t[_T_FAIL] = int(f[_D_T])
            else:
                t[_T_DELIV] = int(f[_D_T])
            return
        else:
            raise ValueError(c)
        rec[_CODES][p] = c

    # -- writing ---------------------------------------------------------------------------
    def _log(self, line, r):
        before = self.rstate(r) if r is not None else None
        self._apply(line.split(" "))
        after = self.rstate(r) if r is not None else None
        change = after != before and after in (SENT, DELIVERED, FAILED)
        handoff = change and self.on_change is not None and events.count()
        if handoff:  # a power cut before the event is queued: replayed at boot
            self.store.handoff.begin("o %s %d %s" % (self.key, r, before))
        try:
            self.store.log(self.key, line)
            if change and self.on_change is not None:
                self.on_change(self, r, before, after)
        except Exception:  # not a power cut: nothing is left half done for a replay
            if handoff:
                self.store.handoff.done()
            raise
        if handoff:
            self.store.handoff.done()

    def add(self, kind, r=0, p=0, x=0, code=None):
        """Append one record: kind "S" (x = np), "M" (x = TP-MR), "R" (x = tries, code),
        "U", "D" (x = TP-ST), "F" (x = why), "C" (r, p unused); the time is now."""
        t = events.now()
        if kind == "C":
            self._log("C %d" % t, None)
        elif kind == "F":
            self._log("F %d %d %s" % (r, t, x), r)
        elif kind == "U":
            self._log("U %d %d %d" % (r, p, t), r)
        elif kind == "R":
            self._log("R %d %d %d %s %d" % (r, p, x, code, t), r)
        else:
            self._log("%s %d %d %d %d" % (kind, r, p, x, t), r)

    # -- readers ---------------------------------------------------------------------------
    def code(self, r, p):
        """The last sending record of part p of recipient r: "S", "M", "R", "U" or None."""
        return self.rs[r][_CODES].get(p)

    def tries(self, r, p):
        return self.rs[r][_TRIES].get(p, 0)

    def why(self, r):
        """Why recipient r failed, or None."""
        return self.rs[r][_WHY]

    def rstate(self, r):
        rec = self.rs[r]
        np, codes, reps = rec[_NP], rec[_CODES], rec[_REPORTS]
        if rec[_WHY]:
            return FAILED
        if not codes:
            return CANCELLED if self.cancelled else PENDING
        if np and all(codes.get(p) in ("M", "U") for p in range(np)):
            if all(reps.get(p, 99) < 32 for p in range(np)):
                return DELIVERED
            return SENT
        return PROCESSED

    def error(self, r):
        """The recipient's `error` in the status object: why it failed, or the uncertain part."""
        rec = self.rs[r]
        if rec[_WHY]:
            return rec[_WHY]
        for p, c in rec[_CODES].items():
            if c == "U":
                return _UNCERTAIN % (p + 1, rec[_NP])
        return None

    def work(self):
        """True while some recipient still has something to send."""
        for r in range(len(self.rs)):
            if self.rstate(r) in (PENDING, PROCESSED):
                return True
        return False

    def times(self, state, states):
        """Fill `states` ({state: ISO time}) with the times the journal recorded."""
        rs = self.rs

        def pick(i, use_max):
            v = [r[_TIMES][i] for r in rs if r[_TIMES][i]]
            return (max(v) if use_max else min(v)) if v else 0

        t = pick(_T_PROC, False)
        if t:
            states[PROCESSED] = events.iso(t)
        if state in (SENT, DELIVERED, FAILED) and pick(_T_SENT, True):
            states[SENT] = events.iso(pick(_T_SENT, True))
        if state == DELIVERED:
            states[DELIVERED] = events.iso(pick(_T_DELIV, True))
        if state == FAILED:
            states[FAILED] = events.iso(pick(_T_FAIL, True))
        if state == CANCELLED and self.cancelled:
            states[CANCELLED] = events.iso(self.cancelled)


def aggregate(sts):
    """The message state from its recipients' states."""
    for s in (PENDING, PROCESSED):
        if s in sts:
            return s
    for s in (DELIVERED, FAILED, CANCELLED):
        if all(x == s for x in sts):
            return s
    return SENT


# Event hand-off intents: the events of state changes (sms:sent/delivered/failed/received) are
# emitted synchronously after the change is in flash, and a handler that keeps them (the webhook
# journal) queues them durably before emit() returns. A power cut between the state change and
# that queueing would lose the event, so an intent line goes to `path` (the store's "ev") before
# the change, and the file is removed once the handlers have the event. Lines a power cut left
# (`left`, read at boot) are replayed by Outbox.replay / Inbox.replay: an event may repeat, never
# vanish.
#   o <key> <r> <state before>   a journal record about to change recipient r of message key
#   i <seq>                      the inbox about to store message <seq>
class Handoff:
    def __init__(self, path):
        self.path = path
        self.open = 0  # intents begun and not done
        self.left = self._read()  # [fields, ...] of intents a power cut left, until replayed()

    def _read(self):
        try:
            with open(self.path) as f:
                lines = f.read().split("\n")
        except OSError:
            return []
        lines.pop()  # "" after the last "\n", or a torn tail
        return [ln.split(" ") for ln in lines if ln]

    def begin(self, line):
        """Before a state change whose event is about to be emitted."""
        append(self.path, line + "\n")
        self.open += 1

    def done(self):
        """The event is emitted: drop the file once no intent is open or waiting for replay and
        no handler holds an event in RAM (events.held; a later done() drops it then)."""
        self.open = max(0, self.open - 1)
        if not self.open and not self.left and not events.held:
            try:
                os.remove(self.path)
            except OSError:
                pass

    def replayed(self):
        """The intents in `left` are handled (at boot, once the event handlers subscribed)."""
        self.left = []
        self.open += 1
        self.done()
