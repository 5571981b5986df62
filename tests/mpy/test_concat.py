# heapsize: 80K (compiled from source here, the module-level tables fragment 64K; on a board
# the codec is .mpy)
# Reassembly of concatenated SMS on MicroPython.
import gc

from smsgw.codec import pdu, submit
import pdu_mt  # host/smsgate/sim: the simulator's MT-PDU builder (pure)
from smsgw.codec.concat import Reassembler

gc.collect()  # compiling the codec from source fragments a 64K heap; start the tests clean


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


_POOL = tuple(c.encode() for c in "aZ09 @£$¥èΔ_ÆßÉ!?\n€[]{}~^|\\\fЖяあ😀👍é")


def _texts(n):
    seed = 12345
    for _ in range(n):
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        out = bytearray()
        for _ in range(seed % 350):  # up to 3 GSM-7 parts, 6 UCS-2 parts
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            out += _POOL[(seed >> 8) % (26 if seed & 1 else len(_POOL))]
        text = str(out, "utf-8")
        out = None
        gc.collect()
        yield text


def test_split_decode_reassemble_round_trips():
    # Pseudo-random texts (no hypothesis here): encode, decode each part, reassemble.
    for i, text in enumerate(_texts(40)):
        bits = 8 if i & 1 else 16
        enc, parts = submit.encode_submit("+4917012345678", text, ref=i, ref_bits=bits)
        r = Reassembler(1000)
        got = None
        for seq, (h, n) in reversed(list(enumerate(parts))):
            assert n == len(h) // 2 - 1
            d = pdu.decode(h)
            if len(parts) > 1:
                c = d["udh"]["concat"]
                assert (c["ref"], c["seq"], c["bits"]) == (i, seq + 1, bits)
                assert c["total"] == len(parts)
            c = d.get("udh", {}).get("concat", {"ref": 0, "total": 1, "seq": 1})
            got = r.add(d["number"], c["ref"], c["total"], c["seq"], d["text"], 0)
        assert got == text and r.pending() == 0
        mt = pdu_mt.encode_deliver("Sender", text, (2020, 1, 2, 3, 4, 5, -3), ref=i)
        assert "".join(pdu.decode(h)["text"] for h in mt) == text


def test_late_repeat_of_a_completed_group_is_ignored():
    r = Reassembler(1000)
    r.add("+1", 5, 2, 1, "a", 0)
    assert r.add("+1", 5, 2, 2, "b", 10) == "ab"
    assert r.add("+1", 5, 2, 2, "b", 500) is None  # the modem listed part 2 again
    assert r.pending() == 0 and r.duplicates == 1 and r.expire(5000) == []
    r.add("+1", 5, 2, 1, "new", 2000)  # same ref long after: a new message
    assert r.pending() == 1


def test_parts_bound_hands_oldest_groups_back():
    r = Reassembler(10000, max_groups=4, max_parts=5)
    for seq in (1, 2, 3):
        r.add("a", 1, 9, seq, "a%d" % seq, 0)
    r.add("b", 1, 9, 1, "b1", 1)
    r.add("b", 1, 9, 2, "b2", 1)
    assert r.pending() == 2 and r.evictions == 0
    r.add("c", 1, 2, 1, "c1", 2)  # sixth part held: the oldest group ("a") goes
    assert r.pending() == 2 and r.evictions == 1
    assert r.expire(3) == [("a", 1, "a1a2a3", [4, 5, 6, 7, 8, 9])]
    assert r.add("c", 1, 2, 2, "c2", 4) == "c1c2"
    assert r._held == 2  # b1, b2
