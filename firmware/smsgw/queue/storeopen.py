# Store.open (queue/store.py): the layout made, what an interrupted compaction or write left
# behind removed, torn index tails cut, the cursors read back. Boot's code only: Store.open
# loads it for the call and forgets it after.
import os

from smsgw.fsutil import exists, makedirs, rename, write_atomic
from smsgw.queue.store import REC, SLOT, file_size


def open_store(st):
    """Open Store `st` (its docstring: Store.open)."""
    makedirs(st.root + "/m")
    for c in "0123456789abcdef":
        if not exists(st.root + "/m/" + c):
            os.mkdir(st.root + "/m/" + c)
    try:
        with open(st._p("cur")) as f:
            v = f.read().split()
        st.gen, st.cur, st.pcur = int(v[0]), int(v[1]), int(v[2])
        st.base = int(v[3]) if len(v) > 3 else 0  # older cur files have 3 fields
    except (OSError, ValueError, IndexError):
        st.gen = st.cur = st.pcur = st.base = 0
    keep = ("idx.%d" % st.gen, "pri.%d" % st.gen)
    for name in os.listdir(st.root):
        if (name.startswith("idx.") or name.startswith("pri.")) and name not in keep:
            os.remove(st._p(name))
        elif name.endswith(".tmp"):
            os.remove(st._p(name))
    for name in keep:
        _fix_tail(st._p(name))
    if not exists(st._p("mr.idx")):
        tmp = st._p("mr.idx.tmp")
        with open(tmp, "wb") as f:  # 256 blank slots (6 KB), written in small pieces
            blank = b" " * (SLOT * 16)
            for _ in range(16):
                f.write(blank)
        rename(tmp, st._p("mr.idx"))
    from smsgw.queue.journal import Handoff

    st.handoff = Handoff(st._p("ev"))
    st.cur = min(st.cur, st.count())
    st.pcur = min(st.pcur, st.count(True))


def _fix_tail(path):
    # a record cut short by a power cut is dropped (the index holds whole records only)
    n = file_size(path)
    if n % REC:
        with open(path, "rb") as f:
            data = f.read(n - n % REC)
        write_atomic(path, data)
