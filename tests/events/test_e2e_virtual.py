"""End to end on the virtual board (the real firmware bundle on the MicroPython unix port against
the simulated modem): webhooks to a signature-checking receiver and MQTT through mosquitto."""

from __future__ import annotations

import json
import time

import pytest
from evharness import Mosquitto, Receiver, wait_for
from test_mqtt_broker import Peer

from smsgate.virtual import VirtualGateway

KEY = "e2e-signing-key"
DEV = "vg1"
BASE = "smsgate/" + DEV


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    """One broker, one receiver, one virtual gateway with webhooks and MQTT, shared."""
    tmp = tmp_path_factory.mktemp("e2e")
    broker = Mosquitto(tmp)
    broker.start()
    rx = Receiver(KEY)
    rx.start()
    cfg = {
        "device": {"id": DEV},
        "webhooks": {"signing_key": KEY, "retry_base_s": 0.2, "retry_max_s": 1, "timeout_s": 6},
        "mqtt": {"url": broker.url, "reconnect_max_s": 0.5, "keepalive_s": 10},
    }
    # 512K: the core alone keeps ~157 KB live on this 64-bit port and each of webhooks and MQTT
    # ~22 KB more; at 256K the inbox ran out of memory (the boards have PSRAM; see EVENTS.md)
    gw = VirtualGateway(config=cfg, data_dir=tmp / "flash", heap="512K")
    peer = None
    try:
        gw.start()
        gw.wait_ready()
        for ev in ("sms:received", "sms:sent", "sms:delivered", "sms:failed"):
            st, _, _ = gw.api("POST", "/webhooks", {"id": ev.split(":")[1], "url": rx.url,
                                                     "event": ev})
            assert st == 201
        wait_for(lambda: (gw.health() or {}).get("checks", {}).get("mqtt", {})
                 .get("observedValue"), 15, "MQTT connected")
        peer = Peer(broker.port, ("homeassistant/#", BASE + "/#"), client_id="e2e-peer",
                    clean=False)
        yield gw, rx, broker, peer
    finally:
        if peer:
            peer.close()
        gw.stop()
        rx.stop()
        broker.stop()


def _payloads(peer, topic):
    return [json.loads(p) for p, _ in peer.on(topic)]


def test_inbound_sms_gives_webhook_and_mqtt_event(rig):
    gw, rx, _, peer = rig
    gw.sim.send_sms("+15551234", "hello from the field")
    wait_for(lambda: [g for g in rx.got if g["event"] == "sms:received"], 20, "the webhook")
    env = [g for g in rx.got if g["event"] == "sms:received"][-1]
    assert env["deviceId"] == DEV and env["webhookId"] == "received"
    assert env["payload"]["phoneNumber"] == "+15551234"
    assert env["payload"]["message"] == "hello from the field"
    wait_for(lambda: _payloads(peer, BASE + "/received"), 10, "the MQTT event")
    assert _payloads(peer, BASE + "/received")[-1]["message"] == "hello from the field"
    assert rx.bad_signatures == 0


def test_send_gives_sent_then_delivered(rig):
    gw, rx, _, peer = rig
    st, body, _ = gw.api("POST", "/message", {"id": "e2e-out", "phoneNumbers": ["+15559876"],
                                              "textMessage": {"text": "out we go"}})
    assert st == 202, body
    gw.wait_state("e2e-out", "Delivered", 30)

    def mine(event):
        return [g for g in rx.got if g["event"] == event
                and g["payload"].get("messageId") == "e2e-out"]

    wait_for(lambda: mine("sms:sent") and mine("sms:delivered"), 20, "sent + delivered hooks")
    order = [g["event"] for g in rx.got if g["payload"].get("messageId") == "e2e-out"]
    assert order.index("sms:sent") < order.index("sms:delivered")
    assert mine("sms:sent")[0]["payload"]["phoneNumber"] == "+15559876"
    wait_for(lambda: [p for p in _payloads(peer, BASE + "/delivered")
                      if p.get("messageId") == "e2e-out"], 10, "MQTT delivered")


def test_mqtt_send_command_reaches_the_simulator_once(rig):
    gw, _, _, peer = rig
    cmd = json.dumps({"id": "mq-1", "to": "+15550001", "text": "via mqtt"})
    peer.publish(BASE + "/send", cmd)
    peer.publish(BASE + "/send", cmd)  # same id again: the same message, sent once
    wait_for(lambda: len([r for r in _payloads(peer, BASE + "/send/result")
                          if r["id"] == "mq-1"]) == 2, 15, "two results")
    res = [r for r in _payloads(peer, BASE + "/send/result") if r["id"] == "mq-1"]
    assert {r["status"] for r in res} <= {200, 202} and res[0]["state"] in ("Pending", "Processed",
                                                                              "Sent", "Delivered")
    gw.wait_state("mq-1", ("Sent", "Delivered"), 30)
    time.sleep(0.5)
    texts = [s.get("text") for s in gw.sim.sent()]
    assert texts.count("via mqtt") == 1, texts


def test_home_assistant_discovery_and_text_command(rig):
    gw, _, _, peer = rig
    dev = json.loads(peer.on("homeassistant/sensor/%s_signal/config" % DEV)[0][0])
    assert peer.on("homeassistant/sensor/%s_signal/config" % DEV)[0][1]  # retained
    assert dev["state_topic"] == BASE + "/status" and dev["device_class"] == "signal_strength"
    status = _payloads(peer, BASE + "/status")[-1]
    assert status["registration"] in ("home", "roaming") and isinstance(status["signal"], int)
    assert isinstance(status["queue"], int)
    assert peer.on(BASE + "/availability")[0] == (b"online", True)
    text = json.loads(peer.on("homeassistant/text/%s_send/config" % DEV)[0][0])
    peer.publish(text["command_topic"], "+15550002: from home assistant")
    wait_for(lambda: "from home assistant" in [s.get("text") for s in gw.sim.sent()], 30,
             "the HA SMS at the simulator")


