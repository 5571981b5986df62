# The inbox's code (queue/inbox.py keeps its state and its two tasks): storing a received SMS
# durably, reassembling multipart, dedup, eviction; reading it is queue/inbox_view.py's. Loaded
# for each use and forgotten once the inbox is idle (Inbox.release): an idle board, or one busy
# sending, does not carry it in its heap. Every function takes the Inbox as `ib`.
#
# Layout under <root>/in/: one file per message, "<seq>" (8 digits, JSON), and "parts" (JSON
# lines of parts waiting for their siblings; rewritten when a group completes).
# Bound: at most inbox.max_messages files. Eviction is oldest first, preferring messages already
# delivered to the API (fetched by GET /inbox, or handed to an event subscriber when stored);
# when none of the 8 oldest was delivered the oldest goes anyway and `evicted_unread` counts it.
import time

from smsgw import clock, events, log
from smsgw.queue.inbox_view import get, path

_SCAN = 8  # how far from the oldest to look for an already-delivered message to evict
_SEEN = 64  # PDU hashes remembered for dedup


def _hash(h):
    import hashlib
    import binascii

    return binascii.hexlify(hashlib.sha256(h.encode()).digest()[:6]).decode()


def load(ib):
    import os

    try:
        os.mkdir(ib.dir)
    except OSError:
        pass
    seqs = [int(n) for n in os.listdir(ib.dir) if len(n) == 8 and n.isdigit()]
    if seqs:
        ib.first, ib.next = min(seqs), max(seqs) + 1
    stored = []
    for s in range(max(ib.first, ib.next - _SEEN), ib.next):
        m = get(ib, s)
        if m:
            _remember(ib, m.get("h"))
            stored.append(m.get("h"))
    now = time.ticks_ms()
    for p in _parts(ib):
        _remember(ib, p["h"])
        done = reasm(ib).add(p["k"], p["r"], p["t"], p["s"], p["x"], now)
        if done is not None:  # completed before a crash cut the parts rewrite short
            _complete(ib, p, done, stored)


def reasm(ib):
    if ib._re is None:
        from smsgw.codec.concat import Reassembler

        ib._re = Reassembler(ib.orphan_ms)
    return ib._re


def _parts(ib):
    import json

    out = []
    try:
        with open(ib.dir + "/parts") as f:
            for line in f:
                if line.endswith("\n"):
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass
    except OSError:
        pass
    return out


def _remember(ib, h):
    # kept as 28-bit small ints (no heap object each: 64 hash strings took ~2 KB)
    t = int(h[:7], 16) if h else None
    if t is not None and t not in ib.seen:
        ib.seen.append(t)
        if len(ib.seen) > _SEEN:
            ib.seen.pop(0)


def _write(ib, msg):
    """Store one complete (or orphaned) message durably; returns it with its id."""
    from smsgw.fsutil import write_json

    seq = ib.next
    msg["id"] = "%s-%d" % (msg["h"], seq)
    msg["d"] = 1 if events.count() else 0
    write_json(path(ib, seq), msg)
    ib.next = seq + 1
    _evict(ib)
    return msg


def _evict(ib):
    import os

    while ib.next - ib.first > ib.max:
        victim = None
        for s in range(ib.first, min(ib.first + _SCAN, ib.next)):
            m = get(ib, s)
            if m is None or s < ib.fetched or m.get("d"):
                victim = s
                break
        if victim is None:
            victim = ib.first
            ib.counters["evicted_unread"] += 1
        try:
            os.remove(path(ib, victim))
            ib.counters["evicted"] += 1
        except OSError:
            pass
        while ib.first < ib.next and get(ib, ib.first) is None:
            ib.first += 1


def handle(ib, index, h, d):
    # Inbox.handle (its docstring says what True means), with `d` the PDU as decoded there (a
    # dict) or the PduError that says why it is not one
    if not isinstance(d, dict):
        ib.counters["bad_pdus"] += 1
        log.warn("undecodable PDU at %s: %s: %s", index, d, h)
        return True
    if d.get("type") == "status_report":  # the modem routes these to the outbox
        ib.counters["bad_pdus"] += 1
        log.warn("status report in the inbox at %s: %s", index, h)
        return True
    hh = _hash(h)
    if int(hh[:7], 16) in ib.seen:
        ib.counters["duplicates"] += 1
        return True
    try:
        _store(ib, d, hh)
    except OSError as e:
        ib.counters["store_errors"] += 1
        log.error("inbox store failed: %s", e)
        return False
    _remember(ib, hh)
    return True


