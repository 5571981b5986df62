# heapsize: 128K
# MQTT on the MicroPython unix port without a broker: packet bytes against MQTT 3.1.1 examples,
# URL/config/command parsing, and the bridge's queue and command handling. The real-broker
# tests (mosquitto + paho peer) are in tests/events/.
import asyncio
import json

from localnet import serve
from smsgw.net import mqtt, mqtt_cfg, mqtt_client, mqtt_connect
from smsgw.net.url import mqtt as mqtt_url
from smsgw.net import mqtt_cmd as cmd
from smsgw.errors import ConfigError


def test_remaining_length_encoding_matches_spec_table():
    # MQTT 3.1.1 2.2.3, Table 2.4 boundaries
    cases = {0: b"\x00", 127: b"\x7f", 128: b"\x80\x01", 16383: b"\xff\x7f",
             16384: b"\x80\x80\x01", 2097151: b"\xff\xff\x7f"}
    for n, enc in cases.items():
        assert mqtt_client._varlen(n) == enc, n


def test_connect_packet_bytes():
    pkt = mqtt_connect.connect_packet("c1", 60, "u", "p", ("t/a", b"off", True, 1), clean=False)
    # flags: user 0x80 | password 0x40 | will retain 0x20 | will qos1 0x08 | will 0x04 = 0xEC
    body = (b"\x00\x04MQTT\x04\xec\x00\x3c" + b"\x00\x02c1" + b"\x00\x03t/a" + b"\x00\x03off" +
            b"\x00\x01u" + b"\x00\x01p")
    assert pkt == b"\x10" + bytes([len(body)]) + body
    assert mqtt_connect.connect_packet("c", 30)[9] == 0x02  # clean session only


def test_publish_packet_bytes():
    assert mqtt_client.publish_packet("a/b", b"hi") == b"\x30\x07\x00\x03a/bhi"
    assert mqtt_client.publish_packet("a", "x", 1, True, pid=10) == b"\x33\x06\x00\x01a\x00\x0ax"


def test_mqtt_url_and_validate():
    assert mqtt_url("mqtt://u:p@h:1884") == (False, "h", 1884, "u", "p")
    assert mqtt_url("mqtts://broker") == (True, "broker", 8883, None, None)
    assert mqtt_url("mqtt://u@h") == (False, "h", 1883, "u", None)
    for bad in ("http://h", "mqtt://", "mqtt://h:0", "mqtt://h:x", None):
        try:
            mqtt_url(bad)
        except ValueError:
            continue
        raise AssertionError(bad)
    cfg = mqtt_cfg.validate({"url": "mqtt://127.0.0.1:1883"})
    assert cfg["prefix"] == "smsgate" and cfg["discovery"] is True
    for bad, key in (({}, "mqtt.url"), ({"url": "x://"}, "mqtt.url"),
                     ({"url": "mqtt://h", "tls": 1}, "mqtt.tls"),
                     ({"url": "mqtt://h", "prefix": "a/#"}, "mqtt.prefix"),
                     ({"url": "mqtt://h", "other": 1}, "mqtt.other")):
        try:
            mqtt_cfg.validate(bad)
        except ConfigError as exc:
            assert exc.key == key, (exc.key, key)
        else:
            raise AssertionError(bad)


