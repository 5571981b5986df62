"""Line discipline over the pty with pyserial, both models: echo, framing, terminators, chains,
the `> ` prompt and ESC, CMEE styles, readiness, reboot, power-down, autobaud, PIN."""

from __future__ import annotations

import re
import time

import pytest

from smsgate.sim.harness import SimProcess, SimThread
from smsgw.codec import submit

from simtest_helpers import ATClient


def _repower(sim) -> None:
    sim.power(False)
    sim.power(True)
    sim.wait_ready()


def _first_ok(at: ATClient) -> bytes:
    """Send `AT` until the modem answers (SIM800 autobaud needs the first one)."""
    for _ in range(40):
        at.raw(b"AT\r")
        got = at.quiet(0.1)
        if b"OK" in got:
            return got
    raise AssertionError("no OK")


def test_echo_is_on_after_power_up_until_ate0(sim):
    _repower(sim)
    at = ATClient(sim.link)
    try:
        assert _first_ok(at).endswith(b"AT\r\r\nOK\r\n")
        at.raw(b"ATE0\r")
        assert at.read_until(b"\r\nOK\r\n") == b"ATE0\r\r\nOK\r\n"
        at.raw(b"AT\r")
        assert at.read_until(b"\r\nOK\r\n") == b"\r\nOK\r\n"
    finally:
        at.close()


def test_bytes_buffered_until_cr_and_all_terminators(at):
    for b in b"AT+CSQ\r":
        at.raw(bytes((b,)))
        time.sleep(0.002)
    assert at.read_until(b"\r\nOK\r\n") == b"\r\n+CSQ: 20,0\r\n\r\nOK\r\n"
    for line in (b"AT\n", b"AT\r\n", b"at\r"):
        at.raw(line)
        assert at.read_until(b"\r\nOK\r\n") == b"\r\nOK\r\n"
        assert at.quiet(0.05) == b""  # CRLF is one line, not two


def test_chained_commands_share_one_final_result(at):
    assert at.cmd(b"AT+CMEE=1;+CSQ;+CREG?") == (
        b"\r\n+CSQ: 20,0\r\n\r\n+CREG: 0,1\r\n\r\nOK\r\n")
    # a failing command stops the chain: earlier info lines, then only the error
    assert at.cmd(b"AT+CSQ;+NOSUCH;+CREG?") == b"\r\n+CSQ: 20,0\r\n\r\nERROR\r\n"


def test_cmee_styles(at):
    bad_index = b"AT+CMGR=999"
    at.cmd(b"AT+CMEE=0")
    assert at.cmd(bad_index) == b"\r\nERROR\r\n"
    at.cmd(b"AT+CMEE=1")
    assert at.cmd(bad_index) == b"\r\n+CMS ERROR: 321\r\n"
    at.cmd(b"AT+CMEE=2")
    assert at.cmd(bad_index) == b"\r\n+CMS ERROR: invalid memory index\r\n"
    assert at.cmd(b"AT+NOSUCH") == b"\r\nERROR\r\n"  # unknown commands: plain ERROR
    assert at.cmd(b"AT+CMEE?") == b"\r\n+CMEE: 2\r\n\r\nOK\r\n"
    at.cmd(b"AT+CMEE=1")


def test_prompt_has_no_newline_and_esc_cancels(sim, at):
    sim.clear_sent()
    at.cmd(b"AT+CMGF=0")
    at.raw(b"AT+CMGS=24\r")
    assert at.read_until(b"> ") == b"\r\n> "
    assert at.quiet(0.1) == b""
    at.raw(b"0011000D91\x1b")
    assert at.read_until(b"\r\nOK\r\n") == b"\r\nOK\r\n"
    assert sim.sent() == []


def test_gammu_style_pdu_then_ctrl_z_later(sim, at):
    sim.clear_sent()
    hexpdu, n = submit.encode_submit("+4915112345678", "slow writer")[1][0]
    at.raw(b"AT+CMGS=%d\r" % n)
    at.read_until(b"> ")
    at.raw(hexpdu.encode())
    time.sleep(0.3)
    assert at.quiet(0.05) == b""  # nothing happens before ^Z
    at.raw(b"\x1a")
    assert re.fullmatch(rb"\r\n\+CMGS: \d+\r\n\r\nOK\r\n", at.read_until(b"\r\nOK\r\n"))
    assert sim.wait_sent(1, 5)[0]["text"] == "slow writer"


def test_wrong_pdu_length_is_cms_304(sim, at):
    hexpdu, n = submit.encode_submit("+4915112345678", "x")[1][0]
    at.raw(b"AT+CMGS=%d\r" % (n + 1))
    at.read_until(b"> ")
    at.raw(hexpdu.encode() + b"\x1a")
    assert at.read_until(b"\r\n+CMS ERROR: 304\r\n")


