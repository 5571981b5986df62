# Durable deliveries (webhooks, e-mail): an append-only journal in flash plus a small, bounded
# dead-letter file, and the one loop that works through them (serve).
#
# Journal lines (text, one record each, the body is the exact JSON envelope that gets signed):
#   S <next_seq>                    sequence watermark (first line after a compaction)
#   A <seq> <tries> <wid> <body>    a delivery was queued (or re-queued with its tries)
#   T <seq> <tries>                 a try failed; tries is now <tries>
#   D <seq>                         finished: delivered, moved to the dead list, or dropped
# One event costs one appended line and one short line per try; the file is rewritten only when
# finished records outweigh live ones (compaction, write-then-rename) and once at boot.
# RAM per pending delivery: [seq, tries, due_ms, offset] -- the body stays in flash.
# A torn last line (power cut mid-append) is ignored at load; the boot compaction drops it.
# Reading the journal back, compaction and the dead list are net/queue_upkeep.py's, loaded for
# that work and forgotten after it.
from micropython import const

from smsgw import events
from smsgw.clock import ticks_add, ticks_diff, ticks_ms


_COMPACT_MIN = const(4096)  # never compact a journal smaller than this (bytes)
_HELD_MAX = const(8)  # events held for want of heap (Journal.hold); beyond, the oldest goes
_HELD_RETRY_MS = const(1000)  # how soon serve() tries to journal held events again


class Journal:
    """Pending deliveries (journal) and the dead-letter list (small file) in directory `root`.

    Args:
        root: directory for the files; queue_max: pending deliveries kept (the oldest is moved to
        the dead list with reason "overflow" when a new one arrives); dead_max: dead entries kept
        (the oldest is dropped and counted in `dropped`); name: file name prefix (one journal
        per feature: "wh" webhooks, "mail" e-mail).
    """

    def __init__(self, root, queue_max=64, dead_max=20, name="wh"):
        self.path = root + "/" + name + "_queue.log"
        self.dead_path = root + "/" + name + "_dead.log"
        self.queue_max = queue_max
        self.dead_max = dead_max
        self.pending = []  # [seq, tries, due_ms, offset], in seq order
        self.next_seq = 1
        self.dropped = 0  # dead entries pushed out of the bounded dead list
        self.held = []  # [(fn, args)]: events no heap could journal yet (hold)
        self.busy = None  # the entry being delivered right now: never the overflow victim
        self.corrupt = 0  # journal lines that could not be parsed (skipped at load)
        self._size = 0
        self._finished = 0  # finished records since the last compaction
        self._upkeep("open_journal")

    # -- writing -------------------------------------------------------------------------------
    def _append(self, line):
        with open(self.path, "ab") as f:
            f.write(line)
        self._size += len(line)

    def add(self, wid, body, tries=0):
        """Queue `body` (bytes, one line) for webhook `wid`; returns the moved-out entry or None.

        When the queue is full the oldest pending delivery goes to the dead list ("overflow").
        """
        moved = None
        if len(self.pending) >= self.queue_max:
            moved = self.pending[0]
            if moved is self.busy and len(self.pending) > 1:
                moved = self.pending[1]
            self.to_dead(moved, "overflow")
        seq = self.next_seq
        self.next_seq += 1
        line = b"A %d %d %s %s\n" % (seq, tries, wid.encode(), body)
        off = self._size
        self._append(line)
        self.pending.append([seq, tries, ticks_ms(), off])
        return moved

    def hold(self, counters, fn, *args):
        """`fn(*args)` journals an event (adds its deliveries), after the events held before it.
        With no heap for that now (MemoryError) the event is held, 8 at most (beyond, the oldest
        is dropped: counters["lost"]), and serve() journals it a second later: an event met
        during a heap shortage is delivered late, not lost. Other errors are raised."""
        held = self.held
        held.append((fn, args))
        events.held += 1
        self.journal_held(counters)
        if len(held) > _HELD_MAX:
            held.pop(0)
            events.held -= 1
            counters["lost"] += 1

    def journal_held(self, counters):
        # the held events in their order; any error but MemoryError loses that one, as it was
        # at its time (flash trouble: raised, the caller says)
        held = self.held
        while held:
            item = held.pop(0)
            events.held -= 1
            try:
                item[0](*item[1])
            except MemoryError:  # still no heap: this one (the head again) and the rest wait
                held.insert(0, item)
                events.held += 1
                counters["oom"] += 1
                return

    def read(self, entry):
        """-> (wid, body bytes) of a pending entry, read back from flash."""
        with open(self.path, "rb") as f:
            f.seek(entry[3])
            line = f.readline()
        parts = line.split(b" ", 4)
        if parts[0] != b"A" or int(parts[1]) != entry[0]:
            raise OSError("journal offset")
        return parts[3].decode(), parts[4].rstrip(b"\n")

    def failed(self, entry, delay_ms):
        """Record a failed try; the entry becomes due again after `delay_ms`."""
        if entry not in self.pending:  # moved away (overflow) while it was being tried
            return
        entry[1] += 1
        entry[2] = ticks_add(ticks_ms(), int(delay_ms))
        self._append(b"T %d %d\n" % (entry[0], entry[1]))

    def postpone(self, entry, delay_ms):
        """Due again after `delay_ms`, no try spent (nothing written: a reboot retries now)."""
        entry[2] = ticks_add(ticks_ms(), int(delay_ms))

    def retry_later(self, entry, cfg):
        """A failed try: due again after retry_base_s * 2**tries (capped at retry_max_s), or moved
        to the dead list once retry_count tries are spent. Returns True when it went dead."""
        if entry[1] + 1 >= cfg["retry_count"]:
            entry[1] += 1
            self.to_dead(entry, "tries")
            return True
        self.failed(entry, min(cfg["retry_base_s"] * (1 << entry[1]), cfg["retry_max_s"]) * 1000)
        return False

    def done(self, entry):
        """Remove a pending entry for good (delivered, dead or dropped)."""
        if entry not in self.pending:  # already finished (moved to the dead list)
            return
        self._append(b"D %d\n" % entry[0])
        self.pending.remove(entry)
        self._finished += 1
        if self._size > _COMPACT_MIN and self._finished > 2 * len(self.pending) + 8:
            self._upkeep("compact")

    def due(self):
        """-> (entry, wait_ms) of the earliest-due pending delivery, or (None, 0)."""
        best = None
        now = ticks_ms()
        for e in self.pending:
            if best is None or ticks_diff(e[2], best[2]) < 0:
                best = e
        if best is None:
            return None, 0
        return best, max(0, ticks_diff(best[2], now))

    # -- away from the deliveries: net/queue_upkeep.py, loaded for it --------------------------
    def to_dead(self, entry, reason):
        """Move a pending entry to the dead list (bounded: the oldest dead entry is dropped)."""
        self._upkeep("to_dead", entry, reason)

    def dead(self):
        """-> [(wid, tries, reason, body bytes)], oldest first (at most dead_max + 1 lines)."""
        return self._upkeep("dead")

    def take_dead(self, keep):
        """Remove dead entries for which `keep(wid, body)` is False; return the removed ones."""
        return self._upkeep("take_dead", keep)

    def _upkeep(self, what, *args):
        from smsgw import call_loaded

        return call_loaded("smsgw.net.queue_upkeep", what, self, *args)


