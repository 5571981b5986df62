# The sending order of messages that do not simply go first-in first-out: a priority other
# than 0 (android-sms-gateway's -128..127) or a scheduleAt. Their keys are in the store's
# priority index (pri.<gen>, acceptance order); this keeps the ones with work left in RAM as
# [priority, index record, key, scheduleAt] (no flash read to choose), built from the index
# at the first use after boot, so a scheduled message survives a reboot with its message file.
# Imported only while such messages exist: plain traffic never loads it.
from smsgw import clock


class Order:
    """Chooses among the prioritized / scheduled messages of an Outbox."""

    def __init__(self, outbox):
        self.outbox = outbox
        self.items = []
        s = outbox.store
        for i in range(s.pcur, s.count(True)):
            key = s.key_at(i, True)
            meta = s.get(key) if key else None
            if meta is not None and outbox._journal(key, meta).work():
                self.add(key, meta, i)

    def add(self, key, meta, i):
        self.items.append([meta["prio"], i, key, meta.get("at", 0)])

    def pick(self, high):
        """The next due message as a scanned Journal, or None. high: priority >= 0 (they go
        before plain FIFO traffic; an unscheduled one here has priority > 0), else < 0 (after
        it). Highest priority first, then acceptance order. Drops finished entries."""
        t = clock.now() or 0  # an unset clock: nothing scheduled is due
        ob = self.outbox
        while True:
            best = None
            for it in self.items:
                if (it[0] >= 0) == high and (not it[3] or it[3] <= t):
                    if best is None or it[0] > best[0] or (it[0] == best[0] and it[1] < best[1]):
                        best = it
            if best is None:
                return None
            meta = ob.store.get(best[2])
            j = ob._journal(best[2], meta) if meta is not None else None
            if j is not None and j.work():
                return j
            self.items.remove(best)
            self._advance()

    def done(self, key):
        """Message `key` needs nothing more (sent, failed, cancelled): forget it."""
        for it in self.items:
            if it[2] == key:
                self.items.remove(it)
                self._advance()
                return

    def _advance(self):
        # the store's priority cursor: up to the oldest entry still waiting (a lower bound,
        # saved with the FIFO cursor)
        s = self.outbox.store
        s.pcur = min([it[1] for it in self.items] or [s.count(True)])



def annotate(st, meta):
    """Add a scheduled message's scheduleAt to its status object `st`, and while it is Pending
    with the clock unset, why it waits (in each recipient's error)."""
    from smsgw import events

    st["scheduleAt"] = events.iso(meta["at"])
    if st["state"] == "Pending" and not clock.is_set():
        for x in st["recipients"]:
            x["error"] = x["error"] or "scheduled: waiting for the clock to be set"
