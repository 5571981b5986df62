"""GET /wifi/networks on the ESP32 boards: the networks the board hears, as the first setup's
page asks for them. The stand-in radio hears the lab access point and the neighbours set
through board control (`POST /wifi {"neighbours": [...]}`, as with `smsgate virtual
--board-control`); its scan blocks the interpreter `scan_ms`, as the port's does."""

from __future__ import annotations

import json
import time
import urllib.request

from smsgate.board_control import BoardControl
from smsgate.virtual import LAB_SSID

from .conftest import poll, send, sent_with
from .test_esp32_wifi import esp32, wait_wifi

# authmode numbers: 0 open, 3 WPA2, 4 WPA/WPA2, 7 WPA2/WPA3 (the ESP-IDF's wifi_auth_mode_t)
NEIGHBOURS = [
    {"ssid": "mesh-home", "rssi": -81, "channel": 1, "security": 3},
    {"ssid": "cafe", "rssi": -49, "channel": 11, "security": 0},
    {"ssid": "mesh-home", "rssi": -52, "channel": 6, "security": 3},  # its stronger node
    {"rssi": -30, "channel": 3, "hidden": True},  # no name: typed by the user, never listed
    {"ssid": "office", "rssi": -66, "channel": 6, "security": 7},
] + [{"ssid": "far-%02d" % i, "rssi": -95 + i % 5, "channel": 13, "security": 4}
     for i in range(20)]


def control(bc: BoardControl, body: dict) -> dict:
    req = urllib.request.Request(bc.url + "/wifi", data=json.dumps(body).encode(),
                                 method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def test_networks_sorted_deduped_capped_and_503_while_joining():
    # The access point takes 60 s to answer a join: the station stays joining (the supervisor
    # gives an attempt 20 s) until the test makes it quick.
    with esp32("tcall-sim800l", wifi_ap={"join_ms": 60000},
               sim_args=("--report-delay", "0.2")) as gw, BoardControl(gw.data_dir) as bc:
        control(bc, {"neighbours": NEIGHBOURS, "scan_ms": 300})
        poll(lambda: (gw.wifi()["board"].get("sta") or {}).get("status") == 1001, 30,
             what="station joining")
        status, body, headers = gw.api("GET", "/wifi/networks")
        assert status == 503, (status, body)
        assert "joining %s" % LAB_SSID in body["message"] and int(headers["Retry-After"]) > 0
        assert gw.api("GET", "/wifi/networks", auth=False)[0] == 401
        # the SMS side runs on
        msg = send(gw, "sent while the radio joins")
        poll(lambda: sent_with(gw.sim, "sent while the radio joins"), 30, what="SMS sent")
        gw.wait_state(msg["id"], ("Sent", "Delivered"))
        control(bc, {"join_ms": 300})
        wait_wifi(gw, "pass", timeout=60)

        t0 = time.monotonic()
        status, nets, headers = gw.api("GET", "/wifi/networks")
        took = time.monotonic() - t0
        assert status == 200 and headers["Content-Type"].startswith("application/json")
        assert took >= 0.3  # the scan held the board (scan_ms)
        assert nets[:4] == [
            {"ssid": "cafe", "rssi": -49, "channel": 11, "security": "open"},
            {"ssid": "mesh-home", "rssi": -52, "channel": 6, "security": "wpa2"},
            {"ssid": LAB_SSID, "rssi": -58, "channel": 6, "security": "wpa2"},
            {"ssid": "office", "rssi": -66, "channel": 6, "security": "wpa2/wpa3"},
        ]
        far = nets[4:]
        assert len(nets) == 20 and {n["security"] for n in far} == {"wpa/wpa2"}
        assert [n["rssi"] for n in far] == sorted((n["rssi"] for n in far), reverse=True)
        assert far[0]["rssi"] == -91 and far[-1]["rssi"] == -94  # the 4 weakest left out

        # A reload within 30 s gets the same answer without a scan
        control(bc, {"neighbours": [], "scan_ms": 5000})
        t0 = time.monotonic()
        assert gw.api("GET", "/wifi/networks")[1] == nets
        assert time.monotonic() - t0 < 5
        assert gw.health()["status"] in ("pass", "warn")
        assert gw.board.boots == 1


def test_nothing_heard_is_an_empty_list():
    # a board with no network configured, its setup access point open, nothing in range
    with esp32("t-sim7600", config={"wifi": {"ssid": "", "password": ""}},
               wifi_ap={"up": False}) as gw:
        poll(lambda: (gw.wifi()["board"].get("ap") or {}).get("active"), 30,
             what="setup access point")
        status, nets, _ = gw.api("GET", "/wifi/networks")
        assert (status, nets) == (200, [])