def test_receiver_down_and_power_cut_lose_no_event(rig):
    gw, rx, _, _ = rig
    rx.stop()
    before = len(rx.got)
    for i in range(3):
        gw.sim.send_sms("+1555000%d" % i, "while down %d" % i)
    wait_for(lambda: (gw.health() or {}).get("checks", {}).get("webhooks", {})
             .get("observedValue", 0) >= 3, 30, "3 deliveries pending")
    gw.restart_board(kill=True)  # power cut with the deliveries pending
    rx.start()
    want = {"while down %d" % i for i in range(3)}
    wait_for(lambda: want <= {g["payload"].get("message") for g in rx.got[before:]}, 30,
             "the 3 pending deliveries after the reboot")
    assert rx.bad_signatures == 0
    ids = [g["id"] for g in rx.got[before:] if g["payload"].get("message") in want]
    assert len(set(ids)) == 3  # de-duplicable by id (duplicates allowed, losses not)


def test_broker_restart_loses_no_command(rig):
    gw, _, broker, peer = rig
    broker.stop()
    time.sleep(0.5)
    broker.start()
    wait_for(lambda: peer.c.is_connected(), 10, "the peer to reconnect")
    peer.publish(BASE + "/send", json.dumps({"id": "mq-2", "to": "+15550003", "text": "after"}))
    gw.wait_state("mq-2", ("Sent", "Delivered"), 30)
    assert "after" in [s.get("text") for s in gw.sim.sent()]


def test_webhook_api_shape_and_errors(rig):
    gw, rx, _, _ = rig
    st, hooks, _ = gw.api("GET", "/webhooks")
    assert st == 200 and {h["id"] for h in hooks} >= {"received", "sent", "delivered", "failed"}
    assert KEY not in json.dumps(hooks) and KEY not in json.dumps(gw.health())
    assert gw.api("GET", "/webhooks", auth=False)[0] == 401
    assert gw.api("POST", "/webhooks", {"url": "ftp://x/", "event": "sms:sent"})[0] == 400
    assert gw.api("POST", "/webhooks", {"url": rx.url, "event": "sms:nope"})[0] == 400
    assert gw.api("POST", "/webhooks", raw=b"{not json")[0] == 400
    st, h, _ = gw.api("POST", "/webhooks", {"url": rx.url, "event": "system:ping"})
    assert st == 201 and h["event"] == "system:ping" and h["id"]
    assert gw.api("DELETE", "/webhooks/" + h["id"])[0] == 204
    st, body, _ = gw.api("DELETE", "/webhooks/" + h["id"])
    assert st == 404 and body == {"message": "webhook not found"}
    assert gw.api("GET", "/webhooks/dead")[:2] == (200, [])
    assert gw.api("POST", "/webhooks/dead/replay")[:2] == (200, {"replayed": 0})
    assert gw.api("POST", "/webhooks/dead/replay", {"ids": 5})[0] == 400


def test_a_hanging_receiver_does_not_slow_sms(rig):
    gw, rx, _, _ = rig
    rx.delay = 5  # every delivery sits until just before the 6 s timeout
    try:
        gw.sim.send_sms("+15550042", "slow receiver 1")
        time.sleep(0.3)  # its delivery is in flight now
        t0 = time.monotonic()
        st, _, _ = gw.api("POST", "/message", {"id": "e2e-slow", "phoneNumbers": ["+15550043"],
                                               "textMessage": {"text": "still fast"}})
        assert st == 202
        gw.wait_state("e2e-slow", "Delivered", 20)
        gw.sim.send_sms("+15550044", "slow receiver 2")
        wait_for(lambda: "slow receiver 2" in [m["contentPreview"]
                                              for m in gw.api("GET", "/inbox")[1]],
                 20, "the inbound SMS in the inbox")
        took = time.monotonic() - t0
        # both SMS paths finished while the first delivery was still hanging at the receiver
        assert "slow receiver 1" not in {g["payload"].get("message") for g in rx.got}, took
    finally:
        rx.delay = 0
    wait_for(lambda: {"slow receiver 1", "slow receiver 2"}
             <= {g["payload"].get("message") for g in rx.got}, 30, "both webhooks in the end")


def test_a_frozen_broker_does_not_slow_sms(rig):
    import signal

    gw, _, broker, peer = rig
    broker.proc.send_signal(signal.SIGSTOP)  # TCP stays up, nothing answers: PUBACKs hang
    try:
        gw.sim.send_sms("+15550051", "broker frozen")  # its MQTT event waits for the broker
        t0 = time.monotonic()
        st, _, _ = gw.api("POST", "/message", {"id": "e2e-frozen", "phoneNumbers": ["+15550052"],
                                               "textMessage": {"text": "sms goes on"}})
        assert st == 202
        gw.wait_state("e2e-frozen", "Delivered", 20)
        assert time.monotonic() - t0 < 8
    finally:
        broker.proc.send_signal(signal.SIGCONT)
    wait_for(lambda: "broker frozen" in [p.get("message") for p in
                                         _payloads(peer, BASE + "/received")], 30,
             "the event once the broker thaws")
