"""The virtual board's ESP32 personality: the port's modules as the firmware would see them
on a LilyGO board (time from 2000 by an RTC, Wi-Fi status codes, NTP, the watchdog)."""

from __future__ import annotations

import json

from smsgate.board_control import PinFiles
from smsgate.vboard import VirtualBoard

MAIN_PY = """\
import machine, network, ntptime, time

def wait(sta):
    t0 = time.ticks_ms()
    while sta.status() == network.STAT_CONNECTING and time.ticks_diff(time.ticks_ms(), t0) < 20000:
        time.sleep_ms(20)
    return sta.status()

cause = machine.reset_cause()
print("cause", cause, "year", time.gmtime()[0])
if cause != machine.WDT_RESET:
    print("epoch", time.time() < 600, time.gmtime(0)[0], time.mktime((2000, 1, 2, 0, 0, 0, 0, 0)))
    sta = network.WLAN(network.STA_IF)
    print("same object", sta is network.WLAN(network.STA_IF))
    try:
        sta.connect("lab", "secret123")
    except OSError:
        print("inactive refused")
    try:
        sta.scan()
    except OSError as e:
        print("scan refused:", e)
    sta.active(True)
    network.hostname("gw-1234")
    try:
        ntptime.settime()
    except OSError:
        print("ntp down")
    sta.connect("lab", "wrong-pass")
    print("wrong", wait(sta))
    sta.connect("nope", "secret123")
    print("noap", wait(sta))
    sta.connect("lab", "secret123")
    print("scan while joining", sta.scan())
    print("join", wait(sta), sta.isconnected(), sta.ifconfig()[0], sta.status("rssi"))
    t0 = time.ticks_ms()
    found = sta.scan()
    print("scan took", time.ticks_diff(time.ticks_ms(), t0) >= 200)
    print("scan", [(t[0], t[2], t[3], t[4], t[5]) for t in found], len(set(t[1] for t in found)))
    ntptime.settime()
    print("ntp year", time.gmtime()[0] >= 2026)
    machine.RTC().datetime((2031, 5, 6, 0, 7, 8, 9, 0))
    print("rtc", time.gmtime()[:6])
    ap = network.WLAN(network.AP_IF)
    try:
        ap.config(ssid="smsgate-1234", key="short")
    except OSError:
        print("short key refused")
    ap.config(ssid="smsgate-1234", key="long-enough-key", security=3)
    ap.active(True)
    print("ap", ap.ifconfig()[0])
    wdt = machine.WDT(timeout=1000)
    print("wdt started")
    while True:
        time.sleep_ms(100)  # never fed
"""


def test_esp32_personality(tmp_path):
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "main.py").write_text(MAIN_PY)
    PinFiles(flash).set_wifi(up=True, ssid="lab", password="secret123", rssi=-61, ntp=True,
                             join_ms=300, scan_ms=200, neighbours=[
                                 {"ssid": "cafe", "rssi": -70, "channel": 11, "security": 0},
                                 {"rssi": -40, "hidden": True}])
    board = VirtualBoard(flash, heap="128K", log=tmp_path / "con.log", personality="esp32")
    with board:
        assert board.wait_output("cause 3", timeout=60), board.output().decode()
        assert board.wait_output("\r\n", since=board.output().find(b"cause 3"), timeout=10)
    out = board.output().decode()
    assert "cause 1 year 2000" in out
    assert "epoch True 2000 86400" in out
    assert "same object True" in out
    assert "inactive refused" in out
    assert "ntp down" in out  # not joined yet: the query times out
    assert "wrong 202" in out and "noap 201" in out
    assert "join 1010 True 192.168." in out and " -61" in out
    assert "scan refused: STA must be active" in out and "scan while joining []" in out
    assert "scan took True" in out  # the interpreter waited scan_ms
    assert ("scan [(b'lab', 6, -61, 3, False), (b'cafe', 11, -70, 0, False), "
            "(b'', 1, -40, 3, False)] 3") in out
    assert "ntp year True" in out
    assert "rtc (2031, 5, 6, 7, 8, 9)" in out
    assert "short key refused" in out and "ap 192.168.4.1" in out
    assert "cause 3 year 2031" in out  # the RTC kept its time through the watchdog reset
    assert board.wdt_resets == 1
    seen = json.loads((flash / ".wifi_board.json").read_text())
    assert seen["hostname"] == "gw-1234"
    assert seen["ap"]["ssid"] == "smsgate-1234" and seen["ap"]["active"]


def test_power_on_restarts_the_rtc(tmp_path):
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "main.py").write_text(
        "import machine, time\n"
        "print('year', time.gmtime()[0])\n"
        "machine.RTC().datetime((2030, 1, 1, 0, 0, 0, 0, 0))\n"
        "if machine.reset_cause() == machine.PWRON_RESET:\n"
        "    machine.reset()\n"
        "print('done', machine.reset_cause())\n"
    )
    board = VirtualBoard(flash, heap="64K", log=tmp_path / "con.log", personality="esp32")
    with board:
        assert board.wait_output("done 2", timeout=30), board.output()
    out = board.output().decode()
    assert out.count("year 2000") == 1 and "year 2030" in out  # machine.reset() keeps the RTC
    with VirtualBoard(flash, heap="64K", personality="esp32") as again:  # a power cycle
        assert again.wait_output("done 2", timeout=30)
        assert again.output().decode().count("year 2000") == 1


def _req(url, body=None):
    import urllib.error
    import urllib.request

    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_board_control_wifi(tmp_path):
    from smsgate.board_control import BoardControl

    with BoardControl(tmp_path) as bc:
        assert _req(bc.url + "/wifi") == (200, {"ap": {}, "board": {}})
        status, body = _req(bc.url + "/wifi", {"up": True, "ssid": "lab", "password": "pw123456"})
        assert status == 200 and body["ap"] == {"up": True, "ssid": "lab", "password": "pw123456"}
        assert _req(bc.url + "/wifi", {"up": False})[1]["ap"]["up"] is False
        (tmp_path / ".wifi_board.json").write_text(json.dumps({"sta": {"status": 1010}}))
        assert _req(bc.url + "/wifi")[1]["board"] == {"sta": {"status": 1010}}
        for bad in ({}, {"up": "no"}, {"rssi": True}, {"other": 1}, [1], {"neighbours": "x"},
                    {"neighbours": [{"ssid": "x" * 33}]}, {"neighbours": [{"rssi": "loud"}]},
                    {"neighbours": [{"ssid": "x"}] * 65}, {"neighbours": [{"ssid": ""}]}):
            assert _req(bc.url + "/wifi", bad)[0] == 400, bad
        near = [{"ssid": "cafe", "rssi": -70, "channel": 11, "security": 0}, {"hidden": True}]
        assert _req(bc.url + "/wifi", {"neighbours": near, "scan_ms": 50})[1]["ap"][
            "neighbours"] == near
        assert _req(bc.url + "/freeze", {})[1]["ap"]["hang"] is True
