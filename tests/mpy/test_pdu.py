# heapsize: 96K
# (64K until the codec split into its encoding and decoding modules: all of them and the
# simulator's builder compiled from source then ran out at 64K and once at 72K, each test alone
# passing at 64K; the firmware's own heap bound is tests/e2e/test_heap_guard.py)
# PDU codec tests on MicroPython: published vectors, round trips, malformed input.
from smsgw.codec import pdu, submit
import pdu_mt  # host/smsgate/sim: the simulator's MT-PDU builder (pure)
from smsgw.errors import PduError

# Classic SMS-DELIVER example from the dreamfabric "SMS PDU format" page.
HELLO = "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37"

# Vectors from faucamp/python-gsmmodem test/test_pdu.py (data only): hex -> expected subset.
GM_DECODE = (
    (
        "06917228195339040B917228214365F70000313062315352800A800D8A5E98D337A910",
        {"number": "+27821234567", "text": "@{tést}!", "scts": "2013-03-26T13:35:25+02:00"},
    ),
    (
        "07911326040000F0310D0B911326880736F40000A90FF7FBDD454E87CDE1B0DB357EB701",
        {"type": "submit", "mr": 13, "vp": 259200, "srr": True, "text": "www.diafaan.com"},
    ),
    (
        "0006D60B911326880736F4111011719551401110117195714000",
        {"type": "status_report", "mr": 214, "status": 0, "number": "+31628870634"},
    ),
    (
        "07914346466554F601000B914316565811F9000806304253F68449",
        {"encoding": "ucs2", "text": "あ叶葉", "smsc": "+34646456456"},
    ),
    (
        "0591721891F101000B917228214365F700040C48656C6C6F20776F726C6421",
        {"encoding": "8bit", "data": "48656C6C6F20776F726C6421"},
    ),
    (
        "0019000B917228001011F100003170013193008017D474BB3CA787DB70903DCC4E93D3F43C885E9ED301",
        {"vp": "2013-07-10T13:39:00+02:00", "text": "Timestamp validity test"},
    ),
)
# ModemManager src/tests/test-sms-part-3gpp.c: alphanumeric sender + UCS-2; 16-bit concat.
MM_DECODE = (
    (
        "07919730071111F10414D04937BD2C7797E9D3E614000811309291024061080442043504410442",
        {"number": "InternetSMS", "text": "тест", "scts": "2011-03-29T19:20:04+04:00"},
    ),
    (
        "07911356131313F64004850120390011609232239180A006080400100201D7327BFD6EB340E232"
        "1BF46E83EA7790F59D1E97DBE1341B442F83C465763D3DA797E56537C81D0ECB41AB59CC1693C1"
        "6031D96C064241E5656838AF03A96230982A269BCD462917C8FA4E8FCBED709A0D7ABBE9F6B0FB"
        "5C7683D27350984D4FABC9A0B33C4C4FCF5D20EBFB2D079DCB62793DBD06D9C36E50FB2D4E97D9"
        "A0B49B5E96BBCB",
        {
            "number": "1002",
            "pid": 0x39,
            "udh": {"concat": {"ref": 16, "total": 2, "seq": 1, "bits": 16}},
        },
    ),
)
GM_ENCODE = (
    (
        "+27820001111",
        "Hello World!",
        None,
        None,
        "0001000B917228001011F100000CC8329BFD065DDF72363904",
    ),
    (
        "+123456789",
        "世界您好！",
        52 * 7 * 86400,
        "+44000000000",
        "07914400000000F01100099121436587F90008F40A4E16754C60A8597DFF01",
    ),
)


def _raises(hexpdu, reason_part, smsc=True):
    try:
        pdu.decode(hexpdu, smsc)
    except PduError as e:
        assert reason_part in e.reason, e.reason
        return e
    raise AssertionError("no PduError for %s" % hexpdu)


def test_hellohello_deliver():
    d = pdu.decode(HELLO)
    assert d["type"] == "deliver"
    assert d["smsc"] == "+27381000015"
    assert d["number"] == "27838890001"
    assert d["text"] == "hellohello"
    assert d["encoding"] == "gsm7"
    assert d["scts"] == "1999-03-29T15:16:59+02:00"


