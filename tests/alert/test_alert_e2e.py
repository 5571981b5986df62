"""The alert unit on the virtual board: the real firmware, a simulated modem, wires played by
the board control server. Escalation, ACK, cooldown, power cut, SMS commands, relays."""

from __future__ import annotations

import time

import pytest

from alertkit import (
    ACK_RE, HEAP, R1, R2, R3, SECRET, SECRET2, STRANGER, Codes, alert_health, get_pin, sent_to,
    set_pin,
    wait_text, wait_until,
)
from smsgate.board_control import BoardControl
from smsgate.virtual import VirtualGateway
from smsgw.alert import totp

WINDOW_S = 3

CONFIG = {
    "device": {"name": "pump-3"},
    "rules": [
        {"name": "door", "pin": 14, "pull": "up", "active": 0, "debounce_ms": 50,
         "message": "{device}: {name} opened at {time}", "normal_message": "{name} closed",
         "recipients": [R1, R2, R3], "ack_window_s": WINDOW_S, "cooldown_s": 600},
        {"name": "gate", "pin": 16, "pull": "down", "active": 1, "debounce_ms": 20,
         "recipients": [R1, R2], "ack_window_s": 4, "cooldown_s": 0},
    ],
    "commands": {"allow": {R1: SECRET, R2: SECRET2}, "max_attempts": 30, "reboot_delay_s": 5},
    "relays": {"1": 25},
    "heartbeat": {"boot": False, "interval_s": 0},
}


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    with VirtualGateway(config=CONFIG, heap=HEAP) as gw:
        with BoardControl(gw.data_dir) as bc:
            gw.bc = bc
            yield gw


def test_escalation_ack_confirmation_and_cooldown(gw):
    sim = gw.sim
    set_pin(gw.bc.url, 14, 0)  # the door opens (active low, pulled up)
    first = wait_text(gw.sim, R1, "door opened at", timeout=10)[0]
    assert first.startswith("pump-3: door opened at 20")
    code = ACK_RE.search(first).group(1)
    t_first = time.monotonic()
    # no ACK within the window: the second recipient gets the same alert
    second = wait_text(sim, R2, "door opened at", timeout=WINDOW_S + 8)[0]
    assert second == first
    assert time.monotonic() - t_first >= WINDOW_S - 1.5
    sim.send_sms(R2, "ACK %s" % code)
    wait_text(sim, R2, "acknowledged by %s" % R2, timeout=10)
    wait_text(sim, R1, "acknowledged by %s" % R2, timeout=10)
    # escalation stopped: R3 never hears of it
    time.sleep(WINDOW_S + 1.5)
    assert sent_to(sim, R3) == []
    assert alert_health(gw)["rules"]["door"] == "acked"
    # back to normal: the normal message goes to the two alerted recipients
    set_pin(gw.bc.url, 14, 1)
    wait_text(sim, R1, "door closed")
    wait_text(sim, R2, "door closed")
    # opens again inside the cooldown: held, no new alert
    set_pin(gw.bc.url, 14, 0)
    wait_until(lambda: alert_health(gw)["rules"]["door"] == "held", 5, "door held")
    time.sleep(1)
    assert len(sent_to(sim, R1, "door opened")) == 1
    set_pin(gw.bc.url, 14, 1)


