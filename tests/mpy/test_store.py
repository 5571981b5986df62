# heapsize: 72K
# smsgw.queue.store: atomic writes, torn-tail recovery, index, MR slots, compaction, O(1)
# operations.
import os
import time

from fsutil import scratch
from smsgw.fstree import rmtree
from smsgw.fsutil import write_atomic
from smsgw.queue.store import Store, key_of


def _store(**kw):
    s = Store(scratch("store"), **kw)
    s.open()
    return s


def test_key_is_stable_and_short():
    assert key_of("abc") == key_of("abc")
    assert key_of("abc") != key_of("abd")
    assert len(key_of("x" * 64)) == 16


def test_message_and_journal_roundtrip():
    s = _store()
    k = key_of("m1")
    s.append_index(k)
    s.put(k, {"id": "m1", "to": ["+1"]})
    s.log(k, "S 0 0 1 5")
    s.log(k, "M 0 0 7 6")
    assert s.get(k)["id"] == "m1"
    assert s.journal(k) == [["S", "0", "0", "1", "5"], ["M", "0", "0", "7", "6"]]
    assert s.count() == 1 and s.key_at(0) == k and s.key_at(1) is None
    rmtree(s.root)


def test_torn_journal_tail_is_ignored():
    s = _store()
    k = key_of("m2")
    s.put(k, {"id": "m2"})
    s.log(k, "S 0 0 1 5")
    with open(s.mpath(k) + ".j", "a") as f:
        f.write("M 0 0 ")  # power cut in the middle of a line
    assert s.journal(k) == [["S", "0", "0", "1", "5"]]
    rmtree(s.root)


def test_torn_index_tail_is_repaired_on_open():
    s = _store()
    s.append_index(key_of("a"))
    with open(s._ipath(), "ab") as f:
        f.write(b"0123")
    s2 = Store(s.root)
    s2.open()
    assert s2.count() == 1 and s2.key_at(0) == key_of("a")
    s2.append_index(key_of("b"))
    assert s2.key_at(1) == key_of("b")
    rmtree(s.root)


def test_atomic_write_leaves_old_or_new():
    root = scratch("atomic")
    p = root + "/f"
    write_atomic(p, b"old")
    with open(p + ".tmp", "wb") as f:
        f.write(b"half")  # a crash before the rename
    with open(p, "rb") as f:
        assert f.read() == b"old"
    s = Store(root)
    s.open()  # leftovers of interrupted writes in the root are removed
    assert "f.tmp" not in os.listdir(root)
    rmtree(root)


def test_mr_slots():
    s = _store()
    assert s.get_mr(5) is None
    s.set_mr(5, key_of("x"), 2, 3)
    s.set_mr(261, key_of("y"), 0, 1)  # wraps to slot 5
    assert s.get_mr(5) == (key_of("y"), 0, 1)
    assert s.get_mr(6) is None
    rmtree(s.root)


def test_cursor_survives_reopen():
    s = _store()
    for i in range(3):
        s.append_index(key_of(str(i)))
    s.cur = 2
    s.save_cursor()
    s2 = Store(s.root)
    s2.open()
    assert s2.cur == 2 and s2.gen == 0
    rmtree(s.root)


def test_compaction_drops_oldest_finished_only():
    s = _store(max_stored=8)
    keys = [key_of("c%d" % i) for i in range(12)]
    for k in keys:
        s.append_index(k)
        s.put(k, {"id": k})
    s.cur = 10  # the sender passed 10 of them
    busy = keys[3]
    dropped = s.compact(lambda k: k != busy)
    assert dropped == 3, dropped  # stops at the first unfinished record
    assert s.gen == 1 and s.count() == 9 and s.cur == 7
    assert s.key_at(0) == busy and not s.exists(keys[0]) and s.exists(busy)
    s2 = Store(s.root)
    s2.open()
    assert (s2.gen, s2.cur, s2.count()) == (1, 7, 9)
    assert "idx.0" not in os.listdir(s.root)
    rmtree(s.root)


def test_interrupted_compaction_is_rolled_back():
    s = _store(max_stored=4)
    for i in range(3):
        s.append_index(key_of(str(i)))
    with open(s.root + "/idx.1", "wb") as f:
        f.write(b"garbage")  # new generation written, `cur` never committed
    s2 = Store(s.root)
    s2.open()
    assert s2.gen == 0 and s2.count() == 3 and "idx.1" not in os.listdir(s.root)
    rmtree(s.root)


def _op_ms(s, n):
    t0 = time.ticks_ms()
    for i in range(n):
        k = s.key_at(s.count() - 1 - (i % 7))
        s.get(k)
        s.journal(k)
    return time.ticks_diff(time.ticks_ms(), t0)


def test_operation_cost_does_not_grow_with_depth():
    s = _store(max_stored=2000)
    t = {}
    total = 0
    for depth in (10, 300):
        while total < depth:
            k = key_of("d%d" % total)
            s.append_index(k)
            s.put(k, {"id": "d%d" % total, "to": ["+1"]})
            total += 1
        # the quickest of 5 rounds: a busy machine's preemptions only ever add time
        t[depth] = min(_op_ms(s, 60) for _ in range(5))
    assert t[300] < 3 * t[10] + 20, t
    rmtree(s.root)


def test_crash_after_compaction_deleted_files_leaves_no_orphans():
    s = _store(max_stored=8)
    keys = [key_of("z%d" % i) for i in range(12)]
    for k in keys:
        s.append_index(k)
        s.put(k, {"id": k})
    s.cur = 12
    s.save_cursor()
    for k in keys[:5]:
        s.remove(k)  # compaction deleted these, then the power went before `cur` was written
    s2 = Store(s.root, max_stored=8)
    s2.open()
    assert s2.gen == 0 and s2.count() == 12 and s2.get(keys[0]) is None
    assert s2.compact(lambda k: s2.get(k) is None or True) >= 5
    assert s2.key_at(0) not in keys[:5] and s2.count() <= 8
    rmtree(s.root)


def test_seq_grows_through_compaction_and_reboot():
    s = _store(max_stored=8)
    seqs = []
    for i in range(40):
        seqs.append(s.seq())
        k = key_of("s%d" % i)
        s.append_index(k)
        s.put(k, {"id": k})
        s.cur = s.count()  # all sent
        s.compact(lambda k: True)
    assert seqs == list(range(40)), seqs  # never repeats, although records were dropped
    assert s.compactions > 0 and s.count() < 40 and s.base + s.count() == 40
    s2 = Store(s.root)
    s2.open()
    assert s2.seq() == 40 and s2.base == s.base  # not restarted at 0 by a reboot
    rmtree(s.root)


def test_old_three_field_cursor_file_reads_base_zero():
    s = _store()
    for i in range(3):
        s.append_index(key_of("o%d" % i))
    with open(s.root + "/cur", "w") as f:
        f.write("0 2 0\n")
    s2 = Store(s.root)
    s2.open()
    assert (s2.gen, s2.cur, s2.base, s2.seq()) == (0, 2, 0, 3)
    rmtree(s.root)


def test_append_after_torn_journal_tail_starts_a_new_line():
    s = _store()
    k = key_of("t2")
    s.put(k, {"id": "t2"})
    s.log(k, "S 0 0 1 5")
    with open(s.mpath(k) + ".j", "a") as f:
        f.write("M 0 0 1")  # power cut mid-append
    s.log(k, "U 0 0 6")
    assert s.journal(k) == [["S", "0", "0", "1", "5"], ["U", "0", "0", "6"]]
    rmtree(s.root)
