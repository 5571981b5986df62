# Reassembly of concatenated SMS (3GPP TS 23.040 9.2.3.24.1): parts are grouped by
# (sender key, reference, total); a group is handed back complete, or as an orphan by expire()
# once it is older than the timeout or evicted because too many groups are pending. Nothing
# is dropped silently: the firmware stores orphans as incomplete messages.
try:  # the checker sees the port's signature and the CPython stand-in below as a clash
    from time import ticks_diff  # pyright: ignore[reportAssignmentType]
except ImportError:  # CPython: plain integers

    def ticks_diff(a, b):
        return a - b


class Reassembler:
    """Collects message parts until complete.

    Args:
        timeout_ms: age (since the first part) after which an incomplete group is an orphan.
        max_groups: pending groups kept at most; adding one more evicts the oldest to the
            orphan list that the next expire() returns. As many completed groups are
            remembered for timeout_ms, so a late repeat of a part (a modem re-listing its
            storage) does not start a group that would end as a bogus orphan.
        max_parts: parts held at most over all groups (default 8 per group: a part is up to
            160 characters); beyond it the oldest groups go to the orphan list too.

    Counters: `evictions`, `duplicates` (repeated parts ignored).
    """

    def __init__(self, timeout_ms, max_groups=8, max_parts=None):
        if max_groups < 1:
            raise ValueError("max_groups must be >= 1")
        self.timeout_ms = timeout_ms
        self.max_groups = max_groups
        self.max_parts = max_parts or 8 * max_groups
        self._held = 0
        self._groups = {}  # (key, ref, total) -> [first_ms, parts list]
        self._evicted = []
        self._done = []  # [(group key, completed ms)], at most max_groups, oldest first
        self.evictions = 0
        self.duplicates = 0

    def pending(self):
        """Number of incomplete groups held."""
        return len(self._groups)

    def add(self, key, ref, total, seq, text, now_ms):
        """Add part `seq` (1-based) of `total`.

        Returns:
            the whole text when this part completes the message, else None. A repeated part
            replaces the earlier copy.
        Raises:
            ValueError: seq or total out of range.
        """
        if not 1 <= seq <= total <= 255:
            raise ValueError("bad concatenation seq %r / total %r" % (seq, total))
        if total == 1:
            return text
        gk = (key, ref, total)
        g = self._groups.get(gk)
        if g is None and self._recently_done(gk, now_ms):
            self.duplicates += 1
            return None
        if g is None:
            if len(self._groups) >= self.max_groups:
                self._evict_oldest()
            g = [now_ms, [None] * total]
            self._groups[gk] = g
        if g[1][seq - 1] is not None:
            self.duplicates += 1
        else:
            self._held += 1
        g[1][seq - 1] = text
        if None in g[1]:
            while self._held > self.max_parts:
                self._evict_oldest()
            return None
        del self._groups[gk]
        self._held -= total
        if len(self._done) >= self.max_groups:
            self._done.pop(0)
        self._done.append((gk, now_ms))
        return "".join(g[1])

    def _recently_done(self, gk, now_ms):
        for k, t in self._done:
            if k == gk and ticks_diff(now_ms, t) < self.timeout_ms:
                return True
        return False

    def _evict_oldest(self):
        oldest = None
        for gk, g in self._groups.items():
            if oldest is None or ticks_diff(g[0], self._groups[oldest][0]) < 0:
                oldest = gk
        self._evicted.append(self._orphan(oldest, self._groups.pop(oldest)))
        self.evictions += 1

    def _orphan(self, gk, g):
        parts = g[1]
        missing = [i + 1 for i in range(len(parts)) if parts[i] is None]
        self._held -= len(parts) - len(missing)
        return (gk[0], gk[1], "".join(p for p in parts if p is not None), missing)

    def expire(self, now_ms):
        """Hand back groups older than the timeout (and evicted ones).

        Returns:
            [(key, ref, partial_text, missing_seqs), ...]; those groups are forgotten.
        """
        out = self._evicted
        self._evicted = []
        old = [k for k, g in self._groups.items() if ticks_diff(now_ms, g[0]) >= self.timeout_ms]
        for gk in old:
            out.append(self._orphan(gk, self._groups.pop(gk)))
        return out
