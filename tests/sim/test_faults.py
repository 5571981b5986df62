"""Every fault kind, observed from the client side (pyserial), and the control API's 400s."""

from __future__ import annotations

import re
import time

import pytest

from smsgate.sim.harness import SimError
from smsgw.codec import submit

SEND = submit.encode_submit("+4915112345678", "fault test")[1][0]


def _send(at, timeout=2.0) -> bytes:
    hexpdu, n = SEND
    at.raw(b"AT+CMGS=%d\r" % n)
    at.read_until(b"> ")
    at.raw(hexpdu.encode() + b"\x1a")
    return at.read_until(re.compile(rb"\r\n(OK|ERROR|\+CMS ERROR: \d+)\r\n"), timeout)


@pytest.fixture(autouse=True)
def _clear(sim):
    yield
    sim.fault("clear")
    sim.network(registered=True)
    sim.wait_ready()


def test_silent_swallows_n_commands(sim, at):
    sim.fault("silent", n=2)
    for _ in range(2):
        at.raw(b"AT+CSQ\r")
        assert at.quiet(0.2) == b""  # no echo, no answer: the client times out
    assert at.cmd(b"AT+CSQ") == b"\r\n+CSQ: 20,0\r\n\r\nOK\r\n"


def test_lose_ok_drops_only_the_final_result(sim, at):
    sim.fault("lose_ok")
    at.raw(b"AT+CSQ\r")
    assert at.read_until(b"\r\n+CSQ: 20,0\r\n") == b"\r\n+CSQ: 20,0\r\n"
    assert at.cmd(b"AT") == b"\r\nOK\r\n"


def test_cms_error_on_next_sends(sim, at):
    sim.clear_sent()
    sim.fault("cms_error", code=500, n=2)
    assert _send(at) == b"\r\n+CMS ERROR: 500\r\n"
    assert _send(at) == b"\r\n+CMS ERROR: 500\r\n"
    assert re.fullmatch(rb"\r\n\+CMGS: \d+\r\n\r\nOK\r\n", _send(at))
    assert len(sim.sent()) == 1


def test_reboot_in_the_middle_of_the_next_command(sim, at):
    sim.fault("reboot")
    at.raw(b"AT+CSQ\r")
    got = at.quiet(0.3)
    assert b"OK" not in got and b"+CSQ" not in got  # truncated: garbage, no answer
    sim.wait_ready()
    at.sync()
    assert sim.status()["counters"]["boots"] >= 2


def test_reboot_during_cmgs_after_the_pdu(sim, at):
    sim.clear_sent()
    sim.fault("reboot", during="CMGS")
    hexpdu, n = SEND
    at.raw(b"AT+CMGS=%d\r" % n)
    at.read_until(b"> ")
    at.raw(hexpdu.encode() + b"\x1a")
    got = at.quiet(0.5)
    assert b"+CMGS" not in got
    if sim.model == "sim7600":
        assert b"\r\nRDY\r\n" in got
    assert sim.sent() == []


def test_storage_full_holds_messages_until_space_is_freed(sim, at):
    at.cmd(b"AT+CMGF=0")
    at.cmd(b"AT+CMGD=1,4" if sim.model == "sim800" else b"AT+CMGD=,4")
    sim.fault("storage_full")
    assert re.search(rb'\+CPMS: "SM",30,30', at.cmd(b"AT+CPMS?"))
    sim.send_sms("+4917011111", "waits at the SMSC")
    assert at.quiet(0.2) == b""  # no +CMTI while full
    assert sim.storage()["held"] == 1
    first = 1 if sim.model == "sim800" else 0
    at.raw(b"AT+CMGD=%d\r" % first)
    got = at.read_until(re.compile(rb'\+CMTI: "SM",\d+\r\n'))
    assert b'+CMTI: "SM",%d' % first in got
    assert sim.storage()["held"] == 0
    at.cmd(b"AT+CMGD=1,4" if sim.model == "sim800" else b"AT+CMGD=,4")


def test_deregister_and_register_urcs_and_send_failure(sim, at):
    at.cmd(b"AT+CREG=1")
    sim.fault("deregister")
    assert at.read_until(b"\r\n+CREG: 0\r\n") == b"\r\n+CREG: 0\r\n"
    assert _send(at) == b"\r\n+CMS ERROR: 331\r\n"
    assert at.cmd(b"AT+COPS?").startswith(b"\r\n+COPS: 0\r\n")
    sim.fault("register")
    assert at.read_until(b"\r\n+CREG: 1\r\n") == b"\r\n+CREG: 1\r\n"
    at.cmd(b"AT+CREG=0")


def test_under_voltage_urc_spelling(sim, at):
    sim.fault("under_voltage")
    assert at.read_until(b"\r\nUNDER-VOLTAGE WARNNING\r\n") == b"\r\nUNDER-VOLTAGE WARNNING\r\n"
    assert re.search(rb"\+CBC: (0,\d+,3450|3\.450V)", at.cmd(b"AT+CBC"))
    sim.fault("under_voltage", power_down=True, mv=3350)
    both = b"\r\nUNDER-VOLTAGE WARNNING\r\n\r\nUNDER-VOLTAGE POWER DOWN\r\n"
    assert at.read_until(both) == both
    assert sim.status()["powered"] is False
    sim.power(True)
    sim.wait_ready()
    at.sync()


