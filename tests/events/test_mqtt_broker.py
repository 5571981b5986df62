"""The MQTT bridge (MicroPython) against a real mosquitto, with paho-mqtt as the other side:
retained discovery/status/availability, events, send commands, last will, broker restart."""

from __future__ import annotations

import json
import subprocess
import threading
import time

import paho.mqtt.client as paho
from evharness import wait_for

DEV = "devM"
BASE = "smsgate/" + DEV


class Peer:
    """A paho client that records every message it sees (persistent session, QoS 1)."""

    def __init__(self, port: int, topics=("#",), client_id: str = "peer", clean: bool = True):
        self.msgs: list[tuple[str, bytes, bool]] = []
        self.lock = threading.Lock()
        self.c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id,
                             clean_session=clean)
        self.c.on_message = self._on_message
        self.c.on_connect = lambda c, u, f, rc, p: [c.subscribe(t, 1) for t in topics]
        self.c.reconnect_delay_set(0.1, 0.5)
        self.c.connect("127.0.0.1", port, keepalive=10)
        self.c.loop_start()

    def _on_message(self, c, u, msg):
        with self.lock:
            self.msgs.append((msg.topic, msg.payload, bool(msg.retain)))

    def on(self, topic: str) -> list[tuple[bytes, bool]]:
        with self.lock:
            return [(p, r) for t, p, r in self.msgs if t == topic]

    def publish(self, topic: str, payload, qos: int = 1) -> None:
        self.c.publish(topic, payload, qos=qos).wait_for_publish(5)

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


def _cfg(broker, **kw):
    m = {"url": broker.url, "reconnect_max_s": 0.5, "keepalive_s": 5, "status_interval_s": 30}
    m.update(kw)
    return {"device": DEV, "mqtt": m}


def _up(gw):
    gw.start()
    wait_for(lambda: gw.state().get("mqtt", {}).get("connected"), 10, "the bridge to connect")


def test_discovery_status_availability_are_retained(broker, mpy_gateway):
    gw = mpy_gateway(_cfg(broker))
    _up(gw)
    wait_for(lambda: gw.state()["mqtt"]["published"] >= 1, 10, "a status publish")
    peer = Peer(broker.port, ("homeassistant/#", BASE + "/#"))  # joins later: retained only
    try:
        wait_for(lambda: peer.on(BASE + "/status"), 5, "retained status")
        assert peer.on(BASE + "/availability") == [(b"online", True)]
        st = json.loads(peer.on(BASE + "/status")[0][0])
        assert st["signal"] == -71 and st["registration"] == "home" and "queue" in st
        keys = ("signal", "registration", "queue", "last_received")
        wait_for(lambda: all(peer.on("homeassistant/sensor/%s_%s/config" % (DEV, k))
                             for k in keys), 5, "discovery")
        for k in keys:
            payload, retained = peer.on("homeassistant/sensor/%s_%s/config" % (DEV, k))[0]
            cfg = json.loads(payload)
            assert retained and cfg["unique_id"] == "%s_%s" % (DEV, k)
            assert cfg["availability_topic"] == BASE + "/availability"
            assert cfg["device"]["identifiers"] == ["smsgate_" + DEV]
        text = json.loads(peer.on("homeassistant/text/%s_send/config" % DEV)[0][0])
        assert text["command_topic"] == BASE + "/ha/send"
    finally:
        peer.close()