def test_reboot_restores_echo_and_settings(sim, at):
    at.cmd(b"AT+CMGF=1")
    reset = b"AT+CFUN=1,1" if sim.model == "sim800" else b"AT+CRESET"
    assert at.cmd(reset) == b"\r\nOK\r\n"
    if sim.model == "sim7600":  # fixed baud rate: the boot URCs show
        boot = at.read_until(b"\r\nPB DONE\r\n", 5)
        assert boot == b"\r\nRDY\r\n\r\n+CPIN: READY\r\n\r\nSMS DONE\r\n\r\nPB DONE\r\n"
    sim.wait_ready()
    assert _first_ok(at).endswith(b"AT\r\r\nOK\r\n")  # echo is back
    at.raw(b"AT+CMGF?\r")
    assert at.read_until(b"\r\nOK\r\n") == b"AT+CMGF?\r\r\n+CMGF: 0\r\n\r\nOK\r\n"
    at.cmd(b"ATE0")


def test_power_down_then_control_power_on(sim, at):
    if sim.model == "sim800":
        at.raw(b"AT+CPOWD=1\r")
        assert at.read_until(b"\r\nNORMAL POWER DOWN\r\n") == b"\r\nNORMAL POWER DOWN\r\n"
    else:
        assert at.cmd(b"AT+CPOF") == b"\r\nOK\r\n"
    at.raw(b"AT\r")
    assert at.quiet(0.3) == b""  # dead
    assert sim.status()["powered"] is False
    sim.power(True)
    sim.wait_ready()
    assert _first_ok(at).endswith(b"AT\r\r\nOK\r\n")
    at.cmd(b"ATE0")


def test_sim800_autobaud_hides_boot_urcs_until_ipr_is_fixed(tmp_path):
    with SimThread("sim800", tmp_path, time_scale=0.05) as sim:
        at = ATClient(sim.link)
        try:
            sim.wait_ready()
            assert at.quiet(0.1) == b""  # no RDY while autobauding
            at.raw(b"hello\r")
            assert at.quiet(0.1) == b""  # not an AT line: lost, no echo before the sync
            at.raw(b"ATE0\r")  # any line starting with AT locks the baud rate
            assert at.read_until(b"\r\nOK\r\n") == b"ATE0\r\r\nOK\r\n"
            assert at.cmd(b"AT+IPR=115200;&W") == b"\r\nOK\r\n"
            at.cmd(b"AT+CFUN=1,1")
            boot = at.read_until(b"\r\nSMS Ready\r\n", 5)
            assert boot == (b"\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n"
                            b"\r\nCall Ready\r\n\r\nSMS Ready\r\n")
        finally:
            at.close()


@pytest.mark.parametrize("model", ["sim800", "sim7600"])
def test_sms_commands_refused_before_sms_ready(model, tmp_path):
    scale = 0.25 if model == "sim800" else 0.2
    with SimThread(model, tmp_path, time_scale=scale) as sim:
        at = ATClient(sim.link)
        try:
            _first_ok(at)
            assert sim.status()["sms_ready"] is False
            at.cmd(b"ATE0")
            assert at.cmd(b"AT+CMEE=1;+CMGF=1").startswith(b"\r\n+CME ERROR: 3\r\n")
            code = b"325" if model == "sim800" else b"302"
            at.raw(b"AT+CMGS=20\r")
            got = at.read_until(re.compile(rb"\+CMS ERROR: \d+\r\n"))
            # boot URCs may come before or after the error in the same read
            assert re.findall(rb"\r\n\+CMS ERROR: (\d+)\r\n", got) == [code], got
            sim.wait_ready()
            at.quiet(0.1)
            assert at.cmd(b"AT+CMGF=1") == b"\r\nOK\r\n"
        finally:
            at.close()


def test_pin_locked_sim_counts_attempts(tmp_path):
    with SimProcess("sim7600", tmp_path, pin="1234") as sim:
        at = ATClient(sim.link)
        try:
            deadline = time.monotonic() + 5
            while sim.status()["stage"] != "up" or sim.status()["sim"] != "SIM PIN":
                assert time.monotonic() < deadline
                time.sleep(0.02)
            time.sleep(0.05)
            at.sync()
            assert at.cmd(b"AT+CPIN?") == b"\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"
            assert at.cmd(b"AT+CMEE=1;+CMGF=0") == b"\r\n+CME ERROR: 11\r\n"
            assert at.cmd(b'AT+CPIN="0000"') == b"\r\n+CME ERROR: 16\r\n"
            at.raw(b'AT+CPIN="1234"\r')
            urcs = at.read_until(b"\r\nPB DONE\r\n", 5)
            assert urcs == b"\r\nOK\r\n\r\n+CPIN: READY\r\n\r\nSMS DONE\r\n\r\nPB DONE\r\n"
            sim.wait_ready()
            assert at.cmd(b"AT+CMGF=0") == b"\r\nOK\r\n"
            sim.power(False)
            sim.power(True)  # locked again after a power cycle
            time.sleep(0.5)
            at.sync()
            at.cmd(b"AT+CMEE=1")
            for _ in range(2):
                assert at.cmd(b'AT+CPIN="9999"') == b"\r\n+CME ERROR: 16\r\n"
            at.raw(b'AT+CPIN="9999"\r')
            assert at.read_until(b"\r\n+CME ERROR: 16\r\n").startswith(b"\r\n+CPIN: SIM PUK\r\n")
            assert at.cmd(b"AT+CPIN?") == b"\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n"
            assert at.cmd(b'AT+CPIN="12345678","4321"').startswith(b"\r\nOK\r\n")
            sim.wait_ready()
            at.quiet(0.1)
            assert at.cmd(b"AT+CPIN?") == b"\r\n+CPIN: READY\r\n\r\nOK\r\n"
        finally:
            at.close()


