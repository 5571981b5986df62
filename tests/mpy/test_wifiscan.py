# smsgw.net.wifiscan.parse: WLAN.scan()'s tuples (ssid, bssid, channel, rssi, authmode,
# hidden) as GET /wifi/networks answers them. The scan itself runs end to end on the virtual
# ESP32 board (tests/e2e/test_esp32_wifi.py).
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