async def serve(queue, wake, deliver, counters, what, online=None, release=()):
    """Work through `queue` for ever, earliest due first, one delivery at a time.

    `await deliver(entry)` makes one try and records its outcome in the journal; `wake` (an
    asyncio.Event) is set when a new delivery is queued. A flash error is counted in
    counters["io_errors"], logged as `what`, and retried a second later; a MemoryError out of
    a try is counted in counters["oom"] and the entry is due again a second later. While the Event
    `online` (ctx.online: net/wifi.py) is clear, nothing is tried: deliveries wait in the
    journal without spending their tries. `release`: the modules only a delivery needs, forgotten
    each time the journal has no delivery left (before the loop sleeps). Events held for want
    of heap (Journal.hold) are journaled here, looked at again every second while any is held.
    """
    import asyncio

    from smsgw import forget

    while True:
        try:
            if queue.held:
                queue.journal_held(counters)
            if online is not None and not online.is_set():
                try:  # held events are still written meanwhile (no network needed)
                    await asyncio.wait_for_ms(online.wait(),
                                              _HELD_RETRY_MS if queue.held else 3600000)
                except asyncio.TimeoutError:
                    pass
                continue
            entry, wait_ms = queue.due()
            if entry is None or wait_ms > 0:
                if entry is None and release and not queue.held:
                    forget(*release)
                wait_ms = wait_ms or 3600000
                if queue.held:
                    wait_ms = min(wait_ms, _HELD_RETRY_MS)
                wake.clear()
                try:
                    await asyncio.wait_for(wake.wait(), wait_ms / 1000)
                except asyncio.TimeoutError:
                    pass
                continue
            queue.busy = entry
            try:
                await deliver(entry)
            except MemoryError:  # no heap for this try (reading the entry back, the client):
                queue.postpone(entry, 1000)  # due again in a second, no try spent
                raise
            finally:
                queue.busy = None
        except MemoryError:  # no heap for this round (a try, a wait, the due entry, the held
            # events): counted, the loop looks again in a second; the task lives on
            counters["oom"] += 1
            import gc

            gc.collect()
            await asyncio.sleep_ms(1000)
        except OSError as exc:  # flash trouble (a try, a held event: that one is lost, as it
            # was at its time): count, say it, try again a second later
            counters["io_errors"] += 1
            from smsgw import log

            log.exc(what, exc)
            await asyncio.sleep_ms(1000)
