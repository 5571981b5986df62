"""`smsgate pdu decode|encode`: golden output, errors and exit status, and the MicroPython path
printing byte-identical lines."""

import json
import subprocess
import sys

import pytest

from smsgate.cli import main
from smsgw.codec import gsm7, pdu, submit

from smsgate.sim import pdu_mt

HELLO = "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37"
GOLDEN = {
    HELLO: '{"type": "deliver", "smsc": "+27381000015", "number": "27838890001", '
    '"number_type": "unknown", "pid": 0, "dcs": 0, "encoding": "gsm7", "text": "hellohello", '
    '"scts": "1999-03-29T15:16:59+02:00"}',
    # python-gsmmodem test vector: UCS-2 SUBMIT
    "07914346466554F601000B914316565811F9000806304253F68449": '{"type": "submit", '
    '"smsc": "+34646456456", "number": "+34616585119", "number_type": "international", '
    '"pid": 0, "dcs": 8, "encoding": "ucs2", "text": "あ叶葉", "mr": 0, "srr": false}',
    # python-gsmmodem test vector: SMS-STATUS-REPORT
    "0006D60B911326880736F4111011719551401110117195714000": '{"type": "status_report", '
    '"number": "+31628870634", "number_type": "international", '
    '"scts": "2011-01-11T17:59:15+01:00", "discharge": "2011-01-11T17:59:17+01:00", '
    '"status": 0, "mr": 214}',
    "0G": '{"error": "bad hex digit at octet 0"}',
}


def _deliver(fo, dcs, udl, ud_hex):
    """A DELIVER from "123" (SMSC 00, SCTS 2024-10-10) with the given first octet, DCS, UD."""
    return "00%02X038121F300%02X42010100000000%02X%s" % (fo, dcs, udl, ud_hex.upper())


# PDUs whose decoding exercises every branch we print: both runtimes must agree on all of them.
SAMPLES = list(GOLDEN) + [
    submit.encode_submit("+4917012345", "Grüße 😀 " * 12, srr=True, validity_s=7200,
                         ref=9)[1][1][0],
    submit.encode_submit("Alpha", "€ [x] {y}\f", smsc="+4911")[1][0][0],
    pdu_mt.encode_deliver("INFO 24", "x" * 170 + "^", (2020, 2, 3, 4, 5, 6, -20), ref=200)[1],
    pdu_mt.encode_status_report(255, "0171234", 0x62, (21, 1, 1, 0, 0, 0), (21, 1, 1, 9, 0, 0)),
    "0591721891F101000B917228214365F700040C48656C6C6F20776F726C6421",  # 8-bit data
    "0019000B917228001011F100003170013193008017D474BB3CA787DB70903DCC4E93D3F43C885E9ED301",
    _deliver(0x44, 0xF1, 10, "0605040B8423F0" + gsm7.pack(b"Ab").hex()),  # class 1, ports
    _deliver(0x04, 0xC8, 2, gsm7.pack(b"hi").hex()),  # message waiting (voicemail, active)
    _deliver(0x44, 0x00, 9, "03240101" + gsm7.pack(b"A\x1b\x65B", 3).hex()),  # national shift
    _deliver(0x04, 0x00, 3, gsm7.pack(b"A\x1bA").hex()),  # unknown escape code
    "0004038121F30000F2010100000000" "02E834",  # SCTS with a non-BCD digit
    "0041010C910661345542F60008A0050003000301306F3044",  # UDL beyond 140
    HELLO[:40],
    "000",
]  # fmt: skip


def _decode(capsys, *args):
    status = main(["pdu", "decode", *args])
    return status, capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("hexpdu", list(GOLDEN))
def test_decode_golden(capsys, hexpdu):
    status, lines = _decode(capsys, hexpdu)
    assert lines == [GOLDEN[hexpdu]]
    assert status == (1 if "error" in GOLDEN[hexpdu] else 0)


def test_decode_keeps_argument_order_and_fails_on_any_error(capsys):
    status, lines = _decode(capsys, HELLO, "00", HELLO)
    assert status == 1
    assert lines[0] == lines[2] == GOLDEN[HELLO]
    assert json.loads(lines[1]) == {"error": "truncated first octet at octet 1"}


