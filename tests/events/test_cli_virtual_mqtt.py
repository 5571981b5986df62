"""`smsgate virtual --mqtt URL --config FILE`: the CLI wires the broker and the webhook section,
and the demo path works: inbound SMS out on MQTT, an MQTT send command out as SMS."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request

from evharness import wait_for
from smsgate.procs import end_process
from smsgate.virtual import free_port
from test_mqtt_broker import Peer


def _post(url: str, body: dict):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def _get(url: str):
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


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
        # the demo path: an inbound SMS comes out on MQTT, an MQTT command goes out as SMS
        found = wait_for(lambda: re.search(r"sim control: (http://\S+)",
                                           (tmp_path / "virtual.log").read_text()), 60, "banner")
        control = found.group(1)
        _post(control + "/sms", {"from": "+15550100", "text": "to the broker"})
        wait_for(lambda: peer.on("gw/cli1/received"), 30, "the inbound SMS on MQTT")
        assert json.loads(peer.on("gw/cli1/received")[0][0])["message"] == "to the broker"
        peer.publish("gw/cli1/send", json.dumps({"id": "cli-1", "to": "+15550101",
                                                 "text": "from the broker"}))
        wait_for(lambda: "from the broker" in [s.get("text") for s in _get(control + "/sent")],
                 30, "the MQTT command at the simulator")
    finally:
        peer.close()
        end_process(proc, 20)
        log.close()
