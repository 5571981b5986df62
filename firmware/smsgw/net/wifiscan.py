# The Wi-Fi networks the board hears, for the first setup's network choice (ESP32 boards; the
# route is net/wifi.py's, this module is imported on its first request and stays: it keeps
# the last answer):
#   GET /wifi/networks -> 200 [{"ssid", "rssi", "channel", "security"}]: strongest first, one
#       entry per SSID (its strongest access point), at most 20; hidden networks (no SSID)
#       and names that are not UTF-8 left out; [] when nothing is heard
#   503 + Retry-After while the station is joining (the radio cannot scan then), when the
#       driver refuses the scan (OSError) or the heap has no room for its list.
# network.WLAN.scan() holds the whole interpreter for the scan's 2-3 s on an ESP32 (a
# blocking esp_wifi_scan_start, docs/ESP32-PORT.md): the watchdog is fed right before it, and
# an answer younger than 30 s is given again, so a page reload does not freeze the board again.
import time

from micropython import const

_MAX = const(20)  # entries answered
_FRESH_MS = const(30000)  # an answer this young is given again without scanning
_RETRY_S = const(5)
# The ESP-IDF's wifi_auth_mode_t by number (WLAN.SEC_* in micropython-esp32-stubs 1.29), one
# constant string: names sliced from it are not interned.
_SECURITY = ("open wep wpa wpa2 wpa/wpa2 wpa2-enterprise wpa3 wpa2/wpa3 wapi owe "
             "wpa3-enterprise wpa3 wpa3 dpp wpa3-enterprise wpa2/wpa3-enterprise wpa-enterprise")

_last = None  # (ticks_ms, the answer's JSON bytes) of the last scan


def security(authmode):
    """The name of a scan tuple's authmode ("wpa2", ...; "unknown" past the table)."""
    names = _SECURITY.split()
    return names[authmode] if 0 <= authmode < len(names) else "unknown"


def parse(found):
    """WLAN.scan()'s tuples (ssid, bssid, channel, rssi, authmode, hidden) -> the answer's list:
    one dict per SSID (the strongest), strongest first, at most _MAX."""
    best = {}  # ssid -> its strongest tuple
    for t in found:
        if not t[0]:
            continue  # a hidden network: its name is what the user types
        try:
            ssid = t[0].decode()
        except UnicodeError:
            continue  # not a name the config (JSON text) can hold
        if ssid not in best or best[ssid][3] < t[3]:
            best[ssid] = t
    nets = []
    for ssid, t in best.items():
        n = {"ssid": ssid, "rssi": t[3], "channel": t[2], "security": security(t[4])}
        if t[5]:  # other ports flag a hidden network that answered a directed probe
            n["hidden"] = True
        nets.append(n)
    nets.sort(key=lambda n: (-n["rssi"], n["ssid"]))
    return nets[:_MAX]


def scan(ctx, sup):
    """The answer to GET /wifi/networks; `sup`: the Wi-Fi supervisor (net/wifi.py)."""
    import json

    import network

    from smsgw.net.api import error, oom, reply

    global _last
    now = time.ticks_ms()
    if _last is not None and time.ticks_diff(now, _last[0]) < _FRESH_MS:
        return reply(_last[1], 200, {"Content-Type": "application/json"})
    _last = None
    # A join in progress: the port's scan would fail and answer [] as if nothing was heard.
    if sup.sta.status() == network.STAT_CONNECTING:
        return error(503, "joining %s: the radio cannot scan meanwhile, scan again in a few "
                     "seconds" % sup.cfg["wifi"]["ssid"], {"Retry-After": str(_RETRY_S)})
    wdt = getattr(ctx, "wdt", None)
    if wdt is not None:
        wdt.feed()
    try:
        body = json.dumps(parse(sup.sta.scan())).encode()
    except OSError as e:
        return error(503, "the radio refused to scan: %s" % e, {"Retry-After": str(_RETRY_S)})
    except MemoryError:
        return oom(ctx)
    _last = (time.ticks_ms(), body)
    return reply(body, 200, {"Content-Type": "application/json"})