def test_commands_status_relay_and_rejections(gw):
    sim = gw.sim
    codes = Codes()
    status_code = codes.next()
    sim.send_sms(R1, "%s STATUS" % status_code)
    reply = wait_text(sim, R1, "pump-3 up ", timeout=10)[-1]
    assert "in door=" in reply and "gate=" in reply and " q " in reply
    before = len(sim.sent())
    h0 = alert_health(gw)
    wrong = "%06d" % ((int(status_code) + 1) % 1000000)
    sim.send_sms(R1, "%s STATUS" % wrong)  # wrong code
    stranger_code = totp.totp(codes.key, time.time())  # a code that would be valid for R1
    sim.send_sms(STRANGER, "%s STATUS" % stranger_code)  # from a number not on the allow list
    time.sleep(1.1)  # a new SC timestamp: the inbox drops a byte-identical PDU as a duplicate
    sim.send_sms(R1, "%s STATUS" % status_code)  # replay
    wait_until(lambda: alert_health(gw)["cmd_replayed"] > h0["cmd_replayed"], 15, "replay seen")
    h = alert_health(gw)
    assert h["cmd_bad_code"] == h0["cmd_bad_code"] + 1
    assert h["cmd_unknown_number"] == h0["cmd_unknown_number"] + 1
    assert h["cmd_accepted"] == h0["cmd_accepted"]
    time.sleep(1)
    assert len(sim.sent()) == before  # nothing was answered
    assert get_pin(gw.bc.url, 25) == 0  # relays start off
    sim.send_sms(R1, "%s RELAY 1 ON" % codes.next())
    wait_text(sim, R1, "RELAY 1 ON")
    assert get_pin(gw.bc.url, 25) == 1
    sim.send_sms(R1, "%s relay 1 off" % codes.next())
    wait_text(sim, R1, "RELAY 1 OFF")
    assert get_pin(gw.bc.url, 25) == 0


def test_power_cut_mid_escalation_continues_after_boot(gw):
    sim = gw.sim
    set_pin(gw.bc.url, 16, 1)  # the gate input goes active (active high)
    first = wait_text(sim, R1, "gate alert at", timeout=10)[0]
    code = ACK_RE.search(first).group(1)
    gw.kill_board()  # power cut in the middle of the escalation
    time.sleep(4.5)  # longer than the ack window
    gw.restart_board()
    second = wait_text(sim, R2, "gate alert at", timeout=20)[0]
    assert second == first  # the same alert, same code, continued after boot
    assert len(sent_to(sim, R1, "gate alert at")) == 1  # not restarted from the top
    sim.send_sms(R1, "ACK %s" % code)  # the first recipient may still acknowledge
    wait_text(sim, R1, "gate acknowledged by %s" % R1, timeout=10)
    set_pin(gw.bc.url, 16, 0)


def test_commands_balance_send_reboot(gw):
    sim = gw.sim
    codes = Codes(SECRET2)  # a second operator, with a secret of its own
    sim.send_sms(R2, "%s BALANCE" % codes.next())
    assert wait_text(sim, R2, "BALANCE:")[-1] == "BALANCE: Balance: 12.34 EUR"  # USSD answer
    sim.send_sms(R2, "%s SEND +15550000077 Gate code is 4711" % codes.next())
    assert wait_text(sim, "+15550000077", "Gate code")[-1] == "Gate code is 4711"
    wait_text(sim, R2, "SEND to +15550000077: ")
    boots = gw.board.boots
    sim.send_sms(R2, "%s REBOOT" % codes.next())
    wait_text(sim, R2, "REBOOT: restarting")  # the reply leaves before the reset
    wait_until(lambda: gw.board.boots > boots, 20, "board rebooted")
    gw.wait_ready(30)
    assert alert_health(gw)["cmd_accepted"] == 0  # a fresh boot: counters start again


def test_under_voltage_warning_alerts(gw):
    sim = gw.sim
    sim.fault("under_voltage")  # the modem prints UNDER-VOLTAGE WARNNING (SIMCom's spelling)
    text = wait_text(sim, R1, "under-voltage", timeout=10)[-1]
    assert text == "pump-3: modem supply under-voltage (UNDER-VOLTAGE WARNNING)"
    sim.fault("under_voltage")  # repeated warnings inside 10 minutes: one SMS only
    time.sleep(2)
    assert len(sent_to(sim, R1, "under-voltage")) == 1
    assert sent_to(sim, R2, "under-voltage") == []  # no heartbeat recipients: rules' first ones
