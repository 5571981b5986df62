# Durable outbox state in flash, built so a power cut at any instant loses nothing accepted.
#
# Layout under `root` (default /data):
#   m/<h>/<key>      one message's immutable description (JSON), written temp + rename
#   m/<h>/<key>.j    that message's append-only journal (one short line per state change;
#                    a line without its "\n" is a torn tail and is ignored)
#   idx.<gen>        every accepted key in order, fixed 17-byte records ("<key>\n")
#   pri.<gen>        keys of priority >= 100 messages, same records
#   cur              "<gen> <cursor idx> <cursor pri> <base>\n" (temp + rename): the sender's
#                    position, a lower bound (the sender skips finished messages), the live
#                    generation, and base = records dropped by all compactions so far, so
#                    base + record number is a message's lifelong sequence number (seq())
#   mr.idx           256 fixed slots, slot = TP-MR: which (key, recipient, part) got that MR
#   ev               event hand-off intents (journal.Handoff)
# key = 16 hex digits of sha256(id), so lookup by id is one file open whatever the depth.
# Compaction drops the oldest finished records into a new generation (write idx.<gen+1>,
# pri.<gen+1>, delete the dropped messages' files, then commit `cur`); index files of other
# generations are removed at open().
import os

from micropython import const

from smsgw.fsutil import append, exists, read_json, write_atomic, write_json


REC = const(17)  # bytes of one index record (queue/compact.py reads it too)
SLOT = const(24)  # bytes of one mr.idx slot (queue/storeopen.py writes them)


def key_of(msg_id):
    import hashlib
    import binascii

    return binascii.hexlify(hashlib.sha256(msg_id.encode()).digest()[:8]).decode()


def file_size(path):
    """Bytes in the file at `path`; 0 when there is none."""
    try:
        return os.stat(path)[6]
    except OSError:
        return 0


class Store:
    """The outbox's flash store: message files, per-message journals, the ordered index."""

    def __init__(self, root="/data", max_stored=400, min_free_kb=8):
        self.root = root.rstrip("/") or "/"
        self.max_stored = max_stored
        self.min_free = min_free_kb * 1024
        self.gen = 0
        self.cur = 0  # next record of idx.<gen> the sender has not finished
        self.pcur = 0  # same for pri.<gen>
        self.base = 0  # records dropped by compactions, all generations (persisted in cur)
        self.writes = 0  # flash writes so far (wear figure for /health)
        self.compactions = 0
        self.handoff = None  # the event hand-off intents (journal.Handoff), from open()

    def _p(self, name):
        return self.root + "/" + name

    def mpath(self, key):
        return "%s/m/%s/%s" % (self.root, key[0], key)

    # -- lifecycle ---------------------------------------------------------------------------
    def open(self):
        """Create the layout, drop leftovers of an interrupted compaction, fix torn tails
        (queue/storeopen.py: boot's code, loaded for this call and forgotten after it)."""
        from smsgw import call_loaded

        call_loaded("smsgw.queue.storeopen", "open_store", self)

    # -- the ordered index ------------------------------------------------------------------
    def _ipath(self, pri=False):
        return self._p(("pri.%d" if pri else "idx.%d") % self.gen)

    def count(self, pri=False):
        """Records in the index (or the priority index)."""
        return file_size(self._ipath(pri)) // REC

    def key_at(self, i, pri=False):
        """The key of record `i` (0 = oldest), or None."""
        try:
            with open(self._ipath(pri), "rb") as f:
                f.seek(i * REC)
                rec = f.read(REC)
        except OSError:
            return None
        return rec[:16].decode() if len(rec) == REC else None

    def seq(self):
        """The lifelong sequence number the next append_index() record gets: it only grows
        (compaction moves records into `base`) and survives reboots."""
        return self.base + self.count()

    def append_index(self, key, pri=False):
        with open(self._ipath(pri), "ab") as f:
            f.write(key.encode() + b"\n")
        self.writes += 1

    def save_cursor(self):
        write_atomic(self._p("cur"), b"%d %d %d %d\n" % (self.gen, self.cur, self.pcur,
                                                          self.base))
        self.writes += 1

    # -- messages -----------------------------------------------------------------------------
    def exists(self, key):
        return exists(self.mpath(key))

    def put(self, key, meta):
        """Write a message's description (a dict) atomically."""
        write_json(self.mpath(key), meta)
        self.writes += 1

    def get(self, key):
        """The message's description dict, or None."""
        return read_json(self.mpath(key))

    def log(self, key, line):
        """Append one journal line (no newline in `line`); a torn tail is repaired first."""
        append(self.mpath(key) + ".j", line + "\n")
        self.writes += 1

    def journal(self, key):
        """The complete journal lines, split into fields; a torn last line is dropped."""
        try:
            with open(self.mpath(key) + ".j") as f:
                data = f.read()
        except OSError:
            return []
        lines = data.split("\n")
        lines.pop()  # "" after the last "\n", or a torn tail
        return [ln.split(" ") for ln in lines if ln]

    def remove(self, key):
        for suffix in ("", ".j"):
            try:
                os.remove(self.mpath(key) + suffix)
            except OSError:
                pass

    # -- TP-MR slots --------------------------------------------------------------------------
    def set_mr(self, mr, key, r, p):
        with open(self._p("mr.idx"), "r+b") as f:
            f.seek((mr & 255) * SLOT)
            f.write(b"%s %02x %02x    \n" % (key.encode(), r, p))
        self.writes += 1

    def get_mr(self, mr):
        """(key, recipient, part) last sent with TP-MR `mr`, or None."""
        with open(self._p("mr.idx"), "rb") as f:
            f.seek((mr & 255) * SLOT)
            rec = f.read(SLOT)
        if len(rec) < 22 or rec[16:17] != b" ":
            return None
        try:
            return rec[:16].decode(), int(rec[17:19], 16), int(rec[20:22], 16)
        except ValueError:
            return None

    # -- space --------------------------------------------------------------------------------
    def free_bytes(self):
        try:
            st = os.statvfs(self.root)
            return st[0] * st[4]
        except (OSError, AttributeError):
            return 1 << 30

    def storage_full(self):
        return self.free_bytes() < self.min_free

    def compact(self, finished):
        """Drop the oldest records before the cursor whose message `finished(key)` says is done,
        removing their files, when the index holds more than max_stored. Returns records dropped.
        Cost is paid once per ~max_stored/8 messages, not per operation (queue/compact.py, loaded
        only then)."""
        if self.count() <= self.max_stored:
            return 0
        from smsgw.queue.compact import compact

        return compact(self, finished)
