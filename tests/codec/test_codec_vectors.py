"""Published PDU vectors decoded and encoded by the firmware codec (on CPython).

Sources (data copied, not code):
- [DF] dreamfabric.com "SMS PDU format" page: the classic "hellohello" SMS-DELIVER.
- [GM] faucamp/python-gsmmodem test/test_pdu.py (TestSmsPdu, TestSmsPduAddressFields,
  TestRelativeValidityPeriod, TestTimestamp, TestUdh*): decode and encode vectors.
- [MM] linux-mobile-broadband/ModemManager src/tests/test-sms-part-3gpp.c: decode, encode and
  text-split vectors.
"""

import pytest

import alphabet
from smsgw.codec import gsm7, gsm7read, pdu, submit, tpfields, tpread
from smsgate.sim import pdu_mt
from smsgw.errors import PduError

DECODE_VECTORS = [
    # [DF]
    (
        "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37",
        {
            "type": "deliver", "smsc": "+27381000015", "number": "27838890001",
            "number_type": "unknown", "pid": 0, "dcs": 0, "encoding": "gsm7",
            "text": "hellohello", "scts": "1999-03-29T15:16:59+02:00",
        },
    ),
    # [GM] SMS-DELIVER, international sender
    (
        "06917228195339040B917228214365F700003130805120618005D4F29C2E03",
        {
            "type": "deliver", "smsc": "+2782913593", "number": "+27821234567",
            "number_type": "international", "pid": 0, "dcs": 0, "encoding": "gsm7",
            "text": "Test2", "scts": "2013-03-08T15:02:16+02:00",
        },
    ),
    # [GM]
    (
        "07915892000000F0040B915892214365F700007040213252242331493A283D0795C3F33C88FE06C9CB"
        "6132885EC6D341EDF27C1E3E97E7207B3A0C0A5241E377BB1D7693E72E",
        {
            "type": "deliver", "smsc": "+85290000000", "number": "+85291234567",
            "number_type": "international", "pid": 0, "dcs": 0, "encoding": "gsm7",
            "text": "It is easy to read text messages via AT commands.",
            "scts": "2007-04-12T23:25:42+08:00",
        },
    ),
    # [GM] extension characters and an accented letter of the default alphabet
    (
        "06917228195339040B917228214365F70000313062315352800A800D8A5E98D337A910",
        {
            "type": "deliver", "smsc": "+2782913593", "number": "+27821234567",
            "number_type": "international", "pid": 0, "dcs": 0, "encoding": "gsm7",
            "text": "@{tést}!", "scts": "2013-03-26T13:35:25+02:00",
        },
    ),
    # [GM] SMS-SUBMIT with status report request and relative VP (3 days)
    (
        "07911326040000F0310D0B911326880736F40000A90FF7FBDD454E87CDE1B0DB357EB701",
        {
            "type": "submit", "smsc": "+31624000000", "number": "+31628870634",
            "number_type": "international", "pid": 0, "dcs": 0, "encoding": "gsm7",
            "text": "www.diafaan.com", "mr": 13, "vp": 259200, "srr": True,
        },
    ),
    # [GM] SMS-STATUS-REPORT
    (
        "0006D60B911326880736F4111011719551401110117195714000",
        {
            "type": "status_report", "number": "+31628870634", "number_type": "international",
            "scts": "2011-01-11T17:59:15+01:00", "discharge": "2011-01-11T17:59:17+01:00",
            "status": 0, "mr": 214,
        },
    ),
    # [GM] DELIVER with an 8-bit concatenation UDH (1 of 1), national sender
    (
        "0591721891F1400781721881F800003160526104848059050003C30101916536FB1DCABEEB2074D85E"
        "064941B19CAB060319A5C522289C96D3D3ED32286C0FA7D96131BBEC024941B19CAB0603DDD36C36A8"
        "8C87A7E565D0DB0D82C55EB0DB4B068BCD5C20",
        {
            "type": "deliver", "smsc": "+2781191", "number": "2781188", "number_type": "unknown",
            "pid": 0, "dcs": 0, "encoding": "gsm7",
            "text": "Hello!You have R 19.50 FREE airtime available. R 19.50 will expire on "
            "01/07/2013. ",
            "udh": {"concat": {"ref": 195, "total": 1, "seq": 1, "bits": 8}},
            "scts": "2013-06-25T16:40:48+02:00",
        },
    ),
    # [GM] UCS-2 SMS-SUBMIT
    (
        "07914346466554F601000B914316565811F9000806304253F68449",
        {
            "type": "submit", "smsc": "+34646456456", "number": "+34616585119",
            "number_type": "international", "pid": 0, "dcs": 8, "encoding": "ucs2",
            "text": "あ叶葉", "mr": 0, "srr": False,
        },
    ),
    # [GM] 8-bit data coding
    (
        "0591721891F101000B917228214365F700040C48656C6C6F20776F726C6421",
        {
            "type": "submit", "smsc": "+2781191", "number": "+27821234567",
            "number_type": "international", "pid": 0, "dcs": 4, "encoding": "8bit",
            "data": "48656C6C6F20776F726C6421", "mr": 0, "srr": False,
        },
    ),
    # [GM] absolute validity period
    (
        "0019000B917228001011F100003170013193008017D474BB3CA787DB70903DCC4E93D3F43C885E9ED301",
        {
            "type": "submit", "number": "+27820001111", "number_type": "international",
            "pid": 0, "dcs": 0, "encoding": "gsm7", "text": "Timestamp validity test",
            "mr": 0, "srr": False, "vp": "2013-07-10T13:39:00+02:00",
        },
    ),
    # [GM] semi-invalid status report captured from a ZTE modem: decodes, number is odd
    (
        "0297F1061C0F910B487228297020F5317062419272803170624192138000",
        {
            "type": "status_report", "smsc": "+1", "number": "+#08427829207025",
            "number_type": "international", "mr": 28, "status": 0,
            "scts": "2013-07-26T14:29:27+02:00", "discharge": "2013-07-26T14:29:31+02:00",
        },
    ),
]  # fmt: skip


