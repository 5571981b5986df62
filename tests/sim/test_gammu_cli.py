"""The gammu CLI (Debian, 1.42 dialect: 1-2 argument CPMS, byte-by-byte init) against the sim."""

from __future__ import annotations

import subprocess

import pytest

from smsgate.sim.harness import SimProcess


@pytest.fixture(scope="module", params=["sim800", "sim7600"])
def cli(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gammucli-" + request.param)
    with SimProcess(request.param, tmp) as sim:
        sim.wait_ready()
        rc = tmp / "gammurc"
        rc.write_text("[gammu]\ndevice = %s\nconnection = at115200\nmodel = at\n"
                      "logfile = %s\nlogformat = textall\n" % (sim.link, tmp / "gammu.log"))

        def run(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run(["gammu", "-c", str(rc), *args], capture_output=True,
                                  text=True, timeout=60, stdin=subprocess.DEVNULL)

        yield sim, run


def test_identify(cli):
    sim, run = cli
    out = run("identify")
    assert out.returncode == 0, out.stderr
    model = "SIMCOM_SIM800L" if sim.model == "sim800" else "SIMCOM_SIM7600E"
    assert "(%s)" % model in out.stdout
    assert "IMEI" in out.stdout and "SIM IMSI" in out.stdout


def test_sendsms(cli):
    sim, run = cli
    sim.clear_sent()
    text = "sent by the gammu CLI: 50% off!"
    out = run("sendsms", "TEXT", "+4915112345678", "-text", text)
    assert out.returncode == 0, out.stdout + out.stderr
    sent = sim.wait_sent(1, 5)
    assert [(s["to"], s["text"]) for s in sent] == [("+4915112345678", text)]


def test_getallsms_shows_each_message_once(cli):
    sim, run = cli
    sim.send_sms("+4917099887766", "first inbound")
    sim.send_sms("+4917099887766", "second inbound")
    out = run("getallsms")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("first inbound") == 1
    assert out.stdout.count("second inbound") == 1
    assert "2 SMS parts in 2 SMS sequences" in out.stdout
    assert out.stdout.count("UnRead") == 2
    again = run("getallsms")  # a listing marks them read
    assert again.stdout.count("Status               : Read") == 2


def test_monitor_reads_network_battery_and_storage(cli):
    sim, run = cli
    if sim.model == "sim7600":
        # gammu cannot parse SIM7600's `+CBC: 4.050V` (docs/SIMCOM-AT.md §8): like on the real
        # modem, `monitor` stops there with "Unknown response" (exit 116) after the phonebooks.
        out = run("monitor", "1")
        assert out.returncode == 116 and "Phone phonebook" in out.stdout
        return
    out = run("monitor", "1")
    assert out.returncode == 0, out.stdout + out.stderr
    for line in ("Battery level        : 81 percent", "Network state        : home network",
                 "LAC 1A2B, CID 3C4D", "GPRS                 : attached",
                 "SIM SMS status       : %d used, 0 unread, 30 locations"
                 % sim.storage()["SM"]["used"],
                 "Phone SMS status     : 0 used, 0 unread, 20 locations"):
        assert line in out.stdout