def _store(ib, d, hh):
    c = (d.get("udh") or {}).get("concat")
    number = d.get("number", "")
    text = d.get("text")
    binary = text is None  # 8-bit data (a data SMS): kept as hex, "b" marks it
    if binary:
        text = d.get("data", "")
    at = clock.now()
    if at is None:  # the clock is unset (an ESP32 before timesync): the network's own time
        from smsgw.scts import unix

        at = unix(d.get("scts")) or clock.unix()
    # An alphanumeric sender ID may spell a number ("+1555000001"): it is marked ("a") so
    # that nothing trusts it as that number (SMS commands, ACK); a part from one taints
    # its whole message.
    alnum = d.get("number_type") == "alphanumeric"
    if not c or c["total"] <= 1:
        m = {"h": hh, "n": number, "x": text, "at": at, "ts": d.get("scts")}
        if alnum:
            m["a"] = 1
        if binary:
            m["b"] = 1
        _deliver(ib, m)
        return
    import json

    p = {"h": hh, "k": number, "r": c["ref"], "t": c["total"], "s": c["seq"], "x": text,
         "at": at, "ts": d.get("scts")}
    if alnum:
        p["a"] = 1
    if binary:
        p["b"] = 1
    from smsgw.fsutil import append

    append(ib.dir + "/parts", json.dumps(p) + "\n")  # a torn tail is cut off first
    ib.counters["parts"] += 1
    done = reasm(ib).add(number, c["ref"], c["total"], c["seq"], text, time.ticks_ms())
    if done is not None:
        _complete(ib, p, done)


def _complete(ib, p, text, stored=()):
    # The whole message first, then drop its parts. A crash between the two: at open()
    # the group completes again, and `stored` (hashes of stored messages) says it is done.
    group = (p["k"], p["r"], p["t"])
    parts = _parts(ib)
    mine = [q for q in parts if (q["k"], q["r"], q["t"]) == group]
    first = min(mine, key=lambda q: q["at"]) if mine else p
    if first["h"] not in stored:
        _deliver(ib, _tainted({"h": first["h"], "n": p["k"], "x": text, "at": first["at"],
                                "ts": first.get("ts"), "parts": p["t"]}, mine + [p]))
    _rewrite_parts(ib, [q for q in parts if (q["k"], q["r"], q["t"]) != group])


def _rewrite_parts(ib, keep):
    import json
    from smsgw.fsutil import write_atomic

    write_atomic(ib.dir + "/parts", "".join(json.dumps(q) + "\n" for q in keep).encode())


def _deliver(ib, msg):
    # The hand-off intent (before the write) covers a power cut before the event is queued.
    ho = ib.store.handoff if ib.store is not None and events.count() else None
    if ho is not None:
        ho.begin("i %d" % ib.next)
    try:
        msg = _write(ib, msg)
        ib.counters["received"] += 1
        if events.count():  # the payload only when something listens
            from smsgw.queue.sms_events import received

            received(msg)
    except Exception:  # not a power cut: nothing is left half done for a replay
        if ho is not None:
            ho.done()
        raise
    if ho is not None:
        ho.done()


def expire(ib):
    # Inbox.expire (which calls it only with a Reassembler)
    n = 0
    for key, ref, partial, missing in ib._re.expire(time.ticks_ms()):
        parts = _parts(ib)
        mine = [q for q in parts if q["k"] == key and q["r"] == ref]
        first = min(mine, key=lambda q: q["at"]) if mine else {"h": "", "at": events.now()}
        _deliver(ib, _tainted({"h": first["h"], "n": key, "x": partial, "at": first["at"],
                                "ts": first.get("ts"), "missing": missing}, mine))
        _rewrite_parts(ib, [q for q in parts if not (q["k"] == key and q["r"] == ref)])
        ib.counters["incomplete"] += 1
        n += 1
    return n


def _tainted(m, parts):
    # a part from an alphanumeric sender ("a") marks its whole message; binary parts ("b")
    # make a data message
    for q in parts:
        for f in ("a", "b"):
            if q.get(f):
                m[f] = 1
    return m
