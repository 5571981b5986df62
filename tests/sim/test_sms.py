"""SMS features of both profiles over pyserial: +CMT/+CDS/+CDSI, text mode and CSCS, listing,
deleting, CPMS forms, CNMI ranges, inbound multipart/UCS-2/class 0, USSD, calls, identity."""

from __future__ import annotations

import re
import socket
import time

import pytest
from simtest_helpers import FINAL, ATClient

from smsgate.sim.harness import SimProcess, SimThread
from smsgw.codec import pdu, submit

DEST = "+4915112345678"


def _wipe(sim, at):
    at.cmd(b"AT+CMGF=0;+CPMS=\"SM\",\"SM\",\"SM\";+CNMI=2,1,0,0,0")
    at.cmd(b"AT+CMGD=1,4" if sim.model == "sim800" else b"AT+CMGD=,4")
    at.quiet(0.05)


def _base(sim) -> int:
    return 1 if sim.model == "sim800" else 0


def test_cmt_pdu_and_text_forms(sim, at):
    _wipe(sim, at)
    at.cmd(b"AT+CNMI=2,2,0,0,0")
    sim.send_sms("+4917012345678", "pushed to the TE")
    got = at.read_until(re.compile(rb"\+CMT: \"\",(\d+)\r\n([0-9A-F]+)\r\n"))
    n, hexpdu = re.search(rb"\+CMT: \"\",(\d+)\r\n([0-9A-F]+)\r\n", got).groups()
    assert int(n) == len(hexpdu) // 2 - 1  # TPDU length: the SMSC octet is not counted
    assert pdu.decode(hexpdu.decode())["text"] == "pushed to the TE"
    at.cmd(b"AT+CMGF=1")
    sim.send_sms("+4917012345678", "text form")
    got = at.read_until(b"text form\r\n")
    assert re.fullmatch(
        rb'\r\n\+CMT: "\+4917012345678","","\d\d/\d\d/\d\d,\d\d:\d\d:\d\d\+00"\r\ntext form\r\n',
        got)
    assert sim.storage()["SM"]["used"] == 0
    _wipe(sim, at)


def test_status_report_as_cds(sim, at):
    _wipe(sim, at)
    at.cmd(b"AT+CNMI=%d,1,0,1,0" % (2 if sim.model == "sim800" else 1))
    sim.network(report_delay_s=0.05, report_status=0x40)
    hexpdu, n = submit.encode_submit(DEST, "report me", srr=True)[1][0]
    at.raw(b"AT+CMGS=%d\r" % n)
    at.read_until(b"> ")
    at.raw(hexpdu.encode() + b"\x1a")
    got = at.read_until(re.compile(rb"\+CDS: \d+\r\n[0-9A-F]+\r\n"))
    mr = int(re.search(rb"\+CMGS: (\d+)", got).group(1))
    report = pdu.decode(re.search(rb"\+CDS: \d+\r\n([0-9A-F]+)", got).group(1).decode())
    assert (report["type"], report["mr"], report["number"], report["status"]) == (
        "status_report", mr, DEST, 0x40)
    sim.network(report_status=0)
    _wipe(sim, at)


def test_cdsi_only_on_sim7600(sim, at):
    _wipe(sim, at)
    if sim.model == "sim800":
        assert at.cmd(b"AT+CNMI=2,1,0,2,0") == b"\r\nERROR\r\n"  # SIM800 has no ds=2
        assert at.cmd(b"AT+CNMI?") == b"\r\n+CNMI: 2,1,0,0,0\r\n\r\nOK\r\n"
        return
    at.cmd(b"AT+CNMI=2,1,0,2,0")
    sim.network(report_delay_s=0.05)
    hexpdu, n = submit.encode_submit(DEST, "report me", srr=True)[1][0]
    at.raw(b"AT+CMGS=%d\r" % n)
    at.read_until(b"> ")
    at.raw(hexpdu.encode() + b"\x1a")
    got = at.read_until(re.compile(rb'\+CDSI: "SR",\d+\r\n'))
    index = int(re.search(rb'\+CDSI: "SR",(\d+)', got).group(1))
    at.cmd(b'AT+CPMS="SR"')
    lines = at.cmd(b"AT+CMGR=%d" % index).split(b"\r\n")
    assert pdu.decode(lines[2].decode())["type"] == "status_report"
    at.cmd(b"AT+CMGD=,4")
    _wipe(sim, at)


