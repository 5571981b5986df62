"""Network time and the boot-time search: what a firmware sets its clock from.

SIM800: AT+CLTS=1 (+ AT&W, then a reboot) -> *PSUTTZ/DST at registration, AT+CCLK? network time.
SIM7600: AT+CTZU=1 -> network time at registration, +CTZV when AT+CTZR=1.
Both: +CREG stat 2 (searching) from SIM-ready until registered, never 0 meanwhile.
"""

from __future__ import annotations

import re
import time

import pytest
from simtest_helpers import ATClient

from smsgate.sim.harness import SimProcess


@pytest.fixture(params=["sim800", "sim7600"])
def fresh(request, tmp_path):
    with SimProcess(request.param, tmp_path, time_scale=0.05) as s:
        s.wait_ready()
        client = ATClient(s.link)
        client.sync()
        yield s, client
        client.close()


def _reboot(at):
    at.cmd(b"AT+IPR=115200;&W")  # a fixed rate: an autobauding SIM800 prints no boot URCs
    at.cmd(b"AT+CFUN=1,1")


def _cclk_utc(at):
    got = at.cmd(b"AT+CCLK?")
    m = re.search(rb'\+CCLK: "(\d\d)/(\d\d)/(\d\d),(\d\d):(\d\d):(\d\d)([+-]\d\d)"', got)
    assert m, got
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    zone = int(m.group(7))
    import calendar

    return calendar.timegm((2000 + y, mo, d, h, mi, s, 0, 0, 0)) - zone * 900


def test_boot_search_reads_searching_not_zero(fresh):
    sim, at = fresh
    at.cmd(b"AT+CREG=1")
    _reboot(at)
    got = at.read_until(b"+CREG: 1\r\n", timeout=30)
    regs = re.findall(rb"\+CREG: (\d)", got)
    assert regs[:2] == [b"2", b"1"], got  # searching, then registered; no 0 after SIM-ready


def test_network_time_sets_the_modem_clock(fresh):
    sim, at = fresh
    sim.network(tz_quarters=8)  # UTC+2
    if sim.model == "sim800":
        assert at.cmd(b"AT+CLTS?").startswith(b"\r\n+CLTS: 0")
        assert abs(_cclk_utc(at) - time.time()) > 86400 * 365  # 2004 until network time
        at.cmd(b"AT+CLTS=1")
        _reboot(at)
        got = at.read_until(re.compile(rb"DST: 0\r\n"), timeout=30)
        assert re.search(rb'\*PSUTTZ: 20\d\d,\d+,\d+,\d+,\d+,\d+,"\+8",0', got), got
    else:
        assert b"ERROR" in at.cmd(b"AT+CLTS=1")
        at.cmd(b"AT+CTZU=1;+CTZR=1")
        _reboot(at)
        got = at.read_until(re.compile(rb"\+CTZV: \+08\r\n"), timeout=60)
    sim.wait_ready(30)
    assert b'+08"' in at.cmd(b"AT+CCLK?")
    assert abs(_cclk_utc(at) - time.time()) < 5


def test_without_nitz_setting_no_time_urc(fresh):
    sim, at = fresh
    _reboot(at)
    got = at.read_until(re.compile(rb"(SMS Ready|PB DONE)\r\n"), timeout=60)
    sim.wait_ready(30)
    got += at.quiet(0.3)
    assert b"PSUTTZ" not in got and b"CTZV" not in got


def test_a_network_without_time_leaves_the_clock_unset(fresh):
    sim, at = fresh
    sim.network(sends_time=False)
    at.cmd(b"AT+CLTS=1" if sim.model == "sim800" else b"AT+CTZU=1;+CTZR=1")
    at.cmd(b"AT+CFUN=4")
    at.cmd(b"AT+CFUN=1")  # registers again: no NITZ comes with it
    got = at.quiet(0.5)
    assert b"PSUTTZ" not in got and b"CTZV" not in got
    year = b'"04/01/0' if sim.model == "sim800" else b'"80/01/0'  # 2004 / the GPS epoch
    assert year in at.cmd(b"AT+CCLK?")