def test_garbage_bytes_on_the_line(sim, at):
    sim.fault("garbage", bytes="00FFF0")
    assert at.read_until(b"\x00\xff\xf0") == b"\x00\xff\xf0"
    assert at.cmd(b"AT") == b"\r\nOK\r\n"


def test_slow_answers(sim, at):
    sim.fault("slow", s=1.0, n=1)
    t0 = time.monotonic()
    assert at.cmd(b"AT") == b"\r\nOK\r\n"
    assert time.monotonic() - t0 >= 0.95
    t0 = time.monotonic()
    at.cmd(b"AT")
    assert time.monotonic() - t0 < 0.7  # not slowed: 0.7 s is a busy machine's margin


def test_zombie_echoes_only_until_power_cycle(sim, at):
    at.cmd(b"ATE1")
    sim.fault("zombie")
    at.raw(b"AT+CREG?\r")
    assert at.read_until(b"AT+CREG?\r") == b"AT+CREG?\r"
    assert at.quiet(0.3) == b""  # the echo, nothing else (T-Call #178)
    sim.power(False)
    sim.power(True)
    sim.wait_ready()
    at.sync()
    assert at.cmd(b"AT") == b"\r\nOK\r\n"


@pytest.mark.parametrize(
    "body,needle",
    [({"kind": "meteor"}, "unknown fault kind"), ({"kind": "silent", "n": "x"}, "n must be")],
)
def test_bad_fault_requests_are_400(sim, body, needle):
    with pytest.raises(SimError, match="400") as exc:
        sim.request("POST", "/fault", body)
    assert needle in str(exc.value)


def test_bad_json_is_400(sim):
    import urllib.error
    import urllib.request

    req = urllib.request.Request(sim.control_url + "/fault", data=b"{nope", method="POST")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=5)
    assert exc.value.code == 400
    assert "bad JSON" in exc.value.read().decode()


def test_urc_injected_inside_answers(sim, at):
    sim.fault("urc", text='+CMTI: "SM",7', where="before_ok")
    assert at.cmd(b"AT+CSQ") == b'\r\n+CSQ: 20,0\r\n\r\n+CMTI: "SM",7\r\n\r\nOK\r\n'
    at.cmd(b"ATE1")
    sim.fault("urc", text="RING", where="after_echo")
    assert at.cmd(b"AT") == b"AT\r\r\nRING\r\n\r\nOK\r\n"
    at.cmd(b"ATE0")
    sim.fault("urc", text="+CREG: 1", where="before_prompt")
    sim.fault("urc", text="+CREG: 5", where="after_ctrl_z")
    got = _send(at)
    assert at.quiet(0) == b""
    assert got.startswith(b"\r\n+CREG: 5\r\n\r\n+CMGS: ")
    sim.fault("urc", text="+CPIN: READY")  # at once
    assert at.read_until(b"\r\n+CPIN: READY\r\n") == b"\r\n+CPIN: READY\r\n"


def test_urc_before_prompt_precedes_the_prompt(sim, at):
    sim.fault("urc", text="+CREG: 1", where="before_prompt")
    at.raw(b"AT+CMGS=20\r")
    assert at.read_until(b"> ") == b"\r\n+CREG: 1\r\n\r\n> "
    at.raw(b"\x1b")
    at.read_until(b"\r\nOK\r\n")


def test_reboot_now_and_after_cmgs_with_the_message_sent(sim, at):
    sim.clear_sent()
    sim.fault("reboot", during="CMGS", sent=True)
    hexpdu, n = SEND
    at.raw(b"AT+CMGS=%d\r" % n)
    at.read_until(b"> ")
    at.raw(hexpdu.encode() + b"\x1a")
    assert b"+CMGS" not in at.quiet(0.5)
    assert [s["text"] for s in sim.sent()] == ["fault test"]  # it went out before the crash
    sim.wait_ready()
    at.sync()
    boots = sim.status()["counters"]["boots"]
    sim.fault("reboot", during="now")
    assert sim.status()["counters"]["boots"] == boots + 1
    sim.wait_ready()
    at.sync()


def test_overlong_line_is_rejected_whole(sim, at):
    assert at.cmd(b"AT+CSQ" + b";+CSQ" * 120) == b"\r\nERROR\r\n"
    assert at.cmd(b"AT") == b"\r\nOK\r\n"


def test_2g_sunset_searches_forever_even_after_reboot(sim, at):
    sim.network(registered=2)
    assert at.cmd(b"AT+CREG?") == b"\r\n+CREG: 0,2\r\n\r\nOK\r\n"
    at.cmd(b"AT+CFUN=1,1")
    deadline = time.monotonic() + 3
    while sim.status()["stage"] != "up" or not sim.status()["sms_ready"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.2)
    at.sync()
    assert at.cmd(b"AT+CREG?;+COPS?") == b"\r\n+CREG: 0,2\r\n\r\n+COPS: 0\r\n\r\nOK\r\n"
    unregistered = b"0,0" if sim.model == "sim800" else b"99,99"
    assert at.cmd(b"AT+CSQ") == b"\r\n+CSQ: " + unregistered + b"\r\n\r\nOK\r\n"