def test_text_mode_send_with_ucs2_charset(sim, at):
    sim.clear_sent()
    at.cmd(b"AT+CSDH=0")
    at.cmd(b'AT+CMGF=1;+CSCS="UCS2";+CSMP=17,167,0,8')
    number = DEST.encode("utf-16-be").hex().upper().encode()
    at.raw(b'AT+CMGS="%s"\r' % number)
    at.read_until(b"> ")
    at.raw("Grüße €".encode("utf-16-be").hex().upper().encode() + b"\x1a")
    assert re.search(rb"\+CMGS: \d+\r\n\r\nOK\r\n", at.read_until(FINAL))
    at.cmd(b'AT+CSCS="GSM";+CSMP=17,167,0,0')
    at.raw(b'AT+CMGS="+4915199999"\r')
    at.read_until(b"> ")
    at.raw(b"plain text\x1a")
    at.read_until(FINAL)
    long_text = "modem splits this " * 12
    at.raw(b'AT+CMGS="+4915199999"\r')
    at.read_until(b"> ")
    at.raw(long_text.encode() + b"\x1a")
    at.read_until(FINAL)
    sent = sim.wait_sent(3, 5)
    assert [(s["to"], s["text"]) for s in sent] == [
        (DEST, "Grüße €"), ("+4915199999", "plain text"), ("+4915199999", long_text)]
    assert sent[2]["parts"] == 2
    at.cmd(b'AT+CMGF=0;+CSCS="IRA"')


def test_listing_filters_mark_read_and_delete_flags(sim, at):
    _wipe(sim, at)
    sim.send_sms("+491111", "one")
    sim.send_sms("+492222", "two")
    at.read_until(re.compile(rb"(\+CMTI.*\r\n){2}", re.S))
    b = _base(sim)
    at.cmd(b"AT+CMGF=1")
    assert at.cmd(b'AT+CMGR=%d' % b).count(b'"REC UNREAD","+491111",""') == 1
    unread = at.cmd(b'AT+CMGL="REC UNREAD"')
    assert b"two" in unread and b"one" not in unread
    assert at.cmd(b'AT+CMGL="REC UNREAD"') == b"\r\nOK\r\n"  # listing marked it read
    assert at.cmd(b'AT+CMGL="ALL"').count(b'"REC READ"') == 2
    at.cmd(b"AT+CMGF=0")
    assert at.cmd(b"AT+CMGL=1").count(b"+CMGL: ") == 2
    assert at.cmd(b"AT+CMGR=%d" % (b + 5)) == b"\r\nOK\r\n"  # empty slot: bare OK
    if sim.model == "sim800":
        assert at.cmd(b"AT+CMGD=,4") == b"\r\nERROR\r\n"
        assert at.cmd(b"AT+CMGDA=6") == b"\r\nOK\r\n"
    else:
        assert at.cmd(b"AT+CMGDA=6") == b"\r\nERROR\r\n"
        assert at.cmd(b"AT+CMGD=,4") == b"\r\nOK\r\n"
    assert sim.storage()["SM"]["used"] == 0