@pytest.mark.parametrize("hexpdu,expected", DECODE_VECTORS, ids=range(len(DECODE_VECTORS)))
def test_decode_published_vectors(hexpdu, expected):
    assert pdu.decode(hexpdu) == expected


def test_ucs2_udl_beyond_140_is_rejected():
    # [GM] marks this PDU's UDL (0xA0 = 160 octets) as invalid; we raise rather than guess.
    with pytest.raises(PduError) as e:
        pdu.decode("0041010C910661345542F60008A0050003000301306F3044")
    assert "UDL" in e.value.reason and e.value.pos == 13


ENCODE_VECTORS = [
    # [GM] (number, text, kwargs, expected hex)
    ("+27820001111", "Hello World!", {}, "0001000B917228001011F100000CC8329BFD065DDF72363904"),
    (
        "+123456789", "世界您好！", {"validity_s": 52 * 7 * 86400, "smsc": "+44000000000"},
        "07914400000000F01100099121436587F90008F40A4E16754C60A8597DFF01",
    ),
]  # fmt: skip


@pytest.mark.parametrize("number,text,kw,expected", ENCODE_VECTORS)
def test_encode_published_vectors(number, text, kw, expected):
    _, parts = submit.encode_submit(number, text, **kw)
    assert parts == [(expected, len(expected) // 2 - (len(tpfields.smsc_field(kw.get("smsc")))))]


# [GM] test_encodeSmsSubmit_concatenated: 3 parts, 8-bit ref 0, TP-RD set (FO 0x45, ours 0x41).
LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt "
    "ut labore et dolore magna aliqua.Ut enim ad minim veniam, quinostrud exercitation ullamco "
    "laboris nisi ut aliquip ex ea commodo consequat.Duis aute irure dolor in reprehenderit in "
    "voluptate velit esse cillum doloe eu fugiat nulla pariatur.Excepteur sint occaecat "
    "cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum"
)
LOREM_PDUS = [
    "0045000B915121551532F40000A0050003000301986F79B90D4AC3E7F53688FC66BFE5A0799A0E0AB7CB7416"
    "68FC76CFCB637A995E9783C2E4343C3D4F8FD3EE33A8CC4ED359A079990C22BF41E5747DDE7E9341F4721BFE"
    "9683D2EE719A9C26D7DD74509D0E6287C56F791954A683C86FF65B5E06B5C36777181466A7E3F5B0AB4A0795"
    "DDE936284C06B5D3EE741B642FBBD3E1360B14AFA7DD",
    "0045000B915121551532F40000A0050003000302DE73BABC4E0695F165F9384D0FD3D36F37A8CE6687DBE337"
    "881D16BFE5E939C89D9EA741753A28CC4EC7EB6938A88C0795C3A0F1BBDD7E93DFA0F1DB3D2FC7EB61BA8B58"
    "4FCF41E13ABD0C4ACBEBF23288FC66BFE5A0B41B242FC3E56574D94D2ECBD37450DA0DB2BFD975383D4C2F83"
    "EC65769A0E2ACFE765D038CD66D7DB20F29BFD2E83CA",
    "0045000B915121551532F400008C050003000303EA2073FD9C0ED341EE3A9B1D06C1C3F274985E97BB8AF871"
    "194E2FD7E5A079DA4D07BDC7E370791CA683C675789A1CA687E920F7DB0D82CBDF6972D94D6781E675371D94"
    "7683C675363C0C8AD7D3A0B7D99C1EA7C32072795E96D7DD7450FBCD66A7E9A0B03BDD06A5C9A0F29C0E6287"
    "C56F79BD0D",
]


def test_concatenated_submit_matches_published_parts():
    encoding, parts = submit.encode_submit("+15125551234", LOREM)
    assert encoding == "gsm7"
    assert [h[:2] + "41" + h[4:] for h, _ in parts] == [
        h[:2] + "41" + h[4:] for h in LOREM_PDUS
    ]  # same bytes apart from TP-RD
    assert parts[0][0][4:] == LOREM_PDUS[0][4:] and parts[0][1] == len(LOREM_PDUS[0]) // 2 - 1
    text = "".join(pdu.decode(h)["text"] for h in LOREM_PDUS)
    assert text == LOREM


ADDRESS_VECTORS = [  # [GM] TestSmsPduAddressFields: (number, field hex, number_type)
    ("+9876543210", "0A918967452301", "international"),
    ("+987654321", "099189674523F1", "international"),
    ("+27829135934", "0B917228195339F4", "international"),
    ("abc", "06D061F118", "alphanumeric"),
    ("FRANCOIS", "0ED04669D0397C26A7", "alphanumeric"),
    ("a[]{}€", "14D0E10D6FE3DBA036A94D19", "alphanumeric"),
    ("0129998765", "0AA11092997856", "national"),
]


@pytest.mark.parametrize("number,field,number_type", ADDRESS_VECTORS)
def test_address_fields(number, field, number_type):
    d = {}
    buf = bytes.fromhex(field)
    assert tpread.read_address(buf, 0, d, "TP-OA") == len(buf)
    assert d == {"number": number, "number_type": number_type}
    if number_type != "national":  # we write plain digits as TON unknown (0x81)
        assert tpfields.address(number).hex().upper() == field


@pytest.mark.parametrize(
    "seconds,octet", [(1800, 5), (16 * 3600, 151), (3 * 86400, 169), (5 * 7 * 86400, 197)]
)
def test_relative_validity_period(seconds, octet):  # [GM] TestRelativeValidityPeriod
    assert tpfields.relative_vp(seconds) == octet
    assert tpread.vp_seconds(octet) == seconds


def test_relative_validity_rounds_up_and_caps():
    assert tpfields.relative_vp(1) == 0  # 5 minutes is the least
    assert tpfields.relative_vp(301) == 1
    assert tpfields.relative_vp(12 * 3600 + 1) == 144
    assert tpfields.relative_vp(10**9) == 255
    for v in range(256):  # every octet maps back to itself
        assert tpfields.relative_vp(tpread.vp_seconds(v)) == v


@pytest.mark.parametrize(
    "field,iso",
    [  # [GM] TestTimestamp
        ("51117200000000", "2015-11-27T00:00:00+00:00"),
        ("51117200000080", "2015-11-27T00:00:00+02:00"),
        ("70402132522423", "2007-04-12T23:25:42+08:00"),
        ("7040213252242B", "2007-04-12T23:25:42-08:00"),
    ],
)
def test_timestamps(field, iso):
    assert tpread.timestamp(bytes.fromhex(field), 0, "TP-SCTS") == iso


@pytest.mark.parametrize(
    "udh,expected",
    [  # [GM] TestUdhConcatenation / TestUdhPortAddress IEs
        ("0003170301", {"concat": {"ref": 23, "total": 3, "seq": 1, "bits": 8}}),
        ("080401800402", {"concat": {"ref": 384, "total": 4, "seq": 2, "bits": 16}}),
        ("04026432", {"port": {"dst": 100, "src": 50, "bits": 8}}),
        ("050404D21466", {"port": {"dst": 1234, "src": 5222, "bits": 16}}),
        ("2401019900", {"other": [{"iei": 0x24, "data": "01"}, {"iei": 0x99, "data": ""}]}),
        ("0003170004", {"other": [{"iei": 0, "data": "170004"}]}),  # seq 0: ignore (9.2.3.24.1)
    ],
)
def test_udh_elements(udh, expected):
    buf = bytes.fromhex(udh)
    d = {}
    tpread.parse_udh(buf, 0, len(buf), d)
    assert d["udh"] == expected


def test_gsm7_semi_octets_and_ucs2():  # [GM] TestGsm7 / TestUcs2 style checks
    assert gsm7.to_ucs2("あ叶葉") == bytes([0x30, 0x42, 0x53, 0xF6, 0x84, 0x49])
    assert gsm7.to_septets("世界您好！") is None
    assert tpfields.smsc_field("+9876543210").hex().upper() == "06918967452301"


def test_lookup_tables_match_the_alphabet():
    # gsm7.py and gsm7read.py carry their lookup tables as literals; they must agree with the
    # readable tables (tests/alphabet.py).
    ascii_tbl = bytearray(b"\xff" * 128)
    na = {}
    u8 = bytearray(256)
    for i, ch in enumerate(alphabet.BASIC):
        if i == 0x1B:
            continue
        enc = ch.encode()
        u8[2 * i : 2 * i + len(enc)] = enc
        if ord(ch) < 0x80:
            ascii_tbl[ord(ch)] = i
        else:
            na[ord(ch)] = i
    for code, ch in zip(alphabet.EXT_CODES, alphabet.EXT_CHARS):
        if ord(ch) < 0x80:
            ascii_tbl[ord(ch)] = 0x80 | code
        else:
            na[ord(ch)] = 0x80 | code
    assert gsm7._ASCII == bytes(ascii_tbl) and gsm7read._U8 == bytes(u8)
    assert dict(zip(gsm7._NA_CPS, gsm7._NA_SEPT)) == na and len(gsm7._NA_CPS) == len(na)
    assert gsm7read._EXT_CPS == tuple(ord(c) for c in alphabet.EXT_CHARS)
    assert gsm7read._EXT_CODES == alphabet.EXT_CODES
    assert len(alphabet.BASIC) == 128 and len(set(alphabet.BASIC)) == 128


def test_non_bcd_timestamp_is_kept_raw_and_the_text_still_decodes():
    d = pdu.decode("0004038121F30000F201010000000002E834")
    assert d["scts_raw"] == "F2010100000000" and "scts" not in d and d["text"] == "hi"


# Hand-built TPDUs (3GPP TS 23.040 9.2.2.2 / 9.2.3.12.3 / 9.2.2.3 layouts) for fields the
# published vectors above do not reach. "038121F3" is the number 123, "02E834" the text "hi".
@pytest.mark.parametrize(
    "hexpdu,expected",
    [
        # SUBMIT, enhanced VP, format 1 (relative octet 11 -> 1 hour)
        ("000900038121F30000010B000000000002E834", {"vp": 3600, "text": "hi"}),
        # SUBMIT, enhanced VP, format 3 (semi-octets 01:30:00)
        ("000900038121F3000003100300000000" "02E834", {"vp": 5400}),
        # SUBMIT, enhanced VP, format 2 (integer seconds)
        ("000900038121F300000228000000000002E834", {"vp": 40}),
        # SUBMIT, enhanced VP with a reserved format: kept as hex
        ("000900038121F300000500000000000002E834", {"vp": "05000000000000"}),
        # DELIVER, flash SMS (DCS 0x10: class 0), PID 0x40 (short message type 0)
        ("0004038121F3401042010100000000" "02E834", {"class": 0, "pid": 0x40, "text": "hi"}),
        # DELIVER, DCS 0xD1: message waiting store, fax, inactive
        ("0004038121F300D142010100000000" "02E834", {"mwi": {"active": False, "kind": "fax",
                                                             "store": True}}),
        # DELIVER, DCS 0xE8: message waiting store, UCS-2 text
        ("0004038121F300E842010100000000" "0400680069", {"encoding": "ucs2", "text": "hi"}),
        # DELIVER, DCS 0x24: compressed GSM-7 -> handed over as data
        ("0004038121F3002442010100000000" "02E834", {"compressed": True, "data": "E834"}),
        # STATUS-REPORT with TP-PI = 7 (PID, DCS, UDL + UD follow)
        ("0006D60B911326880736F41110117195514011101171957140" "00" "07" "00" "00" "02E834",
         {"type": "status_report", "mr": 214, "status": 0, "pid": 0, "dcs": 0, "text": "hi"}),
        # STATUS-REPORT with TP-PI extension bit set: the rest is skipped
        ("0006D60B911326880736F41110117195514011101171957140" "00" "80" "FFFF",
         {"type": "status_report", "status": 0}),
        # SUBMIT, national number (TON 2), TP-RD and TP-RP set
        ("00950003A121F30000AA02E834", {"number": "123", "number_type": "national",
                                        "vp": 4 * 86400}),
    ],
)  # fmt: skip
def test_handbuilt_fields(hexpdu, expected):
    d = pdu.decode(hexpdu)
    for k, v in expected.items():
        assert d[k] == v, (k, d)


# [MM] linux-mobile-broadband/ModemManager src/tests/test-sms-part-3gpp.c (data only).
MM_DECODE = [
    (
        "07912104442961F4040B916171957291F800001120821105050A6AC8B2BC7C9A83C220F6DB7D2ECB"
        "41EDF27C1E3E97411BDE06754FD3D1A0F9BB5D0695F1F4B29B5C2683C6E8B03C3CA697E5F34D6AE3"
        "03D1D1F2F7DD0D4ABB59A0797D8C0685E7A00028EC26832A960B28EC2683BE6050780EBA97D96C17",
        {"smsc": "+12404492164", "number": "+16175927198", "scts": "2011-02-28T11:50:50-05:00",
         "text": "Here's a longer message [{with some extended characters}] thrown in, such as "
         "£ and ΩΠΨ and §¿ as well."},
    ),
    (
        "07919730071111F10414D04937BD2C7797E9D3E614000811309291024061080442043504410442",
        {"number": "InternetSMS", "number_type": "alphanumeric", "text": "тест",
         "scts": "2011-03-29T19:20:04+04:00"},
    ),
    (
        "07912143658709F1040B918100551512F20000111010214365000AE8329BFD4697D9EC37",
        {"smsc": "+12345678901", "number": "+18005551212", "text": "hellohello",
         "scts": "2011-01-01T12:34:56+00:00"},
    ),
    (
        "07912143658709F1040B918100551512F20004111010214365000AE8329BFD4697D9EC37DE",
        {"encoding": "8bit", "data": "E8329BFD4697D9EC37DE"},
    ),
    (
        "07913306091093F0040485810000F111604231805180A049B7F90D9A1AA5A01668F8769BD3E4B29B"
        "9E2EB359A03FC85D06A9C3ED707A0EA2CBC3EE79BB4CA7CBCBA05643617DA7C76990FD4D979741EE"
        "77DD5E0ED741ED371D442E83E0E1F9BC0CD281E677D9B84C06C1DF7539E85C9097E520FB9B2E2F83"
        "C6EF369C5E064D8D52D0BC2E07DDEF77D7DC2C7799E5A0771D040FCB41F402BB0047BFDD6550B80E"
        "CAD966",
        {"smsc": "+33609001390", "number": "1800", "class": 1, "scts": "2011-06-24T13:08:15+02:00",
         "text": "Info SFR - Confidentiel, à ne jamais transmettre -\r\nVoici votre nouveau mot "
         "de passe : sw2ced pour gérer votre compte SFR sur www.sfr.fr ou par téléphone au 963"},
    ),
    (  # KPN welcome message: 16-bit concatenation reference
        "07911356131313F64004850120390011609232239180A006080400100201D7327BFD6EB340E2321B"
        "F46E83EA7790F59D1E97DBE1341B442F83C465763D3DA797E56537C81D0ECB41AB59CC1693C16031"
        "D96C064241E5656838AF03A96230982A269BCD462917C8FA4E8FCBED709A0D7ABBE9F6B0FB5C7683"
        "D27350984D4FABC9A0B33C4C4FCF5D20EBFB2D079DCB62793DBD06D9C36E50FB2D4E97D9A0B49B5E"
        "96BBCB",
        {"number": "1002", "pid": 0x39, "udh": {"concat": {"ref": 16, "total": 2, "seq": 1,
         "bits": 16}}, "text": "Welkom, bel om uw Voicemail te beluisteren naar +31612001233 "
         "(PrePay: *100*1233#). Voicemail ontvangen is altijd gratis. Voor gebruik van mobiel "
         "interne"},
    ),
    (
        "07912160130320F5440B916171056429F5000021405291650569A00500034C0201A9E8F41C949E83"
        "C2207B599E07B1DFEE33885E9ED341E4F23C7D7697C920FA1B54C697E5E3F4BC0C6AD7D9F434081E"
        "96D341E3303C2C4EB3D3F4BC0B94A483E6E8779D4D06CDD1EF3BA80E0785E7A0B7BB0C6A97E7F3F0"
        "B9CC02B9DF7450780EA2DFDF2C50780EA2A3CBA0BA9B5C96B3F369F71954768FDFE4B4FB0C9297E1"
        "F2F2BCECA6CF41",
        {"udh": {"concat": {"ref": 76, "total": 2, "seq": 1, "bits": 8}},
         "text": "This is a very long test designed to exercise multi part capability. It should "
         "show up as one message, not as two, as the underlying encoding represents "},
    ),
    (
        "07912160130320F6440B916171056429F5000021405291651569320500034C0202E9E8301D444797"
        "41F0B09C3E0785E56590BCCC0ED3CB6410FD0D7ABBCBA0B0FB4D4797E52E10",
        {"udh": {"concat": {"ref": 76, "total": 2, "seq": 2, "bits": 8}},
         "text": "that the parts are related to one another. "},
    ),
    (  # a SUBMIT as stored by the modem
        "002100098136397339F70008224F60597D4F60597D4F60597D4F60597D4F60597D4F60597D4F6059"
        "7D4F60597D4F60",
        {"type": "submit", "srr": True, "number": "639337937", "text": "你好" * 8 + "你"},
    ),
    (  # a status report (TP-ST 0x30)
        "07914356060013F1065A098136397339F7219011700463802190117004638030",
        {"type": "status_report", "mr": 0x5A, "number": "639337937", "status": 0x30,
         "discharge": "2012-09-11T07:40:36+02:00"},
    ),
]  # fmt: skip


@pytest.mark.parametrize("hexpdu,expected", MM_DECODE, ids=range(len(MM_DECODE)))
def test_decode_modemmanager_vectors(hexpdu, expected):
    d = pdu.decode(hexpdu)
    assert {k: d.get(k) for k in expected} == expected


def test_modemmanager_insufficient_data_is_rejected():
    with pytest.raises(PduError) as e:
        pdu.decode("07912143658709F1040B918100551512F20000111010214365000BE8329BFD4697D9EC37")
    assert e.value.reason == "UDL larger than the user data" and e.value.pos == 26


MM_ENCODE = [  # (number, text, smsc, validity_s, expected hex); MM's validity 5 = 5 minutes
    ("+15555551234", "Да здравствует король, детка!", "+19037029920", 300,
     "07919130079229F011000B915155551532F40008003A041404300020043704340440043004320441"
     "044204320443043504420020043A043E0440043E043B044C002C0020043404350442043A04300021"),
    ("+15555551234", "Hi there...Tue 17th Jan 2012 05:30.18 pm (GMT+1) ΔΔΔΔΔ", "+19037029920", 300,
     "07919130079229F011000B915155551532F400000036C834888E2ECBCB2E978B5A2F8362373A1AA4"
     "0CBB4132584C0682D57433982B8603C1DB20D4B1495DC552200804028100"),
    ("+15556661234", "This is really cool ΔΔΔΔΔ", None, 300,
     "0011000B915155661632F40000001954747A0E4ACF41F27298CDCE83C6EF371B0481402010"),
    ("+15556661234", "This is really cool ΔΔΔΔΔ", None, None,
     "0001000B915155661632F400001954747A0E4ACF41F27298CDCE83C6EF371B0481402010"),
]  # fmt: skip


@pytest.mark.parametrize("number,text,smsc,validity,expected", MM_ENCODE)
def test_encode_modemmanager_vectors(number, text, smsc, validity, expected):
    _, parts = submit.encode_submit(number, text, validity_s=validity, smsc=smsc)
    head = len(tpfields.smsc_field(smsc))
    assert parts == [(expected, len(expected) // 2 - head)]


def test_modemmanager_split_points():
    # [MM] Text-Split: 160 digits fit one part, 161 split 153 + 8; 70 CJK fit, 71 split 67 + 4
    digits = "0123456789" * 16
    assert len(submit.encode_submit("+1", digits)[1]) == 1
    texts = [pdu.decode(h)["text"] for h, _ in submit.encode_submit("+1", digits + "0")[1]]
    assert texts == [digits[:153], digits[153:] + "0"]
    cjk = "你好" * 35
    assert len(submit.encode_submit("+1", cjk)[1]) == 1
    texts = [pdu.decode(h)["text"] for h, _ in submit.encode_submit("+1", cjk + "好")[1]]
    assert texts == [cjk[:67], cjk[67:] + "好"]


def test_forced_ucs2_and_message_class():
    enc, parts = submit.encode_submit("+1", "Hi", ucs2=True, msg_class=0)
    d = pdu.decode(parts[0][0])
    assert (enc, d["encoding"], d["dcs"], d["class"], d["text"]) == ("ucs2", "ucs2", 0x18, 0, "Hi")
    d = pdu.decode(pdu_mt.encode_deliver("+1", "x" * 200, msg_class=2, ucs2=True, ref=3)[2])
    assert (d["dcs"], d["class"], d["udh"]["concat"]["total"], d["text"]) == (0x1A, 2, 3, "x" * 66)
    with pytest.raises(ValueError):
        submit.encode_submit("+1", "x", msg_class=4)
