"""Wi-Fi on the ESP32 boards and the first setup over the setup access point: the real board
modules on the virtual board's ESP32 personality, the radio driven through the access point the
stand-in `network` module joins (VirtualGateway.set_wifi = board control's POST /wifi).

Heap 320K: the ESP32 stand-ins (network, machine, time) are compiled from source on the board
(~25 KB of heap that a real port keeps in flash); at 256K the first setup's config check had
less than a few KB left (64-bit unix port).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from events.evharness import Receiver
from smsgate.virtual import LAB_SSID, VirtualGateway
from smsgw.net.ap import password as ap_password

from .conftest import poll, send, sent_with

BOARDS = ("tcall-sim800l", "t-sim7600")
HEAP = "320K"
PASSWORD = "e2e-secret"


def esp32(board: str, **kw) -> VirtualGateway:
    kw.setdefault("heap", HEAP)
    return VirtualGateway(board=board, password=PASSWORD, **kw)


def wifi_check(gw: VirtualGateway) -> dict:
    return gw.checks().get("wifi") or {}


def wait_wifi(gw: VirtualGateway, status: str, timeout: float = 30.0) -> dict:
    def check():
        c = wifi_check(gw)
        return c if c.get("status") == status else None

    return poll(check, timeout, what="health wifi %s" % status)


def setup_ap_open(gw: VirtualGateway, timeout: float = 30.0) -> dict:
    """The board's setup access point once it is up (as the stand-in radio shows it)."""
    return poll(lambda: (gw.wifi()["board"].get("ap") or {}).get("active")
                and gw.wifi()["board"]["ap"], timeout, what="setup access point")


def config_on_flash(gw: VirtualGateway) -> dict:
    return json.loads((gw.data_dir / "config.json").read_text())


@pytest.mark.parametrize("board", BOARDS)
def test_join_lose_rejoin_while_sms_flow(board):
    with esp32(board, sim_args=("--report-delay", "0.2")) as gw:
        check = wait_wifi(gw, "pass")
        imei = gw.api("GET", "/wifi")[1]["name"].rsplit("-", 1)[1]
        seen = gw.wifi()["board"]
        assert seen["sta"]["connected"] and seen["sta"]["ssid"] == LAB_SSID
        assert seen["hostname"] == "smsgate-" + imei and len(imei) == 4
        assert check["observedValue"]["rssi"] == -58 and not seen.get("ap", {}).get("active")
        msg = send(gw, "posted before the Wi-Fi went")
        gw.set_wifi(up=False)
        down = wait_wifi(gw, "fail", timeout=10)
        assert "beacon timeout" in down["description"] and not down["observedValue"]["connected"]
        poll(lambda: sent_with(gw.sim, "posted before the Wi-Fi went"), 30, what="SMS sent")
        gw.wait_state(msg["id"], ("Sent", "Delivered"))
        gw.set_wifi(up=True)
        back = wait_wifi(gw, "pass", timeout=60)
        assert back["observedValue"]["reconnects"] == 1
        assert gw.board.boots == 1  # no reboot on the way


@pytest.mark.parametrize("board", BOARDS)
def test_events_wait_for_the_network(board):
    # 384K: the webhooks feature too. The receiver is on the host, which the virtual board
    # reaches whatever its radio says: only the firmware's own waiting keeps the event back.
    rx = Receiver(None)
    rx.start()
    try:
        with esp32(board, heap="384K", config={"webhooks": {}}) as gw:
            wait_wifi(gw, "pass")
            status, _, _ = gw.api("POST", "/webhooks", {"id": "rx", "url": rx.url,
                                                       "event": "sms:received"})
            assert status == 201
            def hooks():
                return gw.health()["checks"]["webhooks"]

            # deliveries also wait for the clock (X-Timestamp): set from the modem first
            poll(lambda: hooks()["status"] == "pass", 90, what="webhooks ready (clock set)")
            gw.set_wifi(up=False)
            wait_wifi(gw, "fail", timeout=10)
            gw.sim.send_sms("+15550002222", "while the Wi-Fi is away")
            poll(lambda: hooks()["observedValue"] == 1, 30, what="event queued")
            assert rx.got == []
            gw.set_wifi(up=True)
            got = poll(lambda: rx.got, 60, what="event delivered after the Wi-Fi came back")
            assert got[0]["payload"]["message"] == "while the Wi-Fi is away"
            assert hooks()["observedValue"] == 0
    finally:
        rx.stop()