def test_submit_single_gsm7_round_trip():
    enc, parts = submit.encode_submit("+4917012345678", "Hello € [x]", srr=True, validity_s=3600)
    assert enc == "gsm7" and len(parts) == 1
    hexpdu, tlen = parts[0]
    assert hexpdu.startswith("00")
    assert tlen == len(hexpdu) // 2 - 1
    d = pdu.decode(hexpdu)
    assert d["type"] == "submit" and d["srr"] is True and d["vp"] == 3600
    assert d["number"] == "+4917012345678" and d["number_type"] == "international"
    assert d["text"] == "Hello € [x]"


def test_submit_long_gsm7_splits_at_153():
    text = "x" * 152 + "€" + "y" * 10  # the escape pair must not be cut
    enc, parts = submit.encode_submit("12345", text, ref=42)
    assert len(parts) == 2
    d1 = pdu.decode(parts[0][0])
    d2 = pdu.decode(parts[1][0])
    assert d1["udh"]["concat"] == {"ref": 42, "total": 2, "seq": 1, "bits": 8}
    assert d1["text"] == "x" * 152
    assert d1["text"] + d2["text"] == text


def test_submit_ucs2_three_parts_16bit_ref():
    text = "Привет 😀 " * 20  # 200 chars, 220 units
    enc, parts = submit.encode_submit("+15551234567", text, ref=0x1234, ref_bits=16)
    assert enc == "ucs2" and len(parts) == 4  # 66 units per part with a 16-bit reference
    out = ""
    for i, (h, n) in enumerate(parts):
        d = pdu.decode(h)
        assert d["udh"]["concat"] == {"ref": 0x1234, "total": 4, "seq": i + 1, "bits": 16}
        assert n == len(h) // 2 - 1
        out += d["text"]
    assert out == text


def test_alphanumeric_and_national_recipients():
    d = pdu.decode(submit.encode_submit("Alpha", "x")[1][0][0])
    assert (d["number"], d["number_type"]) == ("Alpha", "alphanumeric")
    d = pdu.decode(submit.encode_submit("0171234", "x", smsc="+491710760000")[1][0][0])
    assert d["number"] == "0171234" and d["smsc"] == "+491710760000"


def test_deliver_and_status_report_encoders():
    h = pdu_mt.encode_deliver("Google", "hi there", (2006, 6, 6, 15, 3, 3, -28))[0]
    d = pdu.decode(h)
    assert (d["number"], d["number_type"], d["text"]) == ("Google", "alphanumeric", "hi there")
    assert d["scts"] == "2006-06-06T15:03:03-07:00"
    ts1 = (2024, 1, 2, 3, 4, 5, 8)
    h = pdu_mt.encode_status_report(7, "+15551234567", 0x46, ts1, ts1, smsc="+123")
    d = pdu.decode(h)
    assert d["type"] == "status_report" and d["mr"] == 7 and d["status"] == 0x46
    assert d["discharge"] == "2024-01-02T03:04:05+02:00" and d["smsc"] == "+123"


def test_bare_tpdu():
    d = pdu.decode(HELLO[16:], smsc=False)
    assert d["text"] == "hellohello" and "smsc" not in d


def test_malformed_inputs_raise_pdu_error():
    _raises("0G", "hex")
    _raises("000", "odd")
    _raises("", "empty")
    _raises(HELLO[:-2], "UDL")
    _raises(HELLO[:30], "truncated")
    _raises("0C" + HELLO[2:], "SMSC")
    _raises("0003", "reserved")
    e = _raises("0004159100", "TP-OA length")
    assert e.pos == 2


def test_python_gsmmodem_and_modemmanager_vectors():
    for h, expected in GM_DECODE + MM_DECODE:
        d = pdu.decode(h)
        for k in expected:
            assert d[k] == expected[k], (h, k, d[k])
    for number, text, vp, smsc, h in GM_ENCODE:
        assert submit.encode_submit(number, text, validity_s=vp, smsc=smsc)[1] == [
            (h, len(h) // 2 - (1 if smsc is None else 8))
        ]
