"""GET/PATCH/PUT /settings on the virtual board: android-sms-gateway's document, validated like the
provisioned config (errors name the key), kept across a power cut, provisioned secrets never
readable, and the pacing applied to the running outbox at once."""

from __future__ import annotations

import json

import pytest

from .conftest import make_gateway, poll, send, sent_with

SECRET = "provisioned-signing-key"


@pytest.fixture(scope="module")
def gw():
    g = make_gateway("sim800", heap="320K", config={"webhooks": {"signing_key": SECRET}})
    with g:
        g.wait_ready()
        yield g


def _settings(gw):
    status, doc, _ = gw.api("GET", "/settings")
    assert status == 200, doc
    return doc


def test_document_changes_survive_a_power_cut_and_hide_secrets(gw):
    doc = _settings(gw)
    assert doc["messages"] == {"limit_period": "Disabled", "limit_value": 0,
                               "send_interval_min": 0, "send_interval_max": 0}
    assert doc["webhooks"]["retry_count"] == 14
    status, doc, _ = gw.api("PATCH", "/settings", {
        "messages": {"limit_period": "PerDay", "limit_value": 500, "send_interval_max": 3},
        "webhooks": {"retry_count": 5, "timeout_s": 10, "signing_key": "changed-by-the-api"}})
    assert status == 200, doc
    assert doc["messages"]["limit_period"] == "PerDay" and doc["messages"]["limit_value"] == 500
    assert doc["webhooks"]["retry_count"] == 5 and doc["webhooks"]["timeout_s"] == 10
    gw.restart_board()  # SIGKILL: a power cut; the file was replaced atomically
    after = _settings(gw)
    assert after == doc
    for secret in (SECRET, "changed-by-the-api"):
        assert secret not in json.dumps(after) and "signing_key" not in json.dumps(after)
    # null: back to the provisioned value; PUT: everything back
    doc = gw.api("PATCH", "/settings", {"webhooks": {"retry_count": None}})[1]
    assert doc["webhooks"]["retry_count"] == 14 and doc["webhooks"]["timeout_s"] == 10
    doc = gw.api("PUT", "/settings", {})[1]
    assert doc["messages"]["limit_period"] == "Disabled" and doc["webhooks"]["timeout_s"] == 30


@pytest.mark.parametrize("body, key", [
    ({"messages": {"limit_value": -1}}, "messages.limit_value"),
    ({"messages": {"limit_period": "PerHour"}}, "messages.limit_period"),
    ({"messages": {"send_interval_min": "soon"}}, "messages.send_interval_min"),
    ({"messages": {"colour": 1}}, "messages.colour"),
    ({"webhooks": {"retry_count": 0}}, "webhooks.retry_count"),
    ({"webhooks": {"signing_key": "short"}}, "webhooks.signing_key"),
    ({"encryption": {"passphrase": "x"}}, "encryption"),
    ({"gateway": {}}, "gateway"),
    ({"nonsense": 1}, "nonsense"),
])
def test_invalid_changes_name_the_key_and_change_nothing(gw, body, key):
    before = _settings(gw)
    status, obj, _ = gw.api("PATCH", "/settings", body)
    assert status == 400 and obj["message"].startswith(key + ":"), (body, obj)
    assert _settings(gw) == before


def test_a_limit_holds_messages_and_lifting_it_releases_them_at_once(gw):
    doc = gw.api("PATCH", "/settings", {"messages": {"limit_period": "PerMinute",
                                                     "limit_value": 1}})[1]
    assert doc["messages"]["limit_period"] == "PerMinute"
    try:
        send(gw, "paced one", to=["+15550009001"])
        poll(lambda: sent_with(gw.sim, "paced one"), what="the first message sent")
        second = send(gw, "paced two", to=["+15550009002"])

        def paced():
            return gw.api("GET", "/health")[1]["counters"]["outbox"].get("paced")

        poll(paced, what="the second message held by the limit")
        assert gw.api("GET", "/messages/" + second["id"])[1]["state"] == "Pending"
        assert not sent_with(gw.sim, "paced two")
    finally:
        gw.api("PATCH", "/settings", {"messages": {"limit_period": "Disabled"}})
    poll(lambda: sent_with(gw.sim, "paced two"), what="the held message sent once lifted")


def test_an_unknown_key_in_any_script_is_named_in_valid_json(gw):
    # found by schemathesis: a made-up key with a lone surrogate went back raw (invalid UTF-8)
    raw = b'{"messages": {"\\ud86f\\udde3x": 1}}'
    status, obj, _ = gw.api("PATCH", "/settings", raw=raw)
    assert status == 400 and obj["message"].startswith("messages."), obj


def test_a_limit_value_alone_keeps_the_period(gw):
    gw.api("PUT", "/settings", {})
    doc = gw.api("PATCH", "/settings", {"messages": {"limit_value": 10}})[1]
    assert doc["messages"]["limit_period"] == "Disabled"  # no period: no limit, as the app
    doc = gw.api("PATCH", "/settings", {"messages": {"limit_period": "PerMinute"}})[1]
    assert doc["messages"]["limit_period"] == "Disabled"  # a period without a value neither
    doc = gw.api("PATCH", "/settings", {"messages": {"limit_period": "PerDay",
                                                     "limit_value": 50}})[1]
    assert (doc["messages"]["limit_period"], doc["messages"]["limit_value"]) == ("PerDay", 50)
    doc = gw.api("PATCH", "/settings", {"messages": {"limit_value": 60}})[1]
    assert (doc["messages"]["limit_period"], doc["messages"]["limit_value"]) == ("PerDay", 60)
    gw.api("PUT", "/settings", {})


def test_settings_requests_leave_the_core_its_heap():
    # At the core's e2e heap: reading and changing settings loads neither the whole config
    # module nor the webhook machinery (each starved the sender before: 503s, then a part sent
    # "uncertain" for want of memory).
    with make_gateway("sim800") as g:
        g.wait_ready()
        assert g.api("GET", "/settings")[0] == 200
        status, doc, _ = g.api("PATCH", "/settings", {"messages": {"send_interval_max": 1},
                                                      "webhooks": {"retry_count": 3}})
        assert status == 200, doc
        send(g, "after the settings", to=["+15550009100"])
        poll(lambda: sent_with(g.sim, "after the settings"), what="the message sent")
        assert g.health()["status"] in ("pass", "warn")