def test_cpms_forms_and_separate_stores(sim, at):
    _wipe(sim, at)
    sim.send_sms("+491111", "in SM")
    at.read_until(re.compile(rb"\+CMTI.*\r\n"))
    me = 20 if sim.model == "sim800" else 23
    assert at.cmd(b'AT+CPMS="SM"') == b"\r\n+CPMS: 1,30,1,30,1,30\r\n\r\nOK\r\n"
    assert at.cmd(b'AT+CPMS="ME","ME"') == (
        b"\r\n+CPMS: 0,%d,0,%d,1,30\r\n\r\nOK\r\n" % (me, me))
    assert at.cmd(b"AT+CPMS?") == (
        b'\r\n+CPMS: "ME",0,%d,"ME",0,%d,"SM",1,30\r\n\r\nOK\r\n' % (me, me))
    assert at.cmd(b"AT+CMGL=4") == b"\r\nOK\r\n"  # ME is empty, SM is not listed twice
    assert at.cmd(b'AT+CPMS="XX"') == b"\r\n+CMS ERROR: 302\r\n"
    _wipe(sim, at)


def test_inbound_multipart_ucs2_and_class0(sim, at):
    _wipe(sim, at)
    long_text = "".join(chr(0x61 + i % 26) for i in range(400))
    assert sim.send_sms("+4933", long_text)["parts"] == 3
    assert sim.send_sms("+4933", "forced ucs2", encoding="ucs2")["parts"] == 1
    assert sim.send_sms("+4933", "flash!", class_=0)["parts"] == 1
    at.read_until(re.compile(rb"(\+CMTI.*?\r\n){5}", re.S))
    blocks = re.findall(rb"\+CMGL: \d+,0,\"\",\d+\r\n([0-9A-F]+)", at.cmd(b"AT+CMGL=4"))
    decoded = [pdu.decode(h.decode()) for h in blocks]
    parts = sorted((d["udh"]["concat"]["seq"], d["text"]) for d in decoded[:3])
    assert "".join(t for _, t in parts) == long_text
    assert (decoded[3]["encoding"], decoded[3]["text"]) == ("ucs2", "forced ucs2")
    assert decoded[4]["dcs"] & 0x13 == 0x10 and decoded[4]["text"] == "flash!"
    _wipe(sim, at)


def test_ussd_per_model(sim, at):
    sim.network(ussd_text="Balance: 5.00")
    at.raw(b'AT+CUSD=1,"*100#",15\r')
    got = at.read_until(re.compile(rb"\+CUSD: .*\r\n"))
    assert got.startswith(b"\r\nOK\r\n")
    if sim.model == "sim800":
        assert got.endswith(b'\r\n+CUSD: 0, "Balance: 5.00", 15\r\n')
    else:
        assert got.endswith(b'\r\n+CUSD: 0,"Balance: 5.00",15\r\n')
    at.cmd(b'AT+CSCS="UCS2"')
    at.raw(b'AT+CUSD=1,"%s",15\r' % "*100#".encode("utf-16-be").hex().encode())
    got = at.read_until(re.compile(rb"\+CUSD: .*\r\n"))
    assert "Balance: 5.00".encode("utf-16-be").hex().upper().encode() in got
    assert got.rstrip().endswith(b"72")
    at.cmd(b'AT+CSCS="IRA"')


def test_ring_and_clip_until_ath(sim, at):
    at.cmd(b"AT+CLIP=1")
    sim.call("+4930123456")
    got = at.read_until(re.compile(rb"(RING\r\n\r\n\+CLIP: [^\r]*\r\n.*){2}", re.S))
    clip = b'+CLIP: "+4930123456",145,"",0,"",0' if sim.model == "sim800" else \
        b'+CLIP: "+4930123456",145,,,"",0'
    assert got.count(clip) >= 2
    assert at.cmd(b"ATH").endswith(b"\r\nOK\r\n")
    at.quiet(0.1)
    assert at.quiet(0.2) == b""  # no more RING
    sim.call("+4930123456")
    at.read_until(re.compile(rb"RING\r\n"))
    assert sim.hangup() == {"hung_up": True}
    assert b"\r\nNO CARRIER\r\n" in at.read_until(b"\r\nNO CARRIER\r\n")
    assert at.cmd(b"ATA") == b"\r\nNO CARRIER\r\n"  # nothing to answer
    at.cmd(b"AT+CLIP=0")