def test_decode_reads_stdin_when_no_argument():
    out = subprocess.run(
        [sys.executable, "-m", "smsgate", "pdu", "decode"],
        input=HELLO + "\n" + HELLO[:10] + "\n", capture_output=True, encoding="utf-8",
        timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert lines[0] == GOLDEN[HELLO] and json.loads(lines[1])["error"].startswith("truncated")


def test_decode_bare_tpdu(capsys):
    status, lines = _decode(capsys, "--tpdu", HELLO[16:])
    assert status == 0 and json.loads(lines[0])["text"] == "hellohello"


def test_micropython_path_prints_identical_bytes(capsys):
    status_c, lines_c = _decode(capsys, *SAMPLES)
    status_m, lines_m = _decode(capsys, "--micropython", *SAMPLES)
    assert (status_c, status_m) == (1, 1)
    assert len(lines_c) == len(SAMPLES)
    assert lines_m == lines_c
    seen = {k for line in lines_c for k in json.loads(line)}
    assert {"udh", "class", "mwi", "unknown_septets", "data", "vp", "srr", "error"} <= seen
    assert "scts_raw" in seen


def test_micropython_path_takes_a_140_octet_pdu(capsys):
    # a full single-part SMS: the unix port dies on a command-line argument of 256+ characters
    (long,) = pdu_mt.encode_deliver("+4917012345", "x" * 160)
    assert len(long) // 2 - 1 >= 140
    status_c, lines_c = _decode(capsys, long, "")
    status_m, lines_m = _decode(capsys, "--micropython", long, "")
    assert (status_c, status_m) == (1, 1) and lines_m == lines_c
    assert json.loads(lines_m[0])["text"] == "x" * 160 and "error" in json.loads(lines_m[1])


def test_encode_prints_parts(capsys):
    assert main(["pdu", "encode", "--to", "+4912345", "--text", "x" * 161, "--report"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["encoding"] == "gsm7" and out["segments"] == 2
    for part in out["parts"]:
        assert part["tpdu_length"] == len(part["pdu"]) // 2 - 1
        assert pdu.decode(part["pdu"])["srr"] is True


def test_encode_golden_matches_published_vector(capsys):
    # python-gsmmodem test vector (UCS-2, 52 weeks validity, SMSC given)
    args = ["--to", "+123456789", "--text", "世界您好！", "--validity", str(52 * 7 * 86400)]
    assert main(["pdu", "encode", *args, "--smsc", "+44000000000"]) == 0
    assert capsys.readouterr().out == (
        '{"encoding": "ucs2", "segments": 1, "parts": [{"pdu": '
        '"07914400000000F01100099121436587F90008F40A4E16754C60A8597DFF01", "tpdu_length": 23}]}\n'
    )


def test_encode_reads_stdin_and_16bit_ref():
    out = subprocess.run(
        [sys.executable, "-m", "smsgate", "pdu", "encode", "--to", "12345", "--ref-bits", "16",
         "--ref", "4660"],
        input="Ж" * 71 + "\n", capture_output=True, encoding="utf-8", timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    parts = json.loads(out.stdout)["parts"]
    assert [pdu.decode(p["pdu"])["udh"]["concat"]["ref"] for p in parts] == [4660, 4660]
    assert "".join(pdu.decode(p["pdu"])["text"] for p in parts) == "Ж" * 71


@pytest.mark.parametrize(
    "args",
    [
        ["--text", "x"],
        ["--to", "+49", "--text", "x", "--ref-bits", "12"],
        ["--to", "+49", "--text", "x", "--validity", "0"],
        ["--to", "+49", "--text", "x", "--validity", "soon"],
        ["--to", "+49", "--text", "x", "--ref", "256"],
        ["--to", "Far too long name", "--text", "x"],
        ["--to", "+49", "--text", "x", "--smsc", "SMSC"],
    ],
)
def test_encode_bad_arguments_exit_2_with_one_line(args):
    out = subprocess.run(
        [sys.executable, "-m", "smsgate", "pdu", "encode", *args],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert out.returncode == 2
    assert out.stdout == ""
    assert len(out.stderr.splitlines()) == 1 and out.stderr.startswith("smsgate: ")