def test_events_out_commands_in_results_out(broker, mpy_gateway):
    gw = mpy_gateway(_cfg(broker))
    _up(gw)
    peer = Peer(broker.port, (BASE + "/#",))
    try:
        time.sleep(0.3)
        gw.send(emit=["sms:received", {"messageId": "m1", "message": "hi", "phoneNumber": "+1"}])
        gw.send(emit=["sms:delivered", {"messageId": "m0"}])
        wait_for(lambda: peer.on(BASE + "/received") and peer.on(BASE + "/delivered"), 5, "events")
        assert json.loads(peer.on(BASE + "/received")[0][0])["message"] == "hi"
        peer.publish(BASE + "/send", json.dumps({"id": "c1", "to": "+4917", "text": "yo"}))
        peer.publish(BASE + "/ha/send", "+4918: from HA")
        peer.publish(BASE + "/send", "not json")
        wait_for(lambda: len(peer.on(BASE + "/send/result")) == 3, 5, "3 results")
        res = [json.loads(p) for p, _ in peer.on(BASE + "/send/result")]
        assert res[0] == {"id": "c1", "status": 202, "state": "Pending", "message": None}
        assert res[1]["status"] == 202 and res[2]["status"] == 400
        sub = gw.submitted()
        assert sub[0] == {"id": "c1", "phoneNumbers": ["+4917"], "textMessage": {"text": "yo"}}
        assert sub[1]["phoneNumbers"] == ["+4918"] and sub[1]["textMessage"]["text"] == "from HA"
    finally:
        peer.close()


def test_last_will_says_offline_on_power_cut(broker, mpy_gateway):
    gw = mpy_gateway(_cfg(broker))
    _up(gw)
    peer = Peer(broker.port, (BASE + "/availability",))
    try:
        wait_for(lambda: peer.on(BASE + "/availability"), 5, "online")
        gw.kill()
        wait_for(lambda: peer.on(BASE + "/availability")[-1][0] == b"offline", 10, "the will")
    finally:
        peer.close()
    late = Peer(broker.port, (BASE + "/availability",), client_id="late")
    try:
        wait_for(lambda: late.on(BASE + "/availability"), 5, "retained offline")
        assert late.on(BASE + "/availability")[0] == (b"offline", True)
    finally:
        late.close()


def test_broker_restart_reconnects_and_loses_no_command(broker, mpy_gateway):
    gw = mpy_gateway(_cfg(broker))
    _up(gw)
    peer = Peer(broker.port, (BASE + "/#",), client_id="watcher", clean=False)
    try:
        peer.publish(BASE + "/send", json.dumps({"id": "before", "to": "+1", "text": "a"}))
        wait_for(lambda: len(gw.submitted()) == 1, 5, "first command")
        broker.stop()
        wait_for(lambda: not gw.state()["mqtt"]["connected"], 10, "the bridge to notice")
        gw.send(emit=["sms:sent", {"messageId": "while-down"}])  # queued, not lost
        broker.start()
        # published at once, most likely before the bridge is back: the broker keeps it for
        # the bridge's persistent session (clean_session=0, QoS 1)
        wait_for(lambda: peer.c.is_connected(), 10, "the peer to reconnect")
        peer.publish(BASE + "/send", json.dumps({"id": "after", "to": "+1", "text": "b"}))
        wait_for(lambda: len(gw.submitted()) == 2, 15, "the command sent during the restart")
        assert [s["id"] for s in gw.submitted()] == ["before", "after"]
        wait_for(lambda: peer.on(BASE + "/sent"), 10, "the event queued while down")
        wait_for(lambda: gw.state()["mqtt"]["connects"] >= 2, 5, "a second connect")
        assert json.loads(peer.on(BASE + "/sent")[0][0])["messageId"] == "while-down"
    finally:
        peer.close()


def test_throughput_events_per_second(broker, mpy_gateway, record_property):
    gw = mpy_gateway(_cfg(broker, queue_max=300))
    _up(gw)
    peer = Peer(broker.port, (BASE + "/received",))
    try:
        time.sleep(0.3)
        n = 200
        t0 = time.monotonic()
        gw.send(burst=["sms:received", n])
        wait_for(lambda: len(peer.on(BASE + "/received")) >= n, 60, "%d events" % n)
        rate = n / (time.monotonic() - t0)
        record_property("mqtt_events_per_s", round(rate, 1))
        print("mqtt: %.1f events/s" % rate)
        ids = {json.loads(p)["messageId"] for p, _ in peer.on(BASE + "/received")}
        assert len(ids) == n and rate > 5
    finally:
        peer.close()


