"""First setup from a phone: an ESP32 board with no Wi-Fi network configured opens
its setup access point; a real browser (Debian chromium) at phone width logs in with the
provisioned credentials, sees the first-setup banner, chooses its own API password and the
Wi-Fi network from the ones the board hears (GET /wifi/networks), and the board joins it,
closes its access point and keeps the page working with the new password — no mpremote, no
cable."""

from __future__ import annotations

import time

import pytest
from helpers import wait_until
from smsgate.browser import PHONE, log_in
from smsgate.virtual import LAB_SSID, VirtualGateway

from .conftest import shot

NEW_PASSWORD = "chosen-on-a-phone"
# other networks in range (authmode 0: open, 4: WPA/WPA2); the lab's answers at -58 dBm
NEIGHBOURS = [{"ssid": "neighbour-5g", "rssi": -71, "channel": 36, "security": 4},
              {"ssid": "café libre", "rssi": -45, "channel": 1, "security": 0},
              {"rssi": -40, "channel": 11, "hidden": True}]


@pytest.fixture(scope="module")
def gw():
    # 320K: the ESP32 stand-ins compile on the virtual board (tests/e2e/test_esp32_wifi.py)
    g = VirtualGateway(board="tcall-sim800l", password="web-secret", heap="320K",
                       config={"wifi": {"ssid": "", "password": ""}},
                       wifi_ap={"neighbours": NEIGHBOURS})
    with g:
        yield g


def _wifi(gw):
    doc = gw.health() or {}
    return (doc.get("checks") or {}).get("wifi") or {}


def test_first_setup_from_a_phone(gw, page):
    wait_until(lambda: "setup access point" in _wifi(gw).get("description", ""), 30,
               "setup access point open")
    page.set_viewport_size(PHONE)
    log_in(page, gw.url, gw.user, gw.password)
    page.wait_for_selector("#setup:visible")
    page.wait_for_selector("#st dd:has-text('setup access point smsgate-')")
    # the networks in range are listed at once (first setup), strongest first
    page.wait_for_selector("#nets option[value='%s']" % LAB_SSID, state="attached")
    assert page.locator("#nets option").all_inner_texts() == [
        "choose one of 3", "café libre (-45 dBm, open)", "%s (-58 dBm, wpa2)" % LAB_SSID,
        "neighbour-5g (-71 dBm, wpa/wpa2)"]
    shot(page, "first-setup-phone")
    page.fill("#apipw", NEW_PASSWORD)
    page.click("#apipw-form button")
    page.wait_for_selector("#note:has-text('API password changed')")
    assert gw.api("GET", "/messages")[0] == 401  # the old one is refused at once
    gw.password = NEW_PASSWORD
    page.focus("#scan")  # from the keyboard: the board answers from its last scan
    page.keyboard.press("Enter")
    page.wait_for_selector("#scan:enabled")
    page.select_option("#nets", LAB_SSID)
    assert page.input_value("#ssid") == LAB_SSID
    page.fill("#wifi-pass", gw.wifi_ap["password"])
    page.click("#wifi-form button[type=submit]")
    page.wait_for_selector("#note:has-text('Joining %s')" % LAB_SSID)
    wait_until(lambda: _wifi(gw).get("status") == "pass", 30, "Wi-Fi joined")
    # the page keeps refreshing with the new password: the joined network shows, no banner
    page.wait_for_selector("#st dd:has-text('%s, -58 dBm')" % LAB_SSID)
    page.wait_for_selector("#setup", state="hidden")
    assert page.is_visible("#app") and not gw.wifi()["board"]["ap"]["active"]
    assert not page.errors


def test_scan_while_joining_is_tried_again(gw, page):
    # The board's side (503 + Retry-After while its station joins) is
    # tests/e2e/test_esp32_wifiscan.py; here the page's: it asks again after Retry-After, at
    # most 3 times, with Scan disabled meanwhile, and lists the networks once the board
    # answers. The first answers are given as a joining board gives them (its message, a 1 s
    # Retry-After for a short test); the rest come from the board. Runs after the first
    # setup: the API password is the new one.
    joining = {"message": "joining %s: the radio cannot scan meanwhile, scan again in a few "
                          "seconds" % LAB_SSID}
    asked = []  # host times of the page's GET /wifi/networks
    refused = 6  # the first 4 (the page gives up), then 2 more (the page's next scan)

    def board(route):
        asked.append(time.monotonic())
        if len(asked) <= refused:
            route.fulfill(status=503, json=joining, headers={"Retry-After": "1"})
        else:
            route.continue_()

    page.route("**/wifi/networks", board)
    log_in(page, gw.url, gw.user, gw.password)
    page.wait_for_selector("#st dt")
    page.click("#scan")
    page.wait_for_selector("#wifi-err:has-text('joining %s')" % LAB_SSID)
    # always joining: the first try and 3 more, then Scan is offered again, the error kept
    wait_until(lambda: page.is_enabled("#scan"), 30, "the page giving up")
    assert len(asked) == 4 and all(b - a >= 0.9 for a, b in zip(asked, asked[1:]))
    assert "joining" in page.inner_text("#wifi-err")
    assert page.locator("#nets option").count() == 1  # nothing listed
    # joined after two more refusals: the third try lists what the board hears
    page.click("#scan")
    page.wait_for_selector("#nets option[value='%s']" % LAB_SSID, state="attached")
    assert len(asked) == 7 and page.inner_text("#wifi-err") == ""
    assert page.is_enabled("#scan") and not page.errors