def test_identity_and_status_commands_per_model(sim, at):
    if sim.model == "sim800":
        assert re.fullmatch(rb"\r\n\d{19}F?\r\n\r\nOK\r\n", at.cmd(b"AT+CCID"))
        assert at.cmd(b"AT+CPSI?") == b"\r\nERROR\r\n"
        assert at.cmd(b"AT+CBC") == b"\r\n+CBC: 0,81,4050\r\n\r\nOK\r\n"
        assert at.cmd(b"AT+CCLK?").startswith(b'\r\n+CCLK: "04/01/01,')
    else:
        assert re.fullmatch(rb"\r\n\+ICCID: \d{20}\r\n\r\nOK\r\n", at.cmd(b"AT+CICCID"))
        assert at.cmd(b"AT+CPSI?").startswith(b"\r\n+CPSI: LTE,Online,001-01,")
        assert at.cmd(b"AT+CNSMOD?") == b"\r\n+CNSMOD: 0,8\r\n\r\nOK\r\n"
        assert at.cmd(b"AT+CBC") == b"\r\n+CBC: 4.050V\r\n\r\nOK\r\n"
        assert at.cmd(b"AT+CCID") == b"\r\nERROR\r\n"
    assert at.cmd(b"AT+COPS=3,2;+COPS?").startswith(b'\r\n+COPS: 0,2,"00101"')
    at.cmd(b"AT+COPS=3,0")
    assert at.cmd(b"AT+CREG=2;+CREG?") == b'\r\n+CREG: 2,1,"1A2B","3C4D"\r\n\r\nOK\r\n'
    at.cmd(b"AT+CREG=0")
    assert at.cmd(b"AT+CGATT?") == b"\r\n+CGATT: 1\r\n\r\nOK\r\n"
    assert at.cmd(b"AT+CNUM") == b'\r\n+CNUM: "","+15550009999",145\r\n\r\nOK\r\n'


def test_csms_needs_cnma(sim, at):
    _wipe(sim, at)
    at.cmd(b"AT+CSMS=1;+CNMI=2,2,0,0,0")
    sim.send_sms("+491111", "ack me")
    at.read_until(re.compile(rb"\+CMT: .*\r\n[0-9A-F]+\r\n"))
    assert at.cmd(b"AT+CNMA") == b"\r\nOK\r\n"
    assert at.cmd(b"AT+CNMA") == b"\r\n+CMS ERROR: 340\r\n"
    sim.send_sms("+491111", "never acked")
    at.read_until(re.compile(rb"\+CMT: .*\r\n[0-9A-F]+\r\n"))
    deadline = time.monotonic() + 5  # 27.005 3.4.4: routing off, the SMSC delivers it again
    while sim.storage()["SM"]["used"] < 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert at.cmd(b"AT+CNMI?") == b"\r\n+CNMI: 2,0,0,0,0\r\n\r\nOK\r\n"
    assert sim.storage()["SM"]["messages"][0]["text"] == "never acked"
    at.cmd(b"AT+CSMS=0")
    _wipe(sim, at)


def test_tcp_link_serves_the_same_modem(tmp_path):
    with SimThread("sim7600", tmp_path, tcp=0) as sim:
        sim.wait_ready()
        with socket.create_connection(("127.0.0.1", sim.sim.tcp_port), timeout=2) as s:
            s.sendall(b"ATE0\r")
            buf = b""
            while b"OK" not in buf:
                buf += s.recv(100)
            assert buf == b"ATE0\r\r\nOK\r\n"


