# GSM-7 / UCS-2 alphabet tests; run on MicroPython (64K heap) and mirrored by tests/codec.
from smsgw.codec import gsm7, gsm7read


def test_hellohello_packs_to_published_octets():
    # Classic example (dreamfabric "SMS PDU format"; 3GPP TS 23.038 packing).
    s = gsm7.to_septets("hellohello")
    assert gsm7.pack(s) == bytes.fromhex("E8329BFD4697D9EC37")
    assert gsm7read.unpack(bytes.fromhex("E8329BFD4697D9EC37"), 10) == s


def test_extension_chars_take_escape():
    s = gsm7.to_septets("€[]{}~^|\\\f")
    assert len(s) == 20
    assert s[0] == 0x1B and s[1] == 0x65
    assert gsm7read.septets_to_text(s) == ("€[]{}~^|\\\f", 0)


def test_non_gsm_char_is_none():
    assert gsm7.to_septets("привет") is None
    assert gsm7.to_septets("a\x1bb") is None


def test_unknown_escape_is_replaced_and_counted():
    text, unknown = gsm7read.septets_to_text(bytes((0x41, 0x1B, 0x41, 0x42, 0x1B)))
    assert text == "A" + gsm7read.REPLACEMENT + "B" + gsm7read.REPLACEMENT
    assert unknown == 2


def test_fill_bits_round_trip():
    s = gsm7.to_septets("Fill bits after a UDH @£$")
    for fill in range(7):
        packed = gsm7.pack(s, fill)
        assert len(packed) == (len(s) * 7 + fill + 7) // 8
        assert gsm7read.unpack(packed, len(s), fill) == s


def test_all_basic_septets_round_trip():
    s = bytes(i for i in range(128) if i != 0x1B)
    text, unknown = gsm7read.septets_to_text(s)
    assert unknown == 0 and len(text) == 127
    assert gsm7.to_septets(text) == s


def test_ucs2_surrogate_pairs():
    b = gsm7.to_ucs2("A😀")
    assert b == bytes.fromhex("0041D83DDE00")
    assert gsm7read.ucs2_to_text(b) == ("A😀", 0)
    assert gsm7.ucs2_units("A😀") == 3


def test_lone_surrogate_and_odd_octet_are_replaced():
    text, unknown = gsm7read.ucs2_to_text(bytes.fromhex("D83D0041DE00") + b"\x00")
    assert text == gsm7read.REPLACEMENT + "A" + gsm7read.REPLACEMENT + gsm7read.REPLACEMENT
    assert unknown == 3


def test_national_shift_tables_show_replacements():
    s = bytes((0x41, 0x1B, 0x65, 0x42))  # "A€B" in the default tables
    assert gsm7read.septets_to_text(s, True) == ("A" + gsm7read.REPLACEMENT + "B", 1)
    r = gsm7read.REPLACEMENT  # locking shift alone: the default extension table still applies
    assert gsm7read.septets_to_text(s, False, True) == (r + "€" + r, 2)
