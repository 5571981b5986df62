# Reassembly of concatenated SMS on MicroPython.
from smsgw.concat import Reassembler


def test_out_of_order_parts_complete():
    r = Reassembler(1000)
    assert r.add("+1", 7, 3, 3, "c", 0) is None
    assert r.add("+1", 7, 3, 1, "a", 1) is None
    assert r.add("+1", 7, 3, 2, "b", 2) == "abc"
    assert r.pending() == 0


def test_groups_are_separate_by_sender_and_ref():
    r = Reassembler(1000)
    assert r.add("+1", 7, 2, 1, "a", 0) is None
    assert r.add("+2", 7, 2, 2, "X", 0) is None
    assert r.add("+1", 8, 2, 2, "Y", 0) is None
    assert r.add("+1", 7, 2, 2, "b", 0) == "ab"
    assert r.pending() == 2


def test_expire_hands_back_orphans():
    r = Reassembler(1000)
    r.add("+1", 1, 3, 2, "b", 100)
    r.add("+2", 2, 2, 1, "z", 900)
    assert r.expire(1099) == []
    assert r.expire(1100) == [("+1", 1, "b", [1, 3])]
    assert r.pending() == 1


def test_memory_bound_evicts_oldest_to_orphans():
    r = Reassembler(10000, max_groups=2)
    r.add("a", 1, 2, 1, "a1", 0)
    r.add("b", 1, 2, 1, "b1", 1)
    r.add("c", 1, 2, 1, "c1", 2)
    assert r.pending() == 2 and r.evictions == 1
    assert r.expire(3) == [("a", 1, "a1", [2])]


def test_single_part_and_bad_seq():
    r = Reassembler(1000)
    assert r.add("k", 0, 1, 1, "whole", 0) == "whole"
    try:
        r.add("k", 0, 2, 3, "x", 0)
    except ValueError:
        pass
    else:
        raise AssertionError("seq > total accepted")
