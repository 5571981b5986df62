# The delivery journal's (net/webhook_queue.py) work away from the deliveries: reading it back
# when it is opened, compaction, and the dead-letter list. Functions of the Journal `j`, loaded
# for that work and forgotten after it (Journal._upkeep): a board between failures carries
# only the appending and the due-time half.
from smsgw.fsutil import write_atomic
from smsgw.clock import ticks_ms


def open_journal(j):
    """What opening the journal does: read it back (pending entries, the sequence), rewrite it
    without its finished records, and mend a torn dead list."""
    _load(j)
    compact(j)
    _clean_dead(j)


def _load(j):
    try:
        f = open(j.path, "rb")
    except OSError:
        return
    live = {}
    with f:
        off = 0
        while True:
            line = f.readline()
            if not line or not line.endswith(b"\n"):
                break  # end, or a torn last record
            try:
                _apply(j, line, off, live)
            except (ValueError, IndexError):  # a damaged record: skip it, count it
                j.corrupt += 1
            off += len(line)
    now = ticks_ms()
    j.pending = [[s, t, now, o] for s, (t, o) in sorted(live.items())]


def _apply(j, line, off, live):
    kind = line[:1]
    parts = line.split(b" ", 3)
    if kind == b"S":
        j.next_seq = max(j.next_seq, int(parts[1]))
        return
    seq = int(parts[1])
    j.next_seq = max(j.next_seq, seq + 1)
    if kind == b"A":
        live[seq] = (int(parts[2]), off)
    elif kind == b"T" and seq in live:
        live[seq] = (int(parts[2]), live[seq][1])
    elif kind == b"D":
        live.pop(seq, None)


def compact(j):
    """Rewrite the journal with only the live records (write a temp file, then rename)."""
    offs = []

    def fill(out):
        head = b"S %d\n" % j.next_seq
        out.write(head)
        size = len(head)
        for e in j.pending:
            wid, body = j.read(e)
            line = b"A %d %d %s %s\n" % (e[0], e[1], wid.encode(), body)
            out.write(line)
            offs.append(size)
            size += len(line)
        offs.append(size)

    write_atomic(j.path, fill)
    for e, off in zip(j.pending, offs):  # the new offsets, once the file is the new one
        e[3] = off
    j._size = offs[-1]
    j._finished = 0


def to_dead(j, entry, reason):
    """Move a pending entry to the dead list (bounded: the oldest dead entry is dropped)."""
    if entry not in j.pending:
        return
    wid, body = j.read(entry)
    line = b"%s %d %s %s\n" % (wid.encode(), entry[1], reason.encode(), body)
    with open(j.dead_path, "ab") as f:
        f.write(line)
    j.done(entry)
    items = dead(j)
    if len(items) > j.dead_max:
        j.dropped += len(items) - j.dead_max
        _write_dead(j, items[-j.dead_max :])


def _clean_dead(j):
    # a power cut mid-append leaves a torn last line; the next append would glue onto it
    try:
        with open(j.dead_path, "rb") as f:
            f.seek(0, 2)
            if f.tell() == 0:
                return
            f.seek(-1, 2)
            torn = f.read(1) != b"\n"
    except OSError:
        return
    if torn:
        _write_dead(j, dead(j))


def dead(j):
    """-> [(wid, tries, reason, body bytes)], oldest first (at most dead_max + 1 lines)."""
    out = []
    try:
        f = open(j.dead_path, "rb")
    except OSError:
        return out
    with f:
        for line in f:
            p = line.rstrip(b"\n").split(b" ", 3)
            if not line.endswith(b"\n") or len(p) < 4 or not p[1].isdigit():
                continue  # torn or damaged: left out (and dropped at the next rewrite)
            out.append((p[0].decode(), int(p[1]), p[2].decode(), p[3]))
    return out


def _write_dead(j, items):
    def fill(f):
        for wid, tries, reason, body in items:
            f.write(b"%s %d %s %s\n" % (wid.encode(), tries, reason.encode(), body))

    write_atomic(j.dead_path, fill)


def take_dead(j, keep):
    """Remove dead entries for which `keep(wid, body)` is False; return the removed ones."""
    items = dead(j)
    taken = [it for it in items if not keep(it[0], it[3])]
    if taken:
        _write_dead(j, [it for it in items if keep(it[0], it[3])])
    return taken
