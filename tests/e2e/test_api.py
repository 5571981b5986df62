"""The HTTP API against the real firmware on a virtual board, both modem models."""

from __future__ import annotations

import json

from .conftest import poll, send, sent_with


def test_gsm7_text_is_sent_and_delivered(gw):
    text = "Price: 5€ [ok] {%s}" % gw.model
    obj = send(gw, text, id="gsm7-" + gw.model)
    assert obj["state"] == "Pending" and obj["recipients"][0]["state"] == "Pending"
    done = gw.wait_state(obj["id"], "Delivered")
    assert set(done["states"]) >= {"Pending", "Processed", "Sent", "Delivered"}
    (s,) = sent_with(gw.sim, text)
    assert s["to"] == "+15551230001" and s["encoding"] == "gsm7" and s["srr"] is True


def test_emoji_goes_ucs2(gw):
    text = "Grüße 👋 from %s" % gw.model
    obj = send(gw, text, withDeliveryReport=False)
    assert gw.wait_state(obj["id"], ("Sent", "Delivered"))["state"] == "Sent"
    (s,) = poll(lambda: sent_with(gw.sim, text), what="emoji SMS at the simulator")
    assert s["encoding"] == "ucs2" and s["srr"] is False


def test_three_part_message(gw):
    text = ("Part test %s " % gw.model) + "x" * 380
    obj = send(gw, text, to=["+15551230002", "+15551230003"])
    done = gw.wait_state(obj["id"], "Delivered", timeout=30)
    assert [r["state"] for r in done["recipients"]] == ["Delivered", "Delivered"]
    got = sent_with(gw.sim, text)
    assert sorted(s["to"] for s in got) == ["+15551230002", "+15551230003"]
    assert all(s["parts"] == 3 and s["complete"] for s in got)


def test_same_id_twice_is_one_sms(gw):
    text = "idempotent %s" % gw.model
    a = send(gw, text, id="same-" + gw.model)
    b = send(gw, text, id="same-" + gw.model)
    assert a["id"] == b["id"]
    gw.wait_state(a["id"], ("Sent", "Delivered"))
    c = send(gw, text, id="same-" + gw.model)
    assert c["state"] in ("Sent", "Delivered")
    gw.wait_state(a["id"], "Delivered")
    assert len(sent_with(gw.sim, text)) == 1


def test_inbound_single_and_multipart_reach_inbox(gw):
    short = "inbound hello %s" % gw.model
    long = ("inbound long %s " % gw.model) + "y" * 300
    gw.sim.send_sms("+15557654321", short)
    gw.sim.send_sms("+15557654322", long)

    def both():
        status, items, headers = gw.api("GET", "/inbox?limit=50")
        assert status == 200 and int(headers["X-Total-Count"]) >= len(items)
        texts = {m["contentPreview"]: m for m in items}
        return texts if short in texts and long in texts else None

    texts = poll(both, what="both inbound SMS in /inbox")
    assert texts[short]["sender"] == "+15557654321" and texts[short]["type"] == "SMS"
    assert texts[long]["partsCount"] == 3 and "incomplete" not in texts[long]


def test_auth_required_and_checked(gw):
    status, body, headers = gw.api("GET", "/messages", auth=("sms", "wrong"))
    assert status == 401 and body == {"message": "unauthorized"}
    assert headers["WWW-Authenticate"].startswith("Basic")
    assert gw.api("GET", "/messages", auth=False)[0] == 401
    assert gw.api("GET", "/health", auth=False)[0] == 200


def test_malformed_and_invalid_bodies(gw):
    status, body, _ = gw.api("POST", "/message", raw=b'{"textMessage": ')
    assert status == 400 and "JSON" in body["message"]
    status, body, _ = gw.api("POST", "/messages", {"textMessage": {"text": "x"}})
    assert status == 400 and "phoneNumbers" in body["message"]
    status, body, _ = gw.api("POST", "/message", {"textMessage": {"text": "x"},
                                                  "phoneNumbers": ["+1555"], "isEncrypted": True})
    assert status == 400 and "not supported" in body["message"]


def test_oversize_body_is_413(gw):
    raw = json.dumps({"textMessage": {"text": "z" * 9000}, "phoneNumbers": ["+1555"]}).encode()
    status, body, _ = gw.api("POST", "/message", raw=raw)
    assert status == 413 and "too large" in body["message"]
    assert gw.health()["status"] in ("pass", "warn")  # the server survived


def test_list_get_cancel_and_404(gw):
    status, items, headers = gw.api("GET", "/messages?limit=2")
    assert status == 200 and len(items) <= 2 and int(headers["X-Total-Count"]) >= 1
    assert gw.api("GET", "/messages/nope")[0] == 404
    assert gw.api("GET", "/message/nope")[0] == 404
    assert gw.api("GET", "/messages?state=Bogus")[0] == 400
    assert gw.api("GET", "/nowhere")[0] == 404
    status, items, _ = gw.api("GET", "/messages?state=Delivered&limit=500")
    assert status == 200 and all(m["state"] == "Delivered" for m in items)
    obj = send(gw, "cancel check %s" % gw.model, id="cancel-" + gw.model)
    status, body, _ = gw.api("DELETE", "/messages/" + obj["id"])
    # raced with the sender: either cancelled while Pending or too late
    assert (status, body.get("state")) == (200, "Cancelled") or status == 409, (status, body)


def test_health_document(gw):
    doc = gw.health()
    assert doc["status"] in ("pass", "warn")
    for name in ("modem", "registration", "signal", "queue:depth", "messages:failed",
                 "recovery"):
        c = doc["checks"][name]
        assert set(c) == {"description", "observedUnit", "observedValue", "status"}
    assert doc["checks"]["modem"]["status"] == "pass"


def test_consecutive_multipart_messages_get_different_concat_refs(gw):
    from smsgw.codec import pdu

    to = "+1555123%04d" % (7000 + (gw.model == "sim7600"))
    texts = ["Ref test %d %s " % (i, gw.model) + "r" * 200 for i in range(3)]
    ids = [send(gw, t, to=[to], withDeliveryReport=False)["id"] for t in texts]
    for mid in ids:
        assert gw.wait_state(mid, ("Sent", "Delivered"))["state"] == "Sent"
    refs = []
    for t in texts:
        (s,) = poll(lambda t=t: sent_with(gw.sim, t), what="multipart at the simulator")
        assert s["complete"] and s["parts"] == 2, s
        got = {pdu.decode(h)["udh"]["concat"]["ref"] for h in s["pdus"]}
        assert len(got) == 1, got  # all parts of one message share the ref
        refs.append(got.pop())
    assert len(set(refs)) == 3, refs
    # the refs follow the store's message sequence: consecutive submits, consecutive refs
    assert [(refs[i + 1] - refs[i]) % 256 for i in range(2)] == [1, 1], refs
