"""SMS commands and ACKs attacked over the air, on the virtual board: junk "from" an
owner's number, an alphanumeric sender ID that spells it, ACK codes guessed by a recipient."""

from __future__ import annotations

import pytest

from alertkit import (
    ACK_RE, HEAP, R2, SECRET, Codes, alert_health, sent_to, set_pin, wait_text, wait_until,
)
from smsgate.board_control import BoardControl
from smsgate.virtual import VirtualGateway

OWNER = "+4915550001"  # 11 characters: an alphanumeric sender ID can spell it exactly

CONFIG = {
    "device": {"name": "tank-7"},
    "rules": [
        {"name": "tank", "pin": 14, "pull": "up", "active": 0, "debounce_ms": 20,
         "recipients": [OWNER, R2], "ack_window_s": 6, "cooldown_s": 0},
    ],
    "commands": {"allow": {OWNER: SECRET}, "max_attempts": 3, "window_s": 300},
    "heartbeat": {"boot": False, "interval_s": 0},
}


@pytest.fixture(scope="module")
def gw():
    with VirtualGateway(config=CONFIG, heap=HEAP) as gw:
        with BoardControl(gw.data_dir) as bc:
            gw.bc = bc
            yield gw


def _counter(gw, name: str) -> int:
    return alert_health(gw).get(name, 0)


def test_junk_from_the_owners_number_does_not_lock_the_owner_out(gw):
    sim = gw.sim
    h0 = alert_health(gw)
    for i in range(8):  # more than max_attempts: none of it is a command
        sim.send_sms(OWNER, "junk %d" % i)
    sim.send_sms(OWNER, "1234 STATUS")  # the old 4-digit shape: not a command either
    wait_until(lambda: _counter(gw, "cmd_malformed") >= h0["cmd_malformed"] + 9, 20,
               "the junk counted")
    assert _counter(gw, "cmd_rate_limited") == h0["cmd_rate_limited"]
    sim.send_sms(OWNER, "%s STATUS" % Codes().next())
    assert wait_text(sim, OWNER, "tank-7 up ", timeout=15)


def test_an_alphanumeric_sender_spelling_the_owner_is_not_the_owner(gw):
    sim = gw.sim
    before = len(sent_to(sim, OWNER))
    valid = Codes().next()
    ignored = _counter(gw, "alphanumeric_ignored")
    accepted = _counter(gw, "cmd_accepted")
    sim.send_sms(OWNER, "%s RELAY 1 ON" % valid, sender_type="alphanumeric")
    wait_until(lambda: _counter(gw, "alphanumeric_ignored") == ignored + 1, 15,
               "the alphanumeric sender ignored")
    status, inbox, _ = gw.api("GET", "/inbox?limit=100")
    spoofed = [m for m in inbox if m["contentPreview"] == "%s RELAY 1 ON" % valid]
    assert len(spoofed) == 1 and spoofed[0]["sender"] == OWNER
    assert spoofed[0]["senderType"] == "alphanumeric"  # GET /inbox says what it was
    assert len(sent_to(sim, OWNER)) == before  # no reply, nothing done
    assert _counter(gw, "cmd_accepted") == accepted


def test_ack_guessing_is_limited_per_alert_and_never_silences_it(gw):
    sim = gw.sim
    set_pin(gw.bc.url, 14, 0)  # the tank alarm: OWNER first, then R2
    first = wait_text(sim, OWNER, "tank alert at", timeout=10)[-1]
    code = ACK_RE.search(first).group(1)
    assert len(code) == 6
    # a spoofed ACK from an alphanumeric ID spelling OWNER: ignored outright
    sim.send_sms(OWNER, "ACK %s" % code, sender_type="alphanumeric")
    # five wrong guesses "from" OWNER lock this alert's ACK
    for i in range(5):
        sim.send_sms(OWNER, "ACK %06d" % ((int(code) + 1 + i) % 1000000))
    wait_until(lambda: _counter(gw, "ack_unmatched") >= 5, 20, "the wrong ACKs counted")
    sim.send_sms(OWNER, "ACK %s" % code)  # now even the right code is refused
    wait_until(lambda: _counter(gw, "ack_unmatched") >= 6, 20, "the locked ACK counted")
    assert not sent_to(sim, OWNER, "acknowledged")
    # the alert keeps escalating: R2 hears of it
    assert wait_text(sim, R2, "tank alert at", timeout=20)
    assert alert_health(gw)["rules"]["tank"] == "alert"
    set_pin(gw.bc.url, 14, 1)