def test_command_parsing():
    body = cmd.parse_command(b'{"id": "a1", "to": "+4912", "text": "hi"}')
    assert body == {"id": "a1", "phoneNumbers": ["+4912"], "textMessage": {"text": "hi"}}
    body = cmd.parse_command(b'{"phoneNumbers": ["+1", "+2"], "text": "x"}')
    assert body == {"phoneNumbers": ["+1", "+2"], "textMessage": {"text": "x"}}
    for bad in (b"nope", b"[]", b'{"text": "x"}', b'{"to": "+1"}', b'{"to": [1], "text": "x"}'):
        try:
            cmd.parse_command(bad)
        except ValueError:
            continue
        raise AssertionError(bad)
    assert cmd.parse_ha_text(b"+49 170 1234: hello: you") == {
        "phoneNumbers": ["+491701234"], "textMessage": {"text": "hello: you"}}
    for bad in (b"hello", b"+1:", b"abc: hi", b": hi"):
        try:
            cmd.parse_ha_text(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


def test_bridge_queue_is_bounded_and_maps_events():
    b = mqtt.MqttBridge({"url": "mqtt://127.0.0.1:1", "queue_max": 3}, "dev")
    for i in range(5):
        b.on_event("sms:received", {"n": i})
    b.on_event("sms:bogus", {})  # not an MQTT event
    assert [json.loads(q[1])["n"] for q in b.queue] == [2, 3, 4]
    assert b.queue[0][0] == "smsgate/dev/received" and b.queue[0][3] == 1
    assert b.counters["discards"] == 2
    b.on_event("system:ping", {"health": {"status": "pass"}})
    assert b.queue[-1][0] == "smsgate/dev/ping" and b.counters["discards"] == 3


async def test_commands_go_to_submit_and_results_are_queued():
    got = []

    async def submit(body):
        got.append(body)
        return 202, {"id": body.get("id", "gen"), "state": "Pending"}

    b = mqtt.MqttBridge({"url": "mqtt://127.0.0.1:1"}, "dev", submit=submit)
    await b._on_message("smsgate/dev/send", b'{"id": "x1", "to": "+1", "text": "a"}', False)
    await b._on_message("smsgate/dev/send", b'{"id": "x2", "to": "+1", "text": "old"}', True)
    await b._on_message("smsgate/dev/ha/send", b"+2: b", False)
    await b._on_message("smsgate/dev/send", b"garbage", False)
    await b._on_message("smsgate/other/send", b"{}", False)
    assert [x["textMessage"]["text"] for x in got] == ["a", "b"]  # retained command skipped
    res = [json.loads(q[1]) for q in b.queue]
    assert [q[0] for q in b.queue] == ["smsgate/dev/send/result"] * 3
    assert res[0] == {"id": "x1", "status": 202, "state": "Pending", "message": None}
    assert res[1]["id"] == "gen" and res[2]["status"] == 400


def test_command_id_names_a_redelivery_like_the_original():
    known = set()
    a = cmd.command_id(7, False, b"+1: hi", known.__contains__)
    assert a.startswith("mq7-") and len(a) <= 64
    known.add(a)
    assert cmd.command_id(7, True, b"+1: hi", known.__contains__) == a  # the broker's DUP
    b = cmd.command_id(7, False, b"+1: hi", known.__contains__)  # a new one, same pid: wrapped
    assert b == a + ".1"
    known.add(b)
    assert cmd.command_id(7, True, b"+1: hi", known.__contains__) == b  # DUP: the newest
    assert cmd.command_id(8, False, b"+1: hi", known.__contains__) != a
    assert cmd.command_id(7, False, b"+1: ho", known.__contains__) != a


async def test_redelivered_command_without_id_is_submitted_once():
    got = {}

    def submit(body):
        first = body["id"] not in got
        got.setdefault(body["id"], body)
        return 202, {"id": body["id"], "state": "Pending" if first else "Sent"}

    b = mqtt.MqttBridge({"url": "mqtt://127.0.0.1:1"}, "dev", submit=submit,
                        known=lambda i: i in got)
    await b._on_message("smsgate/dev/ha/send", b"+2: b", False, 5, False)
    await b._on_message("smsgate/dev/ha/send", b"+2: b", False, 5, True)  # redelivered
    await b._on_message("smsgate/dev/send", b'{"to": "+3", "text": "c"}', False, 6, False)
    await b._on_message("smsgate/dev/send", b'{"to": "+3", "text": "c"}', False, 6, True)
    assert len(got) == 2
    res = [json.loads(q[1]) for q in b.queue]
    assert res[0]["id"] == res[1]["id"] and res[1]["state"] == "Sent"
    assert res[2]["id"] == res[3]["id"] != res[0]["id"]


async def test_unreachable_broker_backs_off_without_blocking():
    b = mqtt.MqttBridge({"url": "mqtt://127.0.0.1:1", "reconnect_max_s": 0.05}, "dev")
    b.start()
    for _ in range(200):
        b.on_event("sms:sent", {"messageId": "m"})  # never waits on MQTT
        await asyncio.sleep_ms(2)
    await b.stop()
    assert b.counters["failures"] >= 3 and b.counters["connects"] == 0
    assert len(b.queue) == 32 and ("ECONNREFUSED" in b.last_error or "111" in b.last_error)


async def test_no_heap_for_a_new_client_is_a_failed_connection_not_a_dead_task():
    b = mqtt.MqttBridge({"url": "mqtt://127.0.0.1:1", "reconnect_max_s": 0.05}, "dev")
    real = b._make_client
    calls = [0]

    def short_of_memory():
        calls[0] += 1
        if calls[0] == 1:
            raise MemoryError("memory allocation failed, allocating 184 bytes")
        return real()

    b._make_client = short_of_memory
    t = b.start()
    for _ in range(200):
        await asyncio.sleep_ms(2)
        if calls[0] >= 3:
            break
    assert not t.done(), "the connection task ended"  # the loop's handler would reset the board
    await b.stop()
    assert calls[0] >= 3 and b.counters["failures"] >= 2, (calls, b.counters)
    assert b.counters["connects"] == 0


async def test_a_failing_outbox_is_answered_500_not_raised():
    def submit(body):
        raise KeyError("boom")

    b = mqtt.MqttBridge({"url": "mqtt://127.0.0.1:1"}, "dev", submit=submit)
    await b._on_message("smsgate/dev/send", b'{"id": "k", "to": "+1", "text": "a"}', False)
    res = json.loads(b.queue[-1][1])
    assert res["status"] == 500 and res["id"] == "k"


class _FakeBroker:
    """An in-memory peer for the client: answers CONNACK, then SUBACK with `suback_code`."""

    def __init__(self, suback_code):
        self.code = suback_code

    async def serve(self, reader, writer):
        head = await reader.readexactly(2)  # CONNECT (short: one byte of remaining length)
        await reader.readexactly(head[1])
        writer.write(b"\x20\x02\x00\x00")
        await writer.drain()
        while True:
            head = await reader.read(1)
            if not head:
                break
            ln = (await reader.readexactly(1))[0]
            body = await reader.readexactly(ln) if ln else b""
            if head[0] == 0x82:
                writer.write(b"\x90\x03" + body[:2] + bytes([self.code]))
                await writer.drain()
        writer.close()


async def test_suback_refusal_raises():
    from smsgw.net.mqtt_client import MQTTClient

    for code, ok in ((1, True), (0x80, False)):
        fb = _FakeBroker(code)
        srv, port = await serve(fb.serve)
        c = MQTTClient("c", "127.0.0.1", port, keepalive=5)
        try:
            await c.connect(2)
            try:
                await c.subscribe("a/b", 1, 2)
                got = True
            except OSError as exc:
                got = False
                assert "SUBACK refused" in str(exc)
            assert got == ok, code
        finally:
            await c.close()
            srv.close()
            await srv.wait_closed()


async def test_the_connection_code_leaves_the_heap_once_connected():
    # the URL's form, the TCP connect and CONNECT are needed to connect only: the session,
    # which runs for days, does not carry them (loaded again at the next connection)
    import sys

    from smsgw import forget

    _CONNECTING = ("smsgw.net.url", "smsgw.net.tcp", "smsgw.net.mqtt_connect")
    forget(*_CONNECTING)  # this file's own imports

    srv, port = await serve(_FakeBroker(1).serve)
    b = mqtt.MqttBridge({"url": "mqtt://127.0.0.1:%d" % port, "discovery": False}, "dev")
    t = b.start()
    try:
        for _ in range(500):
            if b.counters["connects"]:
                break
            await asyncio.sleep_ms(2)
        assert b.counters["connects"] == 1 and not t.done()
        assert not any(n in sys.modules for n in _CONNECTING)
    finally:
        await b.stop()
        srv.close()
        await srv.wait_closed()
    b = mqtt.MqttBridge({"url": "mqtt://127.0.0.1:1", "reconnect_max_s": 0.05}, "dev")
    b.start()
    for _ in range(500):
        if b.counters["failures"]:
            break
        await asyncio.sleep_ms(2)
    await b.stop()
    assert b.counters["failures"] and not any(n in sys.modules for n in _CONNECTING)  # refused
