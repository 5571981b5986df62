# The inbox: consumes modem.incoming, stores each SMS durably and only then deletes it from the
# modem; reassembles multipart (parts journaled until complete; orphans kept as incomplete
# messages after a timeout); dedups the same PDU seen twice (URC and sweep); sweeps the modem
# storage at start and periodically (status reports go to modem.reports: the outbox's).
#
# Layout under <root>/in/: one file per message, "<seq>" (8 digits, JSON), and "parts" (JSON
# lines of parts waiting for their siblings; rewritten when a group completes).
# Bound: at most inbox.max_messages files. Eviction is oldest first, preferring messages already
# delivered to the API (fetched by GET /inbox, or handed to an event subscriber when stored);
# when none of the 8 oldest was delivered the oldest goes anyway and `evicted_unread` counts it.
import asyncio
import time

from smsgw import clock, events, log
from smsgw.tasks import cancel_all

_SCAN = 8  # how far from the oldest to look for an already-delivered message to evict
_SEEN = 64  # PDU hashes remembered for dedup


def _hash(h):
    import hashlib
    import binascii

    return binascii.hexlify(hashlib.sha256(h.encode()).digest()[:6]).decode()


class Inbox:
    """Received messages.

    Args:
        root: the store directory (the inbox lives in root/in).
        cfg: full config (inbox.* read).
        modem: the Modem (incoming, sweep, delete); None for tests without one.
        ready: optional asyncio.Event-like; sweeps wait for it.
        store: the Store whose hand-off intents cover sms:received (None: not covered).
    """

    def __init__(self, root, cfg, modem=None, ready=None, store=None):
        c = cfg["inbox"]
        self.store = store  # the outbox's Store: its hand-off intents cover sms:received
        self.dir = root.rstrip("/") + "/in"
        self.max = c["max_messages"]
        self.sweep_ms = c["sweep_ms"]
        self.modem = modem
        self.ready = ready
        self.orphan_ms = max(1, c["orphan_ms"])
        self._re = None  # the Reassembler, imported on the first multipart part (~9 KB)
        self.first = self.next = 0
        self.fetched = 0  # messages with seq < fetched were returned by GET /inbox
        self.seen = []  # the last _SEEN PDU hashes, as ints (_remember)
        self.counters = {"received": 0, "parts": 0, "duplicates": 0,
                         "bad_pdus": 0, "store_errors": 0, "delete_errors": 0, "evicted": 0,
                         "evicted_unread": 0, "incomplete": 0, "sweeps": 0}
        self.tasks = []

    # -- storage ---------------------------------------------------------------------------
    def open(self):
        import os

        try:
            os.mkdir(self.dir)
        except OSError:
            pass
        seqs = [int(n) for n in os.listdir(self.dir) if len(n) == 8 and n.isdigit()]
        if seqs:
            self.first, self.next = min(seqs), max(seqs) + 1
        stored = []
        for s in range(max(self.first, self.next - _SEEN), self.next):
            m = self.get(s)
            if m:
                self._remember(m.get("h"))
                stored.append(m.get("h"))
        now = time.ticks_ms()
        for p in self._parts():
            self._remember(p["h"])
            done = self.reasm().add(p["k"], p["r"], p["t"], p["s"], p["x"], now)
            if done is not None:  # completed before a crash cut the parts rewrite short
                self._complete(p, done, stored)

    def reasm(self):
        if self._re is None:
            from smsgw.codec.concat import Reassembler

            self._re = Reassembler(self.orphan_ms)
        return self._re

    def _path(self, seq):
        return "%s/%08d" % (self.dir, seq)

    def get(self, seq):
        from smsgw.fsutil import read_json

        return read_json(self._path(seq))

    def _parts(self):
        import json

        out = []
        try:
            with open(self.dir + "/parts") as f:
                for line in f:
                    if line.endswith("\n"):
                        try:
                            out.append(json.loads(line))
                        except ValueError:
                            pass
        except OSError:
            pass
        return out

    def _remember(self, h):
        # kept as 28-bit small ints (no heap object each: 64 hash strings took ~2 KB)
        t = int(h[:7], 16) if h else None
        if t is not None and t not in self.seen:
            self.seen.append(t)
            if len(self.seen) > _SEEN:
                self.seen.pop(0)

    def _write(self, msg):
        """Store one complete (or orphaned) message durably; returns it with its id."""
        from smsgw.fsutil import write_json

        seq = self.next
        msg["id"] = "%s-%d" % (msg["h"], seq)
        msg["d"] = 1 if events.count() else 0
        write_json(self._path(seq), msg)
        self.next = seq + 1
        self._evict()
        return msg

    def _evict(self):
        import os

        while self.next - self.first > self.max:
            victim = None
            for s in range(self.first, min(self.first + _SCAN, self.next)):
                m = self.get(s)
                if m is None or s < self.fetched or m.get("d"):
                    victim = s
                    break
            if victim is None:
                victim = self.first
                self.counters["evicted_unread"] += 1
            try:
                os.remove(self._path(victim))
                self.counters["evicted"] += 1
            except OSError:
                pass
            while self.first < self.next and self.get(self.first) is None:
                self.first += 1

    def list(self, limit=50, offset=0, since=0, until=0, kind=None):
        """(total, [seq, ...]) newest first, optionally only those received in [since, until]
        (Unix s; 0: open) of type `kind` ("SMS" | "DATA_SMS"); render each with public(seq).
        Marks everything stored so far as delivered to the API (eviction prefers those)."""
        import os

        names = os.listdir(self.dir)
        seqs = [int(n) for n in names if len(n) == 8 and n.isdigit()]
        seqs.sort(reverse=True)
        if since or until or kind:  # reads each message (at most inbox.max_messages)
            seqs = [q for q in seqs if _matches(self.get(q), since, until, kind)]
        self.fetched = self.next
        return len(seqs), seqs[offset:offset + limit]

    def public(self, seq):
        """Message `seq` in android-sms-gateway's inbox shape, or None when gone."""
        m = self.get(seq)
        return None if m is None else _public(m)

    # -- processing ------------------------------------------------------------------------
    def handle(self, kind, index, h):
        """Process one (kind, index, hex) from the modem. Returns True when the modem copy may
        be deleted (stored durably, a duplicate, or undecodable: then its hex is in the log).
        Anything else that goes wrong (no memory, flash) keeps it on the SIM for the sweep."""
        from smsgw.codec import pdu
        from smsgw.errors import PduError

        try:
            d = pdu.decode(h)
        except PduError as e:
            self.counters["bad_pdus"] += 1
            log.warn("undecodable PDU at %s: %s: %s", index, e, h)
            return True
        if d.get("type") == "status_report":  # the modem routes these to the outbox
            self.counters["bad_pdus"] += 1
            log.warn("status report in the inbox at %s: %s", index, h)
            return True
        hh = _hash(h)
        if int(hh[:7], 16) in self.seen:
            self.counters["duplicates"] += 1
            return True
        try:
            self._store(d, hh)
        except OSError as e:
            self.counters["store_errors"] += 1
            log.error("inbox store failed: %s", e)
            return False
        self._remember(hh)
        return True

    def _store(self, d, hh):
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
            self._deliver(m)
            return
        import json

        p = {"h": hh, "k": number, "r": c["ref"], "t": c["total"], "s": c["seq"], "x": text,
             "at": at, "ts": d.get("scts")}
        if alnum:
            p["a"] = 1
        if binary:
            p["b"] = 1
        from smsgw.fsutil import append

        append(self.dir + "/parts", json.dumps(p) + "\n")  # a torn tail is cut off first
        self.counters["parts"] += 1
        done = self.reasm().add(number, c["ref"], c["total"], c["seq"], text, time.ticks_ms())
        if done is not None:
            self._complete(p, done)

    def _complete(self, p, text, stored=()):
        # The whole message first, then drop its parts. A crash between the two: at open()
        # the group completes again, and `stored` (hashes of stored messages) says it is done.
        group = (p["k"], p["r"], p["t"])
        parts = self._parts()
        mine = [q for q in parts if (q["k"], q["r"], q["t"]) == group]
        first = min(mine, key=lambda q: q["at"]) if mine else p
        if first["h"] not in stored:
            self._deliver(_tainted({"h": first["h"], "n": p["k"], "x": text, "at": first["at"],
                                    "ts": first.get("ts"), "parts": p["t"]}, mine + [p]))
        self._rewrite_parts([q for q in parts if (q["k"], q["r"], q["t"]) != group])

    def _rewrite_parts(self, keep):
        import json
        from smsgw.fsutil import write_atomic

        write_atomic(self.dir + "/parts", "".join(json.dumps(q) + "\n" for q in keep).encode())

    def _deliver(self, msg):
        # The hand-off intent (before the write) covers a power cut before the event is queued.
        ho = self.store.handoff if self.store is not None and events.count() else None
        if ho is not None:
            ho.begin("i %d" % self.next)
        try:
            msg = self._write(msg)
            self.counters["received"] += 1
            if events.count():  # the payload only when something listens
                from smsgw.queue.sms_events import received

                received(msg)
        except Exception:  # not a power cut: nothing is left half done for a replay
            if ho is not None:
                ho.done()
            raise
        if ho is not None:
            ho.done()

    def expire(self):
        """Store orphaned groups (timed out) as incomplete messages; returns how many."""
        n = 0
        if self._re is None:
            return 0
        for key, ref, partial, missing in self._re.expire(time.ticks_ms()):
            parts = self._parts()
            mine = [q for q in parts if q["k"] == key and q["r"] == ref]
            first = min(mine, key=lambda q: q["at"]) if mine else {"h": "", "at": events.now()}
            self._deliver(_tainted({"h": first["h"], "n": key, "x": partial, "at": first["at"],
                                    "ts": first.get("ts"), "missing": missing}, mine))
            self._rewrite_parts([q for q in parts if not (q["k"] == key and q["r"] == ref)])
            self.counters["incomplete"] += 1
            n += 1
        return n

    # -- tasks -----------------------------------------------------------------------------
    def start(self):
        self.tasks = [asyncio.create_task(self._consume()), asyncio.create_task(self._sweeper())]

    async def stop(self):
        await cancel_all(self.tasks, (asyncio.CancelledError, Exception))
        self.tasks = []

    async def _consume(self):
        async for kind, index, h in self.modem.incoming:
            try:
                ok = self.handle(kind, index, h)
                if ok and index is not None:
                    await self.modem.delete(index)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self.counters["delete_errors"] += 1
                log.warn("inbox: %s", e)

    async def _sweeper(self):
        while True:
            try:
                if self.ready is not None and not self.ready.is_set():
                    await self.ready.wait()
                await self.modem.sweep()
                self.counters["sweeps"] += 1
                self.expire()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warn("sweep: %s", e)
            await asyncio.sleep_ms(self.sweep_ms)


def _tainted(m, parts):
    # a part from an alphanumeric sender ("a") marks its whole message; binary parts ("b")
    # make a data message
    for q in parts:
        for f in ("a", "b"):
            if q.get(f):
                m[f] = 1
    return m


def _matches(m, since, until, kind):
    if m is None or m["at"] < since or (until and m["at"] > until):
        return False
    return kind is None or kind == ("DATA_SMS" if m.get("b") else "SMS")


def _public(m):
    # android-sms-gateway's inbox item; a data SMS's preview is its first 64 bytes in hex
    x = m["x"]
    if m.get("b"):
        x = x[:128].lower() + ("..." if len(x) > 128 else "")
    out = {"id": m["id"], "type": "DATA_SMS" if m.get("b") else "SMS", "sender": m["n"],
           "recipient": None, "simNumber": 1, "contentPreview": x,
           "createdAt": events.iso(m["at"])}
    if m.get("a"):
        out["senderType"] = "alphanumeric"
    if m.get("parts"):
        out["partsCount"] = m["parts"]
    if m.get("missing"):
        out["incomplete"] = True
        out["missingParts"] = m["missing"]
    return out