def test_numeric_result_codes_with_atv0(at):
    at.raw(b"ATV0\r")
    assert at.read_until(b"0\r") == b"0\r"
    at.raw(b"AT+CSQ\r")
    assert at.read_until(b"0\r") == b"+CSQ: 20,0\r\n0\r"
    at.raw(b"AT+NOSUCH\r")
    assert at.read_until(b"4\r") == b"4\r"
    at.raw(b"ATV1\r")
    assert at.read_until(b"\r\nOK\r\n") == b"\r\nOK\r\n"


def test_profile_overrides_model_a_firmware_variant(tmp_path):
    variant = {"prompt": "\r\n>\r\n", "index_base": 1, "defaults": {"cmee": 1}}
    with SimThread("sim7600", tmp_path, overrides=variant) as sim:
        sim.wait_ready()
        at = ATClient(sim.link)
        try:
            at.sync()
            assert at.cmd(b"AT+CMEE?") == b"\r\n+CMEE: 1\r\n\r\nOK\r\n"
            at.raw(b"AT+CMGS=20\r")
            assert at.read_until(b">\r\n") == b"\r\n>\r\n"  # SIM7670G-style prompt
            at.raw(b"\x1b")
            at.read_until(b"\r\nOK\r\n")
            sim.send_sms("+491111", "one-based")
            assert at.read_until(b'\r\n+CMTI: "SM",1\r\n')
        finally:
            at.close()


def test_cli_rejects_unknown_profile_key(tmp_path):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "smsgate", "sim", "modem", "--set", "nosuch=1"],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert out.returncode == 2
    assert "unknown profile key 'nosuch'" in out.stderr


def test_sim800_csclk2_sleeps_when_idle_and_swallows_the_wake_bytes(tmp_path):
    with SimThread("sim800", tmp_path, time_scale=0.2) as sim:  # sleeps after 1 s idle
        sim.wait_ready()
        at = ATClient(sim.link)
        try:
            at.sync()
            assert at.cmd(b"AT+CSCLK=2") == b"\r\nOK\r\n"
            time.sleep(1.2)
            at.raw(b"AT\r")
            assert at.quiet(0.15) == b""  # the waking bytes are lost
            # awake again once the ~100 ms after the waking bytes are over, counted from when
            # the simulator read them (late on a busy machine): AT until answered, not a fixed
            # time
            at.sync()
            assert at.cmd(b"AT+CSCLK?") == b"\r\n+CSCLK: 2\r\n\r\nOK\r\n"
        finally:
            at.close()


def test_csclk_sleep_modes(sim, at):
    if sim.model == "sim7600":
        assert at.cmd(b"AT+CSCLK=2") == b"\r\nERROR\r\n"
    assert at.cmd(b"AT+CSCLK=1") == b"\r\nOK\r\n"
    sim.dtr(1)
    at.raw(b"AT\r")
    assert at.quiet(0.2) == b""  # asleep while DTR is high ...
    sim.send_sms("+491111", "URCs still come")
    assert re.search(rb"\+CMTI: ", at.read_until(re.compile(rb"\+CMTI: .*\r\n")))
    sim.dtr(0)
    time.sleep(0.06)  # ~50 ms after DTR goes low
    assert at.cmd(b"AT+CSCLK=0") == b"\r\nOK\r\n"
    at.cmd(b"AT+CMGD=1,4" if sim.model == "sim800" else b"AT+CMGD=,4")


def test_pwrkey_presses(sim, at):
    on_ms, off_ms = (1000, 1500) if sim.model == "sim800" else (500, 2500)
    assert sim.pwrkey(on_ms) == {"powered": True}  # already on: a short press does nothing
    assert sim.pwrkey(off_ms) == {"powered": False}
    if sim.model == "sim800":
        assert at.read_until(b"\r\nNORMAL POWER DOWN\r\n") == b"\r\nNORMAL POWER DOWN\r\n"
    assert sim.pwrkey(on_ms - 100) == {"powered": False}  # too short to switch it on
    assert sim.pwrkey(on_ms) == {"powered": True}
    sim.wait_ready()
    at.sync()
    assert at.cmd(b"AT") == b"\r\nOK\r\n"
