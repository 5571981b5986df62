"""gammu-smsd (files backend) and smstools3 (`smsd`) send and receive through the simulator.

Each daemon runs under a deadline and is stopped as soon as its spool shows the result.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from smsgate.procs import end_process
from smsgate.sim.harness import SimProcess

DEST = "+4915112345678"


@pytest.fixture(params=["sim800", "sim7600"])
def sim(request, tmp_path):
    with SimProcess(request.param, tmp_path) as s:
        s.wait_ready()
        yield s


def _run_until(argv: list[str], log: Path, done, timeout: float = 30.0) -> float:
    """Run a daemon until `done()` is true; returns the seconds it took."""
    t0 = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    try:
        while not done():
            assert proc.poll() is None, "daemon exited early: %s" % log.read_text()
            assert time.monotonic() - t0 < timeout, "daemon did not finish: %s" % log.read_text()
            time.sleep(0.1)
    finally:
        end_process(proc, 10)
    return time.monotonic() - t0


def _dirs(root: Path, *names: str) -> list[Path]:
    out = []
    for n in names:
        (root / n).mkdir()
        out.append(root / n)
    return out


def test_gammu_smsd_sends_from_outbox_and_fills_inbox(sim, tmp_path):
    inbox, outbox, sent, error = _dirs(tmp_path, "inbox", "outbox", "sent", "error")
    rc = tmp_path / "smsdrc"
    rc.write_text(
        "[gammu]\ndevice = %s\nconnection = at115200\nmodel = at\n\n[smsd]\nservice = files\n"
        "inboxpath = %s/\noutboxpath = %s/\nsentsmspath = %s/\nerrorsmspath = %s/\n"
        "logfile = %s\ndebuglevel = 1\nreceivefrequency = 1\ncommtimeout = 1\n"
        "checksecurity = 0\ncheckbattery = 0\nchecksignal = 0\nchecknetwork = 0\n"
        "hangupcalls = 0\n" % (sim.link, inbox, outbox, sent, error, tmp_path / "smsd.log"))
    text = "from the gammu-smsd outbox (ok)"
    inject = subprocess.run(["gammu-smsd-inject", "-c", str(rc), "TEXT", DEST, "-text", text],
                            capture_output=True, text=True, timeout=30)
    assert inject.returncode == 0, inject.stderr
    sim.send_sms("+4917055501", "into the gammu-smsd inbox")
    _run_until(["gammu-smsd", "-c", str(rc)], tmp_path / "smsd.out",
               lambda: any(inbox.iterdir()) and any(sent.iterdir()))
    assert [(s["to"], s["text"]) for s in sim.sent()] == [(DEST, text)]
    [received] = list(inbox.iterdir())
    assert "+4917055501" in received.name
    assert received.read_text() == "into the gammu-smsd inbox"
    assert not any(error.iterdir())
    assert sim.storage()["SM"]["used"] == 0  # read, then deleted from the SIM


def test_smstools3_sends_from_spool_and_fills_incoming(sim, tmp_path):
    outgoing, checked, incoming, failed, sent = _dirs(
        tmp_path, "outgoing", "checked", "incoming", "failed", "sent")
    conf = tmp_path / "smsd.conf"
    conf.write_text(
        "devices = GSM1\noutgoing = %s\nchecked = %s\nincoming = %s\nfailed = %s\nsent = %s\n"
        "logfile = %s\ninfofile = %s\npidfile = %s\nloglevel = 7\ndelaytime = 1\n\n"
        "[GSM1]\ndevice = %s\nincoming = yes\nbaudrate = 115200\n" % (
            outgoing, checked, incoming, failed, sent, tmp_path / "smsd.log",
            tmp_path / "smsd.info", tmp_path / "smsd.pid", sim.link))
    text = "from the smstools3 spool: 100% fine"
    (outgoing / "msg1").write_text("To: %s\n\n%s" % (DEST[1:], text))
    sim.send_sms("+4917066602", "into the smstools3 incoming folder")
    _run_until(["/usr/sbin/smsd", "-c", str(conf), "-t"], tmp_path / "smsd.out",
               lambda: any(incoming.iterdir()) and any(sent.iterdir()))
    assert [(s["to"], s["text"]) for s in sim.sent()] == [(DEST, text)]
    [received] = list(incoming.iterdir())
    head, _, body = received.read_text().partition("\n\n")
    assert "From: 4917066602" in head
    assert body == "into the smstools3 incoming folder"
    assert not any(failed.iterdir())