def test_tls_broker_with_verified_certificate(tls_cert, mpy_gateway, tmp_path):
    from evharness import Mosquitto

    pem, key, der = tls_cert
    (tmp_path / "tlsbroker").mkdir()
    b = Mosquitto(tmp_path / "tlsbroker", (pem, key))
    b.start()
    try:
        gw = mpy_gateway({"device": DEV, "mqtt": {"url": b.url, "ca": der, "keepalive_s": 5}})
        _up(gw)
        assert b.url.startswith("mqtts://")
        gw.send(emit=["sms:received", {"messageId": "tls"}])
        wait_for(lambda: gw.state()["mqtt"]["published"] >= 2 and not gw.state()["mqtt"]["queued"],
                 10, "a publish over TLS")
        # a CA that did not sign the broker's certificate: refused, counted, retried
        other = tmp_path / "other"
        other.mkdir()
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        str(other / "k.pem"), "-out", str(other / "c.pem"), "-days", "2",
                        "-subj", "/CN=127.0.0.1"], check=True, capture_output=True, timeout=60)
        subprocess.run(["openssl", "x509", "-in", str(other / "c.pem"), "-outform", "der",
                        "-out", str(other / "c.der")], check=True, capture_output=True, timeout=60)
        bad = mpy_gateway({"device": "devX", "mqtt": {"url": b.url, "ca": str(other / "c.der"),
                                                      "reconnect_max_s": 0.2}})
        bad.start()
        wait_for(lambda: bad.state().get("mqtt", {}).get("failures", 0) >= 2, 10, "refusals")
        assert bad.state()["mqtt"]["connects"] == 0
    finally:
        b.stop()


def test_a_message_the_broker_refuses_is_dropped_not_retried_forever(tmp_path, mpy_gateway):
    from evharness import Mosquitto

    (tmp_path / "small").mkdir()
    b = Mosquitto(tmp_path / "small")
    with open(b.conf, "a") as f:
        f.write("max_packet_size 2000\n")  # mosquitto disconnects a client sending more
    b.start()
    try:
        gw = mpy_gateway({"device": DEV, "mqtt": {"url": b.url, "reconnect_max_s": 0.1,
                                                  "discovery": False}})
        _up(gw)
        peer = Peer(b.port, (BASE + "/received",))
        try:
            time.sleep(0.3)
            gw.send(emit=["sms:received", {"messageId": "big", "message": "x" * 3000}])
            gw.send(emit=["sms:received", {"messageId": "small", "message": "y"}])
            wait_for(lambda: peer.on(BASE + "/received"), 15, "the next event")
            got = [json.loads(p)["messageId"] for p, _ in peer.on(BASE + "/received")]
            assert got == ["small"]
            wait_for(lambda: gw.state()["mqtt"]["discards"] == 1, 5, "the discard counted")
            assert gw.state()["mqtt"]["connects"] >= 3
        finally:
            peer.close()
    finally:
        b.stop()


def test_stop_says_offline(broker, tmp_path):
    """A clean stop (no will from the broker) still leaves availability "offline"."""
    from smsgate.runtime import REPO_ROOT, micropython_binary, micropython_env

    script = tmp_path / "stop.py"
    script.write_text(
        "import sys\nsys.path.insert(0, 'firmware')\nimport asyncio\nfrom smsgw.net import mqtt\n"
        "async def main():\n"
        "    b = mqtt.MqttBridge({'url': %r, 'discovery': False}, %r)\n"
        "    b.start()\n"
        "    for _ in range(500):\n"
        "        if b.connected and b.counters['published']:\n"
        "            break\n"
        "        await asyncio.sleep_ms(10)\n"
        "    await b.stop()\n"
        "    print('stopped', b.connected)\n"
        "asyncio.run(main())\n" % (broker.url, DEV))
    out = subprocess.run([micropython_binary(), "-X", "heapsize=128K", str(script)],
                         cwd=REPO_ROOT, env=micropython_env(), capture_output=True, text=True,
                         timeout=60)
    assert "stopped False" in out.stdout, out.stdout + out.stderr
    peer = Peer(broker.port, (BASE + "/availability",), client_id="after-stop")
    try:
        wait_for(lambda: peer.on(BASE + "/availability"), 5, "retained availability")
        assert peer.on(BASE + "/availability")[0] == (b"offline", True)
    finally:
        peer.close()
