# Message state from a message's journal (pure: no I/O, runs on CPython too).
# States are android-sms-gateway's: Pending -> Processed -> Sent -> Delivered | Failed, and
# Cancelled. Journal line formats are documented in outbox.py.
from smsgw import events

PENDING = "Pending"
PROCESSED = "Processed"
SENT = "Sent"
DELIVERED = "Delivered"
FAILED = "Failed"
CANCELLED = "Cancelled"
STATES = (PENDING, PROCESSED, SENT, DELIVERED, FAILED, CANCELLED)


# A recipient record: [np, {part: S|M|R|U}, {part: TP-ST}, reason, {part: tries}, times]
# times = [processed, sent, delivered, failed]


def scan(meta, jr):
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


def rstate(rec, cancelled):
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


def work(rs, cancelled):
    for rec in rs:
        if rstate(rec, cancelled) in (PENDING, PROCESSED):
            return True
    return False


def aggregate(sts):
    for s in (PENDING, PROCESSED):
        if s in sts:
            return s
    for s in (DELIVERED, FAILED, CANCELLED):
        if all(x == s for x in sts):
            return s
    return SENT


def times(rs, cancelled, state, states):
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


def segments(meta, rs):
    return max(1, (len(meta["text"]) + 152) // 153) * len(rs)
