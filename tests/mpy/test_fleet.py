# heapsize: 128K
# The fleet member (smsgw.net.fleet) on the MicroPython unix port without a broker: its config,
# its capacity, subscribing only with room, and the order claim -> store -> PUBACK that makes
# a message sent once across boards. The real thing (mosquitto, three virtual boards,
# `smsgate fleet bulk`) is tests/fleet/.
import asyncio
import json

from smsgw.errors import ConfigError
from smsgw.net import fleet, mqtt, mqtt_cfg, mqtt_client


class _Outbox:
    def __init__(self, max_pending=10):
        self.msgs = {}
        self.max_pending = max_pending
        self.pacer = None
        self.log = None

    def pending(self):
        return len(self.msgs)

    def status(self, i):
        return self.msgs.get(i)

    def submit(self, body, cap=99):
        self.log.append(("store", body["id"]))
        st = self.msgs.setdefault(body["id"], {"id": body["id"], "state": "Pending"})
        return 202, st


class _Client:
    """Records what the member does on the connection, in order."""

    def __init__(self, log, fail_publish=False):
        self.log = log
        self.fail = fail_publish

    async def publish(self, topic, msg, retain=False, qos=0):
        if self.fail:
            raise OSError("connection lost")
        self.log.append(("publish", topic, json.loads(msg)))

    async def subscribe(self, f, qos=1):
        self.log.append(("subscribe", f))

    async def unsubscribe(self, f):
        self.log.append(("unsubscribe", f))

    async def puback(self, pid):
        self.log.append(("puback", pid))


def _member(weight=2, prefixes=(), reg=1):
    b = mqtt.MqttBridge({"url": "mqtt://127.0.0.1:1"}, "b7")
    ob = _Outbox()
    ob.log = []
    f = fleet.Fleet({"group": "g", "weight": weight, "prefixes": list(prefixes)}, b, ob,
                    {"ready": True, "reg": reg})
    b.fleet = f
    return b, f, ob


def test_config_section():
    out = fleet.validate({"group": "shop", "prefixes": ["+4917", "4915"]})
    assert out == {"group": "shop", "prefixes": ["+4917", "4915"], "weight": 4}
    m = mqtt_cfg.validate({"url": "mqtt://h", "fleet": {"group": "shop"}})  # where it lives
    assert m["fleet"]["weight"] == 4 and mqtt_cfg.validate({"url": "mqtt://h"})["fleet"] is None
    try:
        mqtt_cfg.validate({"url": "mqtt://h", "fleet": {"group": "a/b"}})
        raise AssertionError("a bad group passed")
    except ConfigError as exc:
        assert "mqtt.fleet.group" in str(exc), exc
    for bad in ({}, {"group": ""}, {"group": "a/b"}, {"group": "a+"}, {"group": "g", "x": 1},
                {"group": "g", "prefixes": ["+49a"]}, {"group": "g", "prefixes": "+49"},
                {"group": "g", "weight": 0}, {"group": "g", "weight": 2.5}):
        try:
            fleet.validate(bad)
        except ConfigError:
            continue
        raise AssertionError(bad)


def test_topics_and_shared_filters():
    _, f, _ = _member(prefixes=("+4917",))
    assert f.filters == ["$share/g/smsgate/fleet/g/send",
                         "$share/g-4917/smsgate/fleet/g/route/4917/send"]
    assert f.send_topics == ["smsgate/fleet/g/send", "smsgate/fleet/g/route/4917/send"]
    assert f.result_topic == "smsgate/fleet/g/result"


async def test_claim_is_acknowledged_by_the_broker_before_the_message_is_stored():
    b, f, ob = _member()
    c = _Client(ob.log)
    assert await f.on_message(c, b'{"id": "m1", "to": "+1555", "text": "hi"}', 9) == \
        mqtt_client.DEFER
    for _ in range(50):
        await asyncio.sleep_ms(2)
    kinds = [x[0] for x in ob.log]
    assert kinds == ["publish", "store", "puback"], ob.log
    assert ob.log[0][2] == {"id": "m1", "deviceId": "b7", "state": "Claimed"}
    out = json.loads(b.queue[-1][1])
    assert b.queue[-1][0] == f.result_topic
    assert out == {"id": "m1", "deviceId": "b7", "status": 202, "state": "Pending"}


async def test_a_lost_connection_while_claiming_stores_nothing_and_acks_nothing():
    b, f, ob = _member()
    await f.on_message(_Client(ob.log, fail_publish=True),
                       b'{"id": "m2", "to": "+1555", "text": "hi"}', 3)
    for _ in range(50):
        await asyncio.sleep_ms(2)
    assert ob.log == [] and b.queue == []  # nobody claimed it: the host gives it to another


async def test_full_board_unsubscribes_and_refuses_unclaimed_work():
    b, f, ob = _member(weight=1)
    c = _Client(ob.log)
    await f.sync(c)
    assert ob.log == [("subscribe", "$share/g/smsgate/fleet/g/send")] and f.subscribed
    await f.on_message(c, b'{"id": "a", "to": "+1", "text": "x"}', 1)
    await f.on_message(c, b'{"id": "b", "to": "+1", "text": "y"}', 2)  # before UNSUBACK
    for _ in range(50):
        await asyncio.sleep_ms(2)
    res = [json.loads(q[1]) for q in b.queue if q[0] == f.result_topic]
    assert res[-1] == {"id": "b", "deviceId": "b7", "status": 503, "state": None,
                       "error": "busy"}
    assert ("store", "b") not in ob.log and ("puback", 2) in ob.log
    assert f.capacity() == 0
    await f.sync(c)
    assert ob.log[-1] == ("unsubscribe", "$share/g/smsgate/fleet/g/send") and not f.subscribed
    st = f.status()
    assert st["capacity"] == 0 and not st["taking"] and st["rejected"] == 1


def test_not_registered_has_no_capacity_and_final_states_go_to_the_group():
    b, f, _ = _member(reg=2)  # searching
    assert f.capacity() == 0
    f.on_event("sms:failed", {"messageId": "m9", "reason": "CMS 38"})
    f.on_event("sms:received", {"messageId": "r1"})  # not ours
    assert [json.loads(q[1]) for q in b.queue] == [
        {"id": "m9", "deviceId": "b7", "state": "Failed", "error": "CMS 38"}]


def test_unsubscribe_packet_bytes():
    # MQTT 3.1.1 3.10: fixed header 0xA2, packet id, one topic filter
    assert mqtt_client.packet(0xA2, b"\x00\x05" + mqtt_client._str("a/b")) == \
        b"\xa2\x07\x00\x05\x00\x03a/b"
