# smsgw.net.wifiscan: parse() of WLAN.scan()'s tuples (ssid, bssid, channel, rssi, authmode,
# hidden) and scan(), the answer to GET /wifi/networks (watchdog, memory of 30 s, 503s). The
# scan runs end to end on the virtual ESP32 board (tests/e2e/test_esp32_wifiscan.py).
# heapsize: 128K
import json
import sys
import time

from smsgw.net import wifiscan
from smsgw.net.wifiscan import parse, security


def _ap(ssid, rssi, channel=1, authmode=3, hidden=False, bssid=b"\x02\x00\x00\x00\x00\x01"):
    return (ssid, bssid, channel, rssi, authmode, hidden)


def test_authmodes_by_the_idf_numbers():
    assert [security(i) for i in range(8)] == [
        "open", "wep", "wpa", "wpa2", "wpa/wpa2", "wpa2-enterprise", "wpa3", "wpa2/wpa3"]
    assert security(9) == "owe" and security(16) == "wpa-enterprise"
    assert security(17) == "unknown" and security(-1) == "unknown"
    got = parse([_ap(b"a", -50, authmode=0), _ap(b"b", -60, authmode=4),
                 _ap(b"c", -70, authmode=6), _ap(b"d", -80, authmode=99)])
    assert [n["security"] for n in got] == ["open", "wpa/wpa2", "wpa3", "unknown"]


def test_one_entry_per_ssid_the_strongest_first():
    got = parse([_ap(b"mesh", -80, 1), _ap(b"cafe", -40, 11, 0), _ap(b"mesh", -55, 6),
                 _ap(b"mesh", -67, 11), _ap(b"flat", -55, 3)])
    assert got == [
        {"ssid": "cafe", "rssi": -40, "channel": 11, "security": "open"},
        {"ssid": "flat", "rssi": -55, "channel": 3, "security": "wpa2"},  # ties: by name
        {"ssid": "mesh", "rssi": -55, "channel": 6, "security": "wpa2"},
    ]


def test_hidden_and_unreadable_names_left_out():
    got = parse([_ap(b"", -30), _ap(b"\xff\xfe", -35), _ap("Café ☕".encode(), -60),
                 _ap(b"probe-answered", -70, hidden=True)])
    assert [n["ssid"] for n in got] == ["Café ☕", "probe-answered"]
    assert "hidden" not in got[0] and got[1]["hidden"] is True


def test_at_most_twenty_and_nothing_heard():
    many = [_ap(("net%02d" % i).encode(), -90 + i) for i in range(40)]
    got = parse(many)
    assert len(got) == 20
    assert got[0]["ssid"] == "net39" and got[-1]["ssid"] == "net20"
    assert parse([]) == []


# -- scan(ctx, sup): the answer to GET /wifi/networks, over stand-ins of the port's network
# module and of microdot's Response (neither is on this path).


class _Network:
    STAT_IDLE = 1000
    STAT_CONNECTING = 1001


sys.modules["network"] = _Network


class _Wdt:
    feeds = 0

    def feed(self):
        self.feeds += 1


class _Sta:
    def __init__(self, found=(), status=1000, fails=None):
        self.found, self.st, self.fails = list(found), status, fails
        self.scans = []  # the watchdog's feeds when each scan started

    def status(self):
        return self.st

    def scan(self):
        self.scans.append(_Ctx.wdt.feeds)
        if self.fails:
            raise self.fails
        return self.found


class _App:
    counters = {"oom": 0}


class _Ctx:
    wdt = _Wdt()
    app = _App()


class _Sup:
    def __init__(self, sta):
        self.sta = sta
        self.cfg = {"wifi": {"ssid": "home"}}


def _fresh():
    wifiscan._last = None


def test_scan_feeds_the_watchdog_then_answers_from_memory_for_30_s():
    _fresh()
    sta = _Sta([_ap(b"home", -60, 6), _ap(b"cafe", -50, 11, 0)])
    fed = _Ctx.wdt.feeds
    r = wifiscan.scan(_Ctx, _Sup(sta))
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    assert [n["ssid"] for n in json.loads(r.body)] == ["cafe", "home"]
    assert sta.scans == [fed + 1]  # fed right before the (blocking) scan
    sta.found = []
    again = wifiscan.scan(_Ctx, _Sup(sta))
    assert again.body == r.body and len(sta.scans) == 1
    wifiscan._last = (time.ticks_add(time.ticks_ms(), -31000), r.body)  # 31 s later
    assert json.loads(wifiscan.scan(_Ctx, _Sup(sta)).body) == [] and len(sta.scans) == 2


def test_no_scan_while_joining_503_with_retry_after():
    _fresh()
    sta = _Sta([_ap(b"home", -60)], status=1001)
    r = wifiscan.scan(_Ctx, _Sup(sta))
    assert r.status_code == 503 and int(r.headers["Retry-After"]) > 0
    assert "joining home" in json.loads(r.body)["message"] and sta.scans == []


def test_a_refused_scan_or_no_heap_is_503_and_nothing_kept():
    _fresh()
    r = wifiscan.scan(_Ctx, _Sup(_Sta(fails=OSError("STA must be active"))))
    assert r.status_code == 503 and "STA must be active" in json.loads(r.body)["message"]
    assert "Retry-After" in r.headers and wifiscan._last is None
    n = _Ctx.app.counters["oom"]
    r = wifiscan.scan(_Ctx, _Sup(_Sta(fails=MemoryError())))
    assert r.status_code == 503 and "out of memory" in json.loads(r.body)["message"]
    assert wifiscan._last is None
    assert _Ctx.app.counters["oom"] == n + 1  # counted for the heap's watch (smsgw.app)
