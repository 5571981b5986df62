# Store compaction, loaded only when it is due (every ~max_stored/8 messages): the oldest
# finished records go into a new index generation (write idx.<gen+1>, pri.<gen+1>, delete the
# dropped messages' files, then commit `cur`); see store.py for the layout.
import os

from smsgw.queue.store import REC


def compact(self, finished):
    """Store.compact's work (`self`: the Store), once the index holds more than max_stored."""
    n = self.count()
    want = n - self.max_stored + max(1, self.max_stored // 8)
    drop = 0
    while drop < min(want, self.cur):
        k = self.key_at(drop)
        if k is not None and not finished(k):
            break
        drop += 1
    if not drop:
        return 0
    gone = []
    for i in range(drop):
        gone.append(self.key_at(i))
    new = self.gen + 1
    _copy_tail(self, self._ipath(), self._p("idx.%d" % new), drop)
    _copy_tail(self, self._ipath(True), self._p("pri.%d" % new), self.pcur)
    old = (self._ipath(), self._ipath(True))
    for k in gone:  # before the commit: a crash now leaves old records without files,
        if k:  # which read as finished and go at the next compaction (no orphan files)
            self.remove(k)
    self.gen, self.cur, self.pcur = new, self.cur - drop, 0
    self.base += drop
    self.save_cursor()  # the commit point
    for path in old:
        try:
            os.remove(path)
        except OSError:
            pass
    self.compactions += 1
    return drop


def _copy_tail(self, src, dst, skip):
    with open(dst, "wb") as out:
        try:
            with open(src, "rb") as f:
                f.seek(skip * REC)
                buf = bytearray(REC * 16)
                while True:
                    n = f.readinto(buf)
                    if not n:
                        break
                    out.write(memoryview(buf)[:n])
        except OSError:
            pass
    self.writes += 1