@pytest.mark.parametrize("board", BOARDS)
def test_wrong_password_then_setup_ap_then_first_setup(board):
    extra = {"wifi": {"password": "not-the-password", "setup_after_s": 3}}
    with esp32(board, config=extra) as gw:
        check = wait_wifi(gw, "fail")
        assert "wrong password (status 202)" in check["description"]
        assert check["observedValue"]["error"] == 202
        ap = setup_ap_open(gw)
        name = gw.api("GET", "/wifi")[1]["name"]
        assert ap["ssid"] == name and ap["security"] == 3  # WPA2-PSK
        assert ap["password"] == ap_password({"api": {"password": PASSWORD}})
        poll(lambda: "setup access point %s open" % name in wifi_check(gw)["description"],
             what="health names the access point")
        # first setup, as the page does it on the access point
        status, body, _ = gw.api("POST", "/wifi", {"ssid": LAB_SSID, "password": "short"})
        assert status == 400 and "wifi.password" in body["message"]
        status, body, _ = gw.api("POST", "/wifi", {"ssid": LAB_SSID,
                                                   "password": gw.wifi_ap["password"]})
        assert status == 202 and body["ssid"] == LAB_SSID
        wait_wifi(gw, "pass")
        poll(lambda: not gw.wifi()["board"]["ap"]["active"], what="setup access point closed")
        assert config_on_flash(gw)["wifi"]["password"] == gw.wifi_ap["password"]
        gw.restart_board()  # kept across a power cut: joins at once, no access point
        wait_wifi(gw, "pass")
        assert not gw.wifi()["board"].get("ap", {}).get("active")


@pytest.mark.parametrize("board", BOARDS)
def test_unconfigured_board_opens_setup_ap_and_is_set_up_from_a_phone(board):
    with esp32(board, config={"wifi": {"ssid": "", "password": ""}}) as gw:
        ap = setup_ap_open(gw, timeout=20)
        check = wifi_check(gw)
        assert check["status"] == "warn" and "no network configured" in check["description"]
        assert ap["password"] == ap_password({"api": {"password": PASSWORD}})
        # a new API password first: in force at once, the access point keeps its password
        assert gw.api("POST", "/password", {"password": "short"})[0] == 400
        status, _, _ = gw.api("POST", "/password", {"password": "phone-chosen-1"})
        assert status == 200
        assert gw.api("GET", "/messages")[0] == 401
        gw.password = "phone-chosen-1"
        assert gw.api("GET", "/messages")[0] == 200
        flash = config_on_flash(gw)
        assert flash["api"]["password"] == "phone-chosen-1"
        assert flash["wifi"]["ap_password"] == ap["password"]
        status, _, _ = gw.api("POST", "/wifi", {"ssid": LAB_SSID,
                                                "password": gw.wifi_ap["password"]})
        assert status == 202
        wait_wifi(gw, "pass")
        assert not gw.wifi()["board"]["ap"]["active"]


def test_verify_prints_the_setup_access_point(tmp_path):
    # what a user reads on the console to join the access point from a phone
    link = str(tmp_path / "ttyBOARD")
    with esp32("tcall-sim800l", config={"wifi": {"ssid": ""}}, repl_link=link) as gw:
        ap = setup_ap_open(gw, timeout=20)
        out = subprocess.run([sys.executable, "-m", "smsgate", "verify", "--port", link],
                             capture_output=True, text=True, timeout=120,
                             stdin=subprocess.DEVNULL, check=False)
        assert "wifi     setup access point smsgate-XXXX (XXXX: the modem's IMEI, last 4 " \
               "digits), WPA2 password %s " % ap["password"] in out.stdout, out.stdout + out.stderr
        assert ap["ssid"].startswith("smsgate-") and len(ap["ssid"]) == 12
