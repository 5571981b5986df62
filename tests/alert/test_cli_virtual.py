"""`smsgate virtual --board-control PORT`: the pins of the running virtual board over HTTP."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request

from alertkit import HEAP, R1, get_pin, set_pin, wait_until
from smsgate.virtual import free_port

CONFIG = {
    "device": {"name": "cli-unit"},
    "rules": [{"name": "door", "pin": 14, "pull": "up", "active": 0, "debounce_ms": 30,
               "recipients": [R1], "ack_window_s": 600}],
    "relays": {"1": 25},
    "heartbeat": {"boot": False, "interval_s": 0},
}


def test_virtual_serves_board_control(tmp_path):
    cfg = tmp_path / "alert.json"
    cfg.write_text(json.dumps(CONFIG))
    log = tmp_path / "virtual.log"
    cmd = [sys.executable, "-m", "smsgate", "virtual", "--http-port", str(free_port()),
           "--board-control", "0", "--sim-scale", "0.05", "--heap", HEAP, "--config", str(cfg)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    try:
        urls = wait_until(lambda: _urls(log.read_text()), 60, "virtual gateway up")
        bc, sim = urls
        assert get_pin(bc, 25) == 0  # the relay output, driven OFF by the firmware at boot
        set_pin(bc, 14, 0)

        def alert_sent():
            with urllib.request.urlopen(sim + "/sent", timeout=5) as r:
                return [m for m in json.loads(r.read()) if "door alert" in m["text"]]

        sent = wait_until(alert_sent, 15, "alert at the simulator")
        assert sent[0]["to"] == R1 and sent[0]["text"].startswith("cli-unit: door alert at ")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(20) == 0, log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
    assert "board control: http://127.0.0.1:" in log.read_text()


def _urls(text: str) -> tuple[str, str] | None:
    bc = re.search(r"board control: (http://\S+)", text)
    sim = re.search(r"sim control: (http://\S+)", text)
    return (bc.group(1), sim.group(1)) if bc and sim else None
