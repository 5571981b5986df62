"""Basic AT behaviour of both profiles over the pty, with pyserial."""

from smsgw.codec import pdu, submit


def test_info_then_blank_line_then_ok(at):
    assert at.cmd(b"AT+CSQ") == b"\r\n+CSQ: 20,0\r\n\r\nOK\r\n"


def test_send_pdu_with_prompt_is_recorded(sim, at):
    sim.clear_sent()
    hexpdu, n = submit.encode_submit("+4915112345678", "hello world")[1][0]
    at.raw(b"AT+CMGS=%d\r" % n)
    assert at.read_until(b"\r\n> ") == b"\r\n> "
    at.raw(hexpdu.encode() + b"\x1a")
    reply = at.read_until(b"\r\nOK\r\n")
    assert reply.startswith(b"\r\n+CMGS: ")
    sent = sim.wait_sent(1, 5)
    assert sent[0]["to"] == "+4915112345678"
    assert sent[0]["text"] == "hello world"
    assert sent[0]["pdus"] == [hexpdu]


def test_inbound_sms_is_listed(sim, at):
    at.cmd(b"AT+CMGD=1,4" if sim.model == "sim800" else b"AT+CMGD=,4")
    sim.send_sms("+4917012345", "inbound hello")
    urc = at.read_until(b"\r\n", 2)
    base = 1 if sim.model == "sim800" else 0
    assert urc == b'\r\n+CMTI: "SM",%d\r\n' % base
    lines = at.cmd(b"AT+CMGL=4").split(b"\r\n")
    assert lines[1].startswith(b"+CMGL: %d,0," % base)
    assert pdu.decode(lines[2].decode())["text"] == "inbound hello"
