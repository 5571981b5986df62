"""Switching from SMS Gateway for Android: its PyPI client (`android-sms-gateway` 4.x, unchanged)
drives the virtual board (the real firmware on the MicroPython unix port against the simulated
modem), and its webhook payload classes parse what our webhooks deliver.

The client has no field for `scheduleAt` (the app's API has): a dataclass subclass of its
Message adds one, serialised by the client's own asdict()."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import re
import time

import pytest
from android_sms_gateway import client, domain, errors, webhooks
from android_sms_gateway.enums import ProcessState, WebhookEvent
from evharness import Receiver, wait_for

from smsgate.virtual import VirtualGateway

KEY = "asg-signing-key"
EVENTS = ("sms:received", "sms:data-received", "sms:sent", "sms:delivered", "sms:failed",
          "sms:cancelled")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ScheduledMessage(domain.Message):
    schedule_at: datetime.datetime | None = None


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    """A virtual gateway without a configured device.id, webhooks for every sms:* event to a
    signature-checking receiver, and the client logged in."""
    tmp = tmp_path_factory.mktemp("asg")
    rx = Receiver(KEY)
    rx.start()
    cfg = {"webhooks": {"signing_key": KEY, "retry_base_s": 0.2, "retry_max_s": 1}}
    gw = VirtualGateway(config=cfg, data_dir=tmp / "flash", heap="512K",
                        sim_args=("--report-delay", "0.2"))
    try:
        gw.start()
        gw.wait_ready()
        with client.APIClient(gw.user, gw.password, base_url=gw.url) as api:
            for ev in EVENTS:
                api.create_webhook(domain.Webhook(id=ev.replace(":", "-"), url=rx.url,
                                                  event=WebhookEvent(ev)))
            yield gw, rx, api
    finally:
        gw.stop()
        rx.stop()


def _events(rx, event, **match):
    with rx.lock:
        return [g for g in rx.got if g["event"] == event
                and all(g["payload"].get(k) == v for k, v in match.items())]


def _state(api, mid, *states, timeout=30.0):
    return wait_for(lambda: (lambda s: s if s.state.value in states else None)(
        api.get_state(mid)), timeout, "%s in %s" % (mid, states))


def test_send_and_state_with_a_stable_derived_device_id(rig):
    gw, rx, api = rig
    msg = domain.Message(phone_numbers=["+1 (555) 123-0001"], id="asg-text",
                         text_message=domain.TextMessage(text="hello from the client"),
                         priority=domain.MessagePriority.DEFAULT, ttl=3600)
    st = api.send(msg)
    assert st.id == "asg-text" and st.state in (ProcessState.Pending, ProcessState.Processed)
    assert re.fullmatch(r"[0-9a-f]{21}", st.device_id), st.device_id  # from the IMEI
    assert st.recipients[0].phone_number == "+15551230001"  # lenient: separators dropped
    done = _state(api, "asg-text", "Delivered")
    assert done.device_id == st.device_id and done.recipients[0].state == ProcessState.Delivered
    sent = wait_for(lambda: _events(rx, "sms:sent", messageId="asg-text"), 20, "sms:sent")
    p = sent[0]["payload"]
    assert p["recipient"] == p["phoneNumber"] == "+15551230001" and p["sender"] is None
    assert p["partsCount"] == 1 and p["simNumber"] == 1
    assert sent[0]["deviceId"] == st.device_id
    wait_for(lambda: _events(rx, "sms:delivered", messageId="asg-text"), 20, "sms:delivered")
    # the same id again: the same body is the same message, another body is a 409
    assert api.send(msg).id == "asg-text"
    with pytest.raises(errors.APIError) as exc:
        api.send(dataclasses.replace(msg, text_message=domain.TextMessage(text="other")))
    assert exc.value.status_code == 409
    # the list with the client's filters (created-at range, this device)
    now = datetime.datetime.now(datetime.timezone.utc)
    q = domain.MessagesQueryFilter(from_=now - datetime.timedelta(hours=1), to=now,
                                   device_id=st.device_id)
    assert "asg-text" in [m.id for m in api.get_messages(query=q)]
    old = domain.MessagesQueryFilter(to=now - datetime.timedelta(days=1))
    assert "asg-text" not in [m.id for m in api.get_messages(query=old)]
    with pytest.raises(errors.BadRequestError):
        api.get_messages(query=domain.MessagesQueryFilter(device_id="someone-else"))


def test_inbox_and_received_payloads_parse_in_the_client(rig):
    gw, rx, api = rig
    gw.sim.send_sms("+15557654321", "inbound for the client")
    got = wait_for(lambda: _events(rx, "sms:received", message="inbound for the client"), 30,
                   "sms:received")
    p = webhooks.SmsReceivedPayload.from_dict(got[0]["payload"])
    assert p.sender == p.phone_number == "+15557654321" and p.sim_number == 1
    assert p.received_at.tzinfo is not None
    items = api.list_inbox_messages(inbox_filter=domain.InboxQueryFilter(message_type="SMS"))
    mine = [m for m in items if m.content_preview == "inbound for the client"]
    assert len(mine) == 1 and mine[0].sender == "+15557654321"
    assert mine[0].message_type == "SMS" and mine[0].id == p.message_id
    later = domain.InboxQueryFilter(from_=mine[0].created_at + datetime.timedelta(hours=1))
    assert api.list_inbox_messages(inbox_filter=later) == []
    page = api.list_inbox_messages(pagination=domain.QueryPagination(limit=1, offset=0))
    assert len(page) == 1


def test_data_sms_out_and_in(rig):
    gw, rx, api = rig
    raw = bytes(range(200))  # two parts
    msg = domain.Message(phone_numbers=["+15551230002"], id="asg-data",
                         data_message=domain.DataMessage.with_bytes(raw, 2948))
    assert api.send(msg).id == "asg-data"
    _state(api, "asg-data", "Sent", "Delivered")
    out = [s for s in gw.sim.sent() if s.get("to") == "+15551230002"]
    assert len(out) == 1 and out[0]["port"] == 2948 and out[0]["parts"] == 2, out
    assert bytes.fromhex(out[0]["data"]).endswith(raw[-50:])  # the UDHs ride inside the data
    # inbound: a data SMS to a port -> sms:data-received and a DATA_SMS in the inbox
    blob = base64.b64encode(b"\x01\x02binary\xff").decode()
    gw.sim.send_data("+15550009999", blob, 16000)
    got = wait_for(lambda: _events(rx, "sms:data-received", sender="+15550009999"), 30,
                   "sms:data-received")
    p = webhooks.SmsDataReceivedPayload.from_dict(got[0]["payload"])
    assert base64.b64decode(p.data) == b"\x01\x02binary\xff"
    data_items = api.list_inbox_messages(
        inbox_filter=domain.InboxQueryFilter(message_type="DATA_SMS"))
    assert [m.content_preview for m in data_items] == [b"\x01\x02binary\xff".hex()]


def test_schedule_priority_cancel_and_failure_reason(rig):
    gw, rx, api = rig
    # far enough ahead that a reboot on a busy machine usually ends before it (checked below)
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=12)
    msg = ScheduledMessage(phone_numbers=["+15551230003"], id="asg-sched",
                           text_message=domain.TextMessage(text="scheduled"),
                           priority=domain.MessagePriority.MINIMUM, schedule_at=soon)
    assert api.send(msg).state == ProcessState.Pending
    far = ScheduledMessage(phone_numbers=["+15551230004"], id="asg-cancel",
                           text_message=domain.TextMessage(text="never"), priority=50,
                           schedule_at=soon + datetime.timedelta(hours=1))
    api.send(far)
    time.sleep(1)  # the sender had a chance: nothing scheduled may have gone yet
    assert api.get_state("asg-sched").state == ProcessState.Pending
    gw.restart_board()  # scheduled messages are durable
    gw.wait_ready()
    if datetime.datetime.now(datetime.timezone.utc) < soon - datetime.timedelta(seconds=1):
        # (a reboot slower than the schedule: the check before it proved the hold already)
        assert api.get_state("asg-sched").state == ProcessState.Pending
        assert not [s for s in gw.sim.sent() if s.get("to") == "+15551230003"]
    _state(api, "asg-sched", "Sent", "Delivered", timeout=40)
    # the board keeps whole seconds (its clock and scheduleAt): not sent before soon's second
    assert datetime.datetime.now(datetime.timezone.utc) >= soon.replace(microsecond=0)
    api.cancel_message("asg-cancel")
    assert api.get_state("asg-cancel").state == ProcessState.Cancelled
    c = wait_for(lambda: _events(rx, "sms:cancelled", messageId="asg-cancel"), 20,
                 "sms:cancelled")
    assert c[0]["payload"]["recipient"] == "+15551230004" and c[0]["payload"]["cancelledAt"]
    # a failed delivery report says which TP-ST and what it means
    gw.sim.network(report_status=70)
    try:
        api.send(domain.Message(phone_numbers=["+15551230005"], id="asg-fail",
                                text_message=domain.TextMessage(text="will expire")))
        _state(api, "asg-fail", "Failed")
    finally:
        gw.sim.network(report_status=0)
    f = wait_for(lambda: _events(rx, "sms:failed", messageId="asg-fail"), 20, "sms:failed")
    assert f[0]["payload"]["reason"].startswith("delivery failed: TP-ST 70 ("), f


def test_priority_orders_what_waits(rig):
    gw, rx, api = rig
    # hold the sender with the app's send interval, queue three, then let them go
    gw.api("PATCH", "/settings", {"messages": {"send_interval_min": 600,
                                               "send_interval_max": 600}})
    try:
        api.send(domain.Message(phone_numbers=["+15551230010"], id="asg-p0",
                                text_message=domain.TextMessage(text="starts the pause")))
        _state(api, "asg-p0", "Sent", "Delivered")
        for mid, prio in (("asg-low", -5), ("asg-high", 50), ("asg-mid", 10)):
            api.send(domain.Message(phone_numbers=["+15551230011"], id=mid, priority=prio,
                                    text_message=domain.TextMessage(text=mid)))
        time.sleep(1)
        assert api.get_state("asg-low").state == ProcessState.Pending
    finally:
        gw.api("PUT", "/settings", {})
    _state(api, "asg-low", "Sent", "Delivered")
    order = [s["text"] for s in gw.sim.sent() if s.get("to") == "+15551230011"]
    assert order == ["asg-high", "asg-mid", "asg-low"], order
