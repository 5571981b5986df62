# heapsize: 64K
# smsgw.events: fan-out, a raising handler never breaks the emitter; timestamps.
from smsgw import events


def test_fan_out_and_raising_handler():
    got = []

    def good(name, payload):
        got.append((name, payload["messageId"]))

    def bad(name, payload):
        raise RuntimeError("boom")

    events.subscribe(bad)
    events.subscribe(good)
    events.subscribe(good)  # once only
    errors = events.errors
    assert events.emit("sms:sent", {"messageId": "m1"}) == 1
    assert got == [("sms:sent", "m1")] and events.errors == errors + 1
    events.unsubscribe(bad)
    events.unsubscribe(good)
    assert events.emit("sms:sent", {"messageId": "m2"}) == 0 and len(got) == 1


def test_iso_timestamps():
    assert events.iso(0) == "1970-01-01T00:00:00.000Z"
    assert events.iso(1795636800) == "2026-11-25T20:00:00.000Z"
    assert events.now() > 1700000000
