"""`smsgate virtual --mqtt URL --config FILE`: the CLI wires the broker and the webhook section."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

from evharness import free_port, wait_for
from test_mqtt_broker import Peer


def test_virtual_with_mqtt_option_comes_online(broker, tmp_path):
    cfg = tmp_path / "extra.json"
    cfg.write_text(json.dumps({"device": {"id": "cli1"}, "mqtt": {"prefix": "gw"},
                               "webhooks": {"signing_key": "k"}}))
    log = open(tmp_path / "virtual.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "smsgate", "virtual", "--mqtt", broker.url, "--config", str(cfg),
         "--http-port", str(free_port()), "--sim-scale", "0.05", "--data", str(tmp_path / "fl")],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log,
    )
    peer = Peer(broker.port, ("gw/cli1/#",), client_id="cli-peer")
    try:
        wait_for(lambda: peer.on("gw/cli1/availability") or proc.poll() is not None, 90,
                 "the virtual gateway on MQTT")
        assert proc.poll() is None, (tmp_path / "virtual.log").read_text()
        assert peer.on("gw/cli1/availability")[-1][0] == b"online"
        board_cfg = json.loads((tmp_path / "fl" / "config.json").read_text())
        assert board_cfg["mqtt"] == {"prefix": "gw", "url": broker.url}
        assert board_cfg["webhooks"] == {"signing_key": "k"}
    finally:
        peer.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        log.close()