def test_cli_prints_device_and_exits_zero_on_sigterm(tmp_path):
    at_log = tmp_path / "at.log"
    args = ("--log", str(at_log), "--ussd-text", "Rest 1 EUR")
    sim = SimProcess("sim7600", tmp_path, extra_args=args).start()
    sim.wait_ready()
    at = ATClient(sim.link)
    at.sync()
    at.raw(b'AT+CUSD=1,"*100#",15\r')
    assert at.read_until(re.compile(rb"\+CUSD: .*\r\n")).endswith(b'+CUSD: 0,"Rest 1 EUR",15\r\n')
    at.close()
    assert sim.stop() == 0
    lines = sim.log_path.read_text().splitlines()
    assert lines[0] == sim.link
    assert lines[1].startswith("control: http://127.0.0.1:")
    assert "tx b'\\r\\nRDY\\r\\n'" in at_log.read_text()


@pytest.mark.parametrize("model", ["sim800"])
def test_log_records_rx_and_tx(model, sim, at):
    at.cmd(b"AT+CSQ")
    log = sim.log()
    assert any(e["dir"] == "rx" and "AT+CSQ" in e["data"] for e in log)
    assert any(e["dir"] == "tx" and "+CSQ: " in e["data"] for e in log)
    assert sim.status()["counters"]["commands"] > 0


def test_clock_set_and_bad_values(sim, at):
    assert at.cmd(b'AT+CCLK="garbage"') == b"\r\nERROR\r\n"
    assert at.cmd(b'AT+CCLK="24/02/29,23:59:58+00"') == b"\r\nOK\r\n"
    assert at.cmd(b"AT+CCLK?").startswith(b'\r\n+CCLK: "24/02/29,23:59:5')
    assert sim.status()["counters"].get("internal_errors", 0) == 0


def test_write_to_storage_then_send_from_it(sim, at):
    _wipe(sim, at)
    sim.clear_sent()
    hexpdu, n = submit.encode_submit(DEST, "stored first")[1][0]
    at.raw(b"AT+CMGW=%d\r" % n)
    at.read_until(b"> ")
    at.raw(hexpdu.encode() + b"\x1a")
    b = _base(sim)
    assert at.read_until(FINAL) == b"\r\n+CMGW: %d\r\n\r\nOK\r\n" % b
    assert at.cmd(b"AT+CMGL=2").count(b"+CMGL: %d,2," % b) == 1  # STO UNSENT
    reply = at.cmd(b"AT+CMSS=%d" % b)
    assert re.fullmatch(rb"\r\n\+CMSS: \d+\r\n\r\nOK\r\n", reply)
    assert at.cmd(b"AT+CMGL=3").count(b"+CMGL: %d,3," % b) == 1  # now STO SENT
    at.cmd(b"AT+CMGF=1")
    assert b'"STO SENT","%s",""' % DEST.encode() in at.cmd(b'AT+CMGL="ALL"')
    assert at.cmd(b'AT+CMSS=%d,"+4917000000"' % b).startswith(b"\r\n+CMSS: ")
    assert at.cmd(b"AT+CMSS=%d" % (b + 9)) == b"\r\n+CMS ERROR: 321\r\n"
    sent = sim.wait_sent(2, 5)
    assert [(s["to"], s["text"]) for s in sent] == [(DEST, "stored first"),
                                                    ("+4917000000", "stored first")]
    _wipe(sim, at)


def test_a_reboot_drops_the_pending_ussd_answer(sim, at):
    at.raw(b'AT+CUSD=1,"*100#",15;+CFUN=1,1\r')
    assert at.read_until(FINAL) == b"\r\nOK\r\n"
    sim.wait_ready()
    got = at.quiet(0.3)
    assert b"+CUSD" not in got
    if sim.model == "sim7600":  # fixed baud rate: the new boot is visible, the answer is not
        assert got.endswith(b"\r\nSMS DONE\r\n\r\nPB DONE\r\n")
    at.sync()
    at.cmd(b"AT+CMEE=1")
