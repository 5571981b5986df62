"""Property tests of the codec: round trips, minimal splitting, and robustness on bad input."""

import random

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import alphabet
from smsgw.codec import gsm7, pdu, submit
from smsgate.sim import pdu_mt
from smsgw.codec.concat import Reassembler
from smsgw.errors import PduError

GSM_CHARS = alphabet.BASIC.replace("\x1b", "") + alphabet.EXT_CHARS
# Mostly GSM-7 text (long, with extension characters), sometimes anything Unicode but lone
# surrogates (which no sender can put in UTF-16).
gsm_text = st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=700)
any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)
pieces = st.one_of(gsm_text, any_text, st.sampled_from(["😀", "€", "👍🏽"]))
mixed_text = st.lists(pieces, max_size=4).map("".join)
numbers = st.one_of(
    st.from_regex(r"\+[1-9][0-9]{3,14}", fullmatch=True),
    st.from_regex(r"[0-9*#]{1,20}", fullmatch=True),
    st.from_regex(r"[A-Za-z][A-Za-z0-9 ]{0,10}", fullmatch=True),
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _units(text, encoding):
    """The atomic units of `text` and their sizes in the part's unit (septet / UTF-16 unit)."""
    if encoding == "gsm7":
        return [len(gsm7.to_septets(ch)) for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _limits(encoding, ref_bits):
    if encoding == "gsm7":
        return 160, 153 if ref_bits == 8 else 152
    return 70, 67 if ref_bits == 8 else 66


@SETTINGS
@given(text=mixed_text, number=numbers, ref=st.integers(0, 65535), bits=st.sampled_from([8, 16]))
@example(text="x" * 152 + "€" + "y", number="+1", ref=1, bits=8)
@example(text="a" * 66 + "😀" + "b", number="1", ref=1, bits=8)
@example(text="€" * 80, number="Abc", ref=300, bits=16)
def test_submit_round_trip_and_minimal_split(text, number, ref, bits):
    encoding, parts = submit.encode_submit(number, text, ref=ref, ref_bits=bits, srr=True)
    assert encoding == ("gsm7" if gsm7.to_septets(text) is not None else "ucs2")
    decoded = [pdu.decode(h) for h, _ in parts]
    assert "".join(d["text"] for d in decoded) == text
    single, multi = _limits(encoding, bits)
    sizes = [_units(d["text"], encoding) for d in decoded]
    n = len(parts)
    for i, (d, (h, tpdu_len)) in enumerate(zip(decoded, parts)):
        assert d["number"].lstrip("+") == number.lstrip("+") and d["srr"] is True
        assert tpdu_len == len(h) // 2 - 1  # SMSC field "00"
        ud_octets = d_ud_octets(h)
        assert ud_octets <= 140
        assert sum(sizes[i]) <= (single if n == 1 else multi)
        if n == 1:
            assert "udh" not in d
            continue
        assert d["udh"]["concat"] == {
            "ref": ref & (0xFF if bits == 8 else 0xFFFF),
            "total": n,
            "seq": i + 1,
            "bits": bits,
        }
        if i < n - 1:  # greedy and full: the next part's first unit did not fit here
            assert sum(sizes[i]) + sizes[i + 1][0] > multi
    if n > 1:
        assert sum(map(sum, sizes)) > single  # one part would not have done


def d_ud_octets(hexpdu):
    """Octets of TP-UD in a SUBMIT from our encoder (SMSC 00, no VP): length after TP-UDL."""
    b = bytes.fromhex(hexpdu)
    da_octets = (b[3] + 1) // 2  # semi-octets, also for alphanumeric addresses
    udl_pos = 1 + 2 + 2 + da_octets + 2 + (1 if b[1] & 0x18 else 0)
    return len(b) - udl_pos - 1


@SETTINGS
@given(text=mixed_text, sender=numbers, tz=st.integers(-48, 56))
def test_deliver_round_trip(text, sender, tz):
    hexes = pdu_mt.encode_deliver(sender, text, (2031, 12, 31, 23, 59, 59, tz), smsc="+4911")
    decoded = [pdu.decode(h) for h in hexes]
    assert "".join(d["text"] for d in decoded) == text
    sign = "-" if tz < 0 else "+"
    off = abs(tz) * 15
    assert {d["scts"] for d in decoded} == {
        "2031-12-31T23:59:59%s%02d:%02d" % (sign, off // 60, off % 60)
    }
    assert {d["smsc"] for d in decoded} == {"+4911"}


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=180), smsc=st.booleans())
def test_random_bytes_decode_or_raise_pdu_error(data, smsc):
    try:
        d = pdu.decode(data.hex(), smsc)
    except PduError as e:
        assert isinstance(e.reason, str) and (e.pos is None or 0 <= e.pos <= len(data))
    else:
        assert d["type"] in ("deliver", "submit", "status_report")


VALID = [
    "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37",
    submit.encode_submit("+4917012345678", "€ " * 100, srr=True, validity_s=3600)[1][1][0],
    submit.encode_submit("Alpha", "Привет 😀" * 10, ref=4242, ref_bits=16)[1][0][0],
    pdu_mt.encode_status_report(9, "+15551234567", 0x60, (2020, 1, 1, 0, 0, 0, 4), None),
    "0591721891F101000B917228214365F700040C48656C6C6F20776F726C6421",
    "0019000B917228001011F100003170013193008017D474BB3CA787DB70903DCC4E93D3F43C885E9ED301",
]


@settings(max_examples=300, deadline=None)
@given(which=st.sampled_from(VALID), cut=st.integers(0, 200), flips=st.lists(st.tuples(
    st.integers(0, 200), st.integers(0, 255)), max_size=3))  # fmt: skip
def test_truncated_or_corrupted_valid_pdus(which, cut, flips):
    b = bytearray.fromhex(which)
    for pos, val in flips:
        if pos < len(b):
            b[pos] = val
    b = b[: max(1, len(b) - cut)] if cut else b
    try:
        pdu.decode(bytes(b).hex())
    except PduError:
        pass


def test_every_truncation_of_a_valid_pdu_raises_pdu_error():
    for h in VALID:
        for n in range(1, len(h) // 2):
            try:
                pdu.decode(h[: 2 * n])
            except PduError as e:
                assert e.pos is not None and e.pos <= n
            else:
                raise AssertionError("truncated PDU decoded: %s" % h[: 2 * n])


@SETTINGS
@given(text=mixed_text, seed=st.integers(0, 2**32))
def test_reassembler_joins_parts_in_any_order(text, seed):
    _, parts = submit.encode_submit("+1", text, ref=7)
    decoded = [pdu.decode(h) for h, _ in parts]
    random.Random(seed).shuffle(decoded)
    r = Reassembler(60000)
    results = []
    for t, d in enumerate(decoded):
        c = d.get("udh", {}).get("concat", {"ref": 0, "total": 1, "seq": 1})
        results.append(r.add(d["number"], c["ref"], c["total"], c["seq"], d["text"], t))
    assert results[-1] == text and all(x is None for x in results[:-1])
    assert r.pending() == 0 and r.expire(10**6) == []


ops = st.lists(
    st.tuples(
        st.sampled_from(["+1", "+2", "Bank"]),  # sender key
        st.integers(0, 3),  # ref
        st.integers(1, 6),  # total
        st.integers(1, 6),  # seq (clipped to total)
        st.integers(0, 400),  # time step in ms
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(ops=ops, timeout=st.integers(50, 2000), max_groups=st.integers(1, 5),
       max_parts=st.integers(1, 12))  # fmt: skip
def test_reassembler_never_loses_a_part_and_stays_bounded(ops, timeout, max_groups, max_parts):
    r = Reassembler(timeout, max_groups=max_groups, max_parts=max_parts)
    now = 0
    added = set()
    delivered = []
    for key, ref, total, seq, step in ops:
        now += step
        seq = min(seq, total)
        part = "<%s|%d|%d|%d>" % (key, ref, total, seq)
        added.add(part)
        whole = r.add(key, ref, total, seq, part, now)
        if whole is not None:
            delivered.append(whole)
        assert r.pending() <= max_groups and r._held <= max_parts
        for _key, _ref, partial, missing in r.expire(now):
            assert missing and partial
            delivered.append(partial)
    delivered.extend(partial for _, _, partial, _ in r.expire(now + timeout))
    assert r.pending() == 0 and r._held == 0
    out = "".join(delivered)
    assert all(p in out for p in added)
