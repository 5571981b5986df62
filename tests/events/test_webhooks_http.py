"""Webhooks from the real firmware modules (MicroPython) to a real HTTP(S) receiver that checks
every signature with CPython's hmac; faults: receiver down and back, power cut, dead letters."""

from __future__ import annotations

import time

from evharness import Receiver, wait_for

KEY = "test-signing-key"


def _cfg(url_events, **wh):
    base = {"signing_key": KEY, "retry_base_s": 0.1, "retry_max_s": 0.4, "timeout_s": 2}
    base.update(wh)
    return {"device": "devA", "webhooks": base}


def _hooks(gw, url, events=("sms:received", "sms:sent", "sms:delivered", "sms:failed")):
    for i, ev in enumerate(events):
        gw.send(hook={"id": "h%d" % i, "url": url, "event": ev})


def test_every_event_is_signed_and_shaped(receiver, mpy_gateway):
    gw = mpy_gateway(_cfg(None))
    gw.start()
    _hooks(gw, receiver.url)
    gw.send(emit=["sms:received", {"messageId": "m1", "message": "héllo", "phoneNumber": "+491",
                                   "simNumber": None, "receivedAt": "2026-01-01T00:00:00.000Z"}])
    gw.send(emit=["sms:sent", {"messageId": "m2", "phoneNumber": "+492", "sentAt": "t"}])
    gw.send(emit=["sms:delivered", {"messageId": "m2", "phoneNumber": "+492"}])
    gw.send(emit=["sms:failed", {"messageId": "m3", "reason": "CMS 38"}])
    wait_for(lambda: len(receiver.got) == 4, 10, "4 webhooks")
    assert receiver.bad_signatures == 0
    by_event = {g["event"]: g for g in receiver.got}
    assert set(by_event) == {"sms:received", "sms:sent", "sms:delivered", "sms:failed"}
    rec = by_event["sms:received"]
    assert rec["deviceId"] == "devA" and rec["webhookId"] == "h0"
    assert rec["payload"]["message"] == "héllo" and rec["payload"]["phoneNumber"] == "+491"
    assert len(set(receiver.ids())) == 4


def test_wrong_key_is_refused_by_the_receiver(mpy_gateway):
    rx = Receiver("another-key")
    rx.start()
    try:
        gw = mpy_gateway(_cfg(None, retry_count=2))
        gw.start()
        _hooks(gw, rx.url, ("sms:sent",))
        gw.send(emit=["sms:sent", {"messageId": "m"}])
        wait_for(lambda: gw.state().get("dead") == 1, 10, "the delivery to die")
        assert rx.bad_signatures == 2 and rx.got == []
    finally:
        rx.stop()


def test_receiver_down_then_back_loses_nothing(receiver, mpy_gateway):
    gw = mpy_gateway(_cfg(None, retry_count=50))
    gw.start()
    _hooks(gw, receiver.url)
    receiver.stop()
    for i in range(10):
        gw.send(emit=["sms:received", {"messageId": "r%d" % i, "message": "m%d" % i}])
    wait_for(lambda: gw.state().get("webhooks", {}).get("tries_failed", 0) >= 20, 15, "retries")
    assert gw.state()["webhooks"]["pending"] == 10
    receiver.start()
    wait_for(lambda: len(set(receiver.ids())) == 10, 15, "all 10 events")
    got = sorted({g["id"]: g["payload"]["messageId"] for g in receiver.got}.values())
    assert got == sorted("r%d" % i for i in range(10))
    wait_for(lambda: gw.state()["webhooks"]["pending"] == 0, 5, "an empty queue")
    assert receiver.bad_signatures == 0


def test_power_cut_with_pending_deliveries_resumes(receiver, mpy_gateway):
    cfg = _cfg(None, retry_base_s=30)  # long back-off: only the reboot can bring them out
    gw = mpy_gateway(cfg)
    gw.start()
    _hooks(gw, receiver.url)
    receiver.stop()
    for i in range(5):
        gw.send(emit=["sms:sent", {"messageId": "p%d" % i}])
    wait_for(lambda: gw.state().get("webhooks", {}).get("tries_failed", 0) >= 5, 15, "tries")
    gw.kill()  # power cut with 5 deliveries pending
    receiver.start()
    gw.start()  # same flash directory
    wait_for(lambda: len(set(receiver.ids())) == 5, 15, "5 resumed deliveries")
    assert sorted(g["payload"]["messageId"] for g in receiver.got) == ["p%d" % i for i in range(5)]


def test_dead_letters_then_replay(receiver, mpy_gateway):
    gw = mpy_gateway(_cfg(None, retry_count=3))
    gw.start()
    _hooks(gw, receiver.url, ("sms:failed",))
    receiver.codes = [500, 502, 503]
    gw.send(emit=["sms:failed", {"messageId": "d1", "reason": "x"}])
    wait_for(lambda: gw.state().get("dead") == 1, 10, "a dead letter")
    assert receiver.got == []
    gw.send(replay={})
    wait_for(lambda: len(receiver.got) == 1, 10, "the replayed delivery")
    assert receiver.got[0]["payload"]["messageId"] == "d1"
    assert gw.state()["dead"] == 0


def test_https_receiver_with_verified_certificate(tls_cert, mpy_gateway, tmp_path):
    pem, key, der = tls_cert
    rx = Receiver(KEY, (pem, key))
    rx.start()
    try:
        gw = mpy_gateway(_cfg(None, ca=der))
        gw.start()
        _hooks(gw, rx.url, ("sms:received",))
        gw.send(emit=["sms:received", {"messageId": "tls"}])
        wait_for(lambda: len(rx.got) == 1, 15, "the https delivery")
        assert rx.url.startswith("https://") and rx.bad_signatures == 0
    finally:
        rx.stop()


def test_throughput_events_per_second(receiver, mpy_gateway, record_property):
    gw = mpy_gateway(_cfg(None, queue_max=200))
    gw.start()
    _hooks(gw, receiver.url, ("sms:received",))
    n = 100
    t0 = time.monotonic()
    gw.send(burst=["sms:received", n])
    wait_for(lambda: len(receiver.got) >= n, 60, "%d deliveries" % n)
    rate = n / (time.monotonic() - t0)
    record_property("webhook_events_per_s", round(rate, 1))
    print("webhooks: %.1f events/s" % rate)
    assert len(set(receiver.ids())) == n and rate > 5
