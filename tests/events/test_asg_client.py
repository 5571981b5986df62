"""android-sms-gateway's own Python client (PyPI `android-sms-gateway` 4.x), unchanged, drives
the virtual board: every method whose feature the gateway has works and parses what it answers;
the methods it does not have (MMS, encryption, JWT tokens, removing a device, attachments) get a
4xx whose message names what is missing. Its webhook payload classes parse our deliveries."""

from __future__ import annotations

import pytest
import requests
from android_sms_gateway import client, domain, enums, errors
from evharness import Receiver, wait_for

from smsgate.virtual import VirtualGateway

PASSWORD = "client-secret"


@pytest.fixture(scope="module")
def gw():
    with VirtualGateway(model="sim800", password=PASSWORD, heap="320K",
                        sim_args=("--report-delay", "0.2")) as g:
        g.wait_ready()
        yield g


@pytest.fixture
def api(gw):
    with client.APIClient("sms", PASSWORD, base_url=gw.url) as c:
        yield c


def _text(to, text, **kw):
    return domain.Message(phone_numbers=[to], text_message=domain.TextMessage(text=text), **kw)


def test_send_state_list_and_cancel(api, gw):
    st = api.send(_text("+15550101001", "from the app's client", id="asg-1", ttl=3600,
                        priority=enums.MessagePriority.DEFAULT))
    assert st.id == "asg-1" and st.state in (enums.ProcessState.Pending,
                                             enums.ProcessState.Processed,
                                             enums.ProcessState.Sent)
    assert st.recipients[0].phone_number == "+15550101001"

    def delivered():
        return api.get_state("asg-1").state == enums.ProcessState.Delivered

    wait_for(delivered, 30, "asg-1 delivered")
    listed = api.get_messages(query=domain.MessagesQueryFilter(state="Delivered"),
                              pagination=domain.QueryPagination(limit=10, offset=0))
    assert "asg-1" in [m.id for m in listed]
    # cancel: a message scheduled far enough in the paced future stays Pending
    gw.api("PATCH", "/settings", {"messages": {"send_interval_min": 600,
                                               "send_interval_max": 600}})
    try:
        api.send(_text("+15550101002", "held by the pause"))  # starts the 600 s pause
        held = api.send(_text("+15550101003", "to cancel", id="asg-cancel"))
        assert held.state == enums.ProcessState.Pending
        api.cancel_message("asg-cancel")
        assert api.get_state("asg-cancel").state == enums.ProcessState.Cancelled
    finally:
        gw.api("PUT", "/settings", {})


def test_webhooks_create_list_delete_and_payloads_parse(api, gw):
    rx = Receiver(None)
    rx.start()
    try:
        hook = api.create_webhook(domain.Webhook(id="asg-hook", url=rx.url,
                                                 event=enums.WebhookEvent.SMS_RECEIVED))
        assert hook.id == "asg-hook" and hook.event == enums.WebhookEvent.SMS_RECEIVED
        assert [h.id for h in api.get_webhooks()] == ["asg-hook"]
        gw.sim.send_sms("+15550102000", "to the client's payload class")
        wait_for(lambda: rx.got, 30, "the sms:received delivery")
        env = rx.got[0]
        assert env["event"] == "sms:received" and env["webhookId"] == "asg-hook"
        assert env["payload"]["message"] == "to the client's payload class"
        api.delete_webhook("asg-hook")
        assert api.get_webhooks() == []
    finally:
        rx.stop()


def test_settings_logs_devices_and_health(api):
    s = api.get_settings()
    assert s.messages is not None and s.messages.limit_period == enums.LimitPeriod.DISABLED
    assert s.webhooks is not None and s.webhooks.signing_key is None  # write-only
    api.patch_settings(domain.DeviceSettings(
        messages=domain.SettingsMessages(limit_period=enums.LimitPeriod.PER_DAY, limit_value=900),
        webhooks=domain.SettingsWebhooks(retry_count=7, signing_key="a-key-of-mine")))
    s = api.get_settings()
    assert s.messages.limit_value == 900 and s.webhooks.retry_count == 7
    assert s.webhooks.signing_key is None
    api.update_settings(domain.DeviceSettings())  # PUT: back to the provisioned values
    assert api.get_settings().webhooks.retry_count == 14
    logs = api.get_logs(from_="2000-01-01T00:00:00Z")
    assert logs and all(e.priority in enums.LogEntryPriority for e in logs)
    assert any("smsgate API on" in e.message for e in logs)
    devices = api.list_devices()
    assert len(devices) == 1 and len(devices[0].id) == 21 and devices[0].name == "smsgate"
    assert devices[0].last_seen is not None
    health = api.health_check()
    assert health.status in (enums.HealthStatus.PASS, enums.HealthStatus.WARN)
    assert "modem" in health.checks
    assert api.liveness_check().status == health.status


def _refused(fn, *words):
    # the client raises its APIError, or requests' HTTPError for DELETE
    with pytest.raises((errors.APIError, requests.HTTPError)) as e:
        fn()
    exc = e.value
    if isinstance(exc, requests.HTTPError):
        status, text = exc.response.status_code, exc.response.text
    else:
        status, text = exc.status_code, str(exc.response)
    assert status is not None and 400 <= status < 500, exc
    assert all(w.lower() in text.lower() for w in words), text


def test_what_the_gateway_lacks_is_named(api):
    mms = domain.Message(phone_numbers=["+15550103000"],
                         mms_message=domain.MmsMessage(text="picture"))
    _refused(lambda: api.send(mms), "mms")
    enc = _text("+15550103000", "secret", is_encrypted=True)
    _refused(lambda: api.send(enc), "encrypted")
    _refused(lambda: api.generate_token(domain.TokenRequest(scopes=["messages:send"])), "jwt")
    _refused(lambda: api.revoke_token("jti"), "jwt")
    _refused(lambda: api.remove_device("x"), "device")
    _refused(lambda: api.download_attachment("m", 0), "mms")
    _refused(lambda: api.patch_settings(domain.DeviceSettings(
        encryption=domain.SettingsEncryption(passphrase="x"))), "encryption")
