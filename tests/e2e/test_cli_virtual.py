"""`smsgate virtual` as a user runs it: start, send through the printed URL, SIGTERM, restart
with the same --data (the queue survives), and a bad --config refused with the key named."""

from __future__ import annotations

import base64
import json
import re
import signal
import subprocess
import sys
import urllib.request

import pytest

from smsgate.sim.harness import _ControlClient
from smsgate.virtual import GatewayError, free_port

from .conftest import E2E_HEAP, make_gateway, poll


def _start(args, log):
    return subprocess.Popen([sys.executable, "-m", "smsgate", "virtual", *args],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _wait_up(proc, log_path, timeout=60.0) -> str:
    def up():
        assert proc.poll() is None, log_path.read_text()
        return "Ctrl-C to stop" in log_path.read_text()

    poll(up, timeout=timeout, what="smsgate virtual up")
    return log_path.read_text()


def _call(url, method, path, body=None):
    req = urllib.request.Request(url + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    req.add_header("Authorization", "Basic " + base64.b64encode(b"sms:pw-cli-test").decode())
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, json.loads(resp.read())


def _stop(proc) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(20)


def test_virtual_cli_send_stop_restart_keeps_queue(tmp_path):
    port = free_port()
    data = tmp_path / "flash"
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"device": {"name": "cli-test"}}))
    args = ["--http-port", str(port), "--password", "pw-cli-test", "--data", str(data), "--heap",
            E2E_HEAP, "--sim-scale", "0.05", "--config", str(extra)]
    log_path = tmp_path / "out.log"
    with open(log_path, "wb") as log:
        proc = _start(args, log)
        try:
            text = _wait_up(proc, log_path)
            url = re.search(r"API:\s+(http://\S+)/", text).group(1)
            sim = _ControlClient()
            sim.control_url = re.search(r"sim control:\s+(http://\S+)", text).group(1)
            status, obj = _call(url, "POST", "/message", {
                "id": "cli-1", "textMessage": {"text": "from the CLI"},
                "phoneNumbers": ["+15551112222"]})
            assert status == 202
            poll(lambda: [s for s in sim.sent() if s["text"] == "from the CLI"],
                 what="the CLI gateway's SMS at the simulator")
            assert json.loads((data / "config.json").read_text())["device"]["name"] == "cli-test"
        finally:
            code = _stop(proc)
    assert code == 0, log_path.read_text()
    assert "stopping" in log_path.read_text()
    with open(tmp_path / "out2.log", "wb") as log:
        proc = _start(args, log)
        try:
            text = _wait_up(proc, tmp_path / "out2.log")
            status, obj = _call(url, "GET", "/messages/cli-1")
            assert status == 200 and obj["state"] in ("Sent", "Delivered")
        finally:
            assert _stop(proc) == 0


def test_virtual_cli_rejects_bad_config(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"api": {"port": "eighty"}}))
    out = subprocess.run([sys.executable, "-m", "smsgate", "virtual", "--config", str(bad)],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 1
    assert "smsgate: config: api.port: must be an integer" in out.stderr, out.stderr


def test_a_running_gateway_refuses_a_second_start(tmp_path):
    # `with gw` after gw.start() booted a second board on the same flash and port, silently
    gw = make_gateway(data_dir=tmp_path / "flash")
    gw.start(wait=False)
    try:
        with pytest.raises(GatewayError, match="running already"):
            gw.start(wait=False)
        gw.wait_ready()
    finally:
        gw.stop()
    with gw:  # stopped: it may start again, on the same flash
        assert gw.health()["status"] == "pass"
