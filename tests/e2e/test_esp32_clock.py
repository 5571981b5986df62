"""Clock, watchdog and reset cause on the ESP32 boards, proven on the virtual board's
ESP32 personality: time.time() counts from 2000 by an RTC that starts at 2000-01-01 after
power-on, machine.WDT resets a board that stops feeding it, machine.reset_cause() tells why.

The access point answers no NTP (but in the last test): the clock can only come from the
simulated modem."""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from smsgate.board_control import BoardControl
from smsgate.sim.harness import SimProcess
from smsgate.virtual import VirtualGateway

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "alert"))
from alertkit import R1, SECRET, Codes, wait_text  # noqa: E402
from helpers import wait_until  # noqa: E402

HEAP = os.environ.get("SMSGATE_ALERT_HEAP", "320K")  # the alert unit's (tests/alert/alertkit.py)
BOARDS = ("tcall-sim800l", "t-sim7600")
CONFIG = {
    "commands": {"allow": {R1: SECRET}, "max_attempts": 30},
    "device": {"watchdog_s": 5},
}


def _check(gw, name: str) -> dict:
    return gw.checks().get(name) or {}


def _freeze(bc: BoardControl) -> None:
    req = urllib.request.Request(bc.url + "/freeze", data=b"{}", method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 200


@pytest.mark.parametrize("board", BOARDS)
def test_clock_from_modem_totp_and_watchdog_reset(board, tmp_path):
    with VirtualGateway(board=board, config=CONFIG, heap=HEAP, wifi_ap={"ntp": False},
                        data_dir=tmp_path / "flash") as gw:
        reset = _check(gw, "reset")
        assert reset["observedValue"] == {"cause": "power-on", "unexpected": 0}, reset
        clock = wait_until(lambda: _check(gw, "clock").get("observedValue") == "modem"
                           and _check(gw, "clock"), 60, "clock set from the modem")
        assert clock["status"] == "pass" and clock["counters"]["modem"] >= 1
        gw.sim.send_sms(R1, "%s STATUS" % Codes().next())
        reply = wait_text(gw.sim, R1, " up ", timeout=20)[-1]
        assert "sig " in reply

        with BoardControl(gw.data_dir) as bc:
            boots = gw.board.boots
            _freeze(bc)  # the Wi-Fi driver wedges at its next poll (net/wifi.py): loop frozen
            wait_until(lambda: gw.board.wdt_resets == 1, 60, "watchdog reset")
        assert gw.board.boots == boots + 1
        gw.wait_ready(60)
        reset = _check(gw, "reset")
        assert reset["observedValue"] == {"cause": "watchdog", "unexpected": 1}, reset
        assert reset["status"] == "warn"
        counted = json.loads((gw.data_dir / "data" / "resets.json").read_text())
        assert counted["unexpected"] == 1 and counted["last"] == "watchdog"
        # the RTC kept its time through the reset: the clock is usable at once
        assert _check(gw, "clock")["status"] == "pass"

        gw.restart_board(kill=True)  # a power cycle: the count stays in flash
        reset = _check(gw, "reset")
        assert reset["observedValue"] == {"cause": "power-on", "unexpected": 1}, reset
        assert reset["status"] == "pass"


@pytest.mark.parametrize("board", BOARDS)
def test_without_modem_time_the_clock_stays_unset_and_totp_is_refused(board, tmp_path):
    model = "sim800" if board == "tcall-sim800l" else "sim7600"
    with SimProcess(model, tmp_path / "sim", time_scale=0.05) as sim:
        sim.wait_ready(30)
        sim.network(sends_time=False)  # the operator sends no NITZ
        with VirtualGateway(board=board, config=CONFIG, heap=HEAP, attach=sim.link,
                            wifi_ap={"ntp": False}) as gw:
            wait_until(lambda: (_check(gw, "clock").get("counters") or {}).get("radio_cycles"),
                       30, "network time switched on, radio cycled")
            time.sleep(2)  # a registration came and went: still no time
            clock = _check(gw, "clock")
            assert clock["observedValue"] == "none" and clock["status"] == "warn", clock
            sim.send_sms(R1, "%s STATUS" % Codes().next())
            reply = wait_text(sim, R1, "clock is not set", timeout=20)[-1]
            assert reply.startswith("Refused")
            assert not [m for m in sim.sent() if " up " in m["text"]]  # nothing was run


def test_ntp_sets_the_clock_when_the_network_sends_no_time(tmp_path):
    with SimProcess("sim800", tmp_path / "sim", time_scale=0.05) as sim:
        sim.wait_ready(30)
        sim.network(sends_time=False)
        with VirtualGateway(board="tcall-sim800l", config=CONFIG, heap=HEAP, attach=sim.link,
                            wifi_ap={"ntp": True}) as gw:
            clock = wait_until(lambda: _check(gw, "clock").get("observedValue") == "ntp"
                               and _check(gw, "clock"), 60, "clock set by NTP over Wi-Fi")
            assert clock["status"] == "pass" and clock["counters"]["ntp"] >= 1
            assert clock["counters"]["modem"] == 0
            sim.send_sms(R1, "%s STATUS" % Codes().next())
            assert wait_text(sim, R1, " up ", timeout=20)


def test_while_unset_a_received_sms_is_dated_by_its_network_timestamp(tmp_path):
    # the simulated SMSC stamps each SMS-DELIVER with the current UTC time (TP-SCTS, zone +00)
    with SimProcess("sim800", tmp_path / "sim", time_scale=0.05) as sim:
        sim.wait_ready(30)
        sim.network(sends_time=False)
        with VirtualGateway(board="tcall-sim800l", heap=HEAP, attach=sim.link,
                            wifi_ap={"ntp": False}) as gw:
            wait_until(lambda: _check(gw, "clock").get("observedValue") == "none", 30,
                       "clock check says none")
            sim.send_sms("+15550007777", "dated by the network")
            before = time.time()
            items = wait_until(lambda: gw.api("GET", "/inbox")[1], 30, "the SMS in /inbox")
            at = items[0]["createdAt"]  # e.g. 2026-12-02T14:58:03.000Z
            stamp = time.mktime(time.strptime(at[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
            assert abs(stamp - before) < 300, (at, before)  # not 2000-01-01
            assert _check(gw, "clock")["observedValue"] == "none"  # nothing set the clock
