# Host-only stand-in for the ESP32 port's `network` module on the virtual board (never
# deployed). The radio world is two files on the flash folder:
#   /.wifi.json        written by the host (smsgate.board_control): the access point the board
#                      can join: {"up": bool, "ssid": str, "password": str, "rssi": dBm,
#                      "ntp": bool (an NTP server answers), "join_ms": int, "hang": bool,
#                      "scan_ms": int, "neighbours": [...] (other networks scan() hears)}
#   /.wifi_board.json  written here whenever it changes: what the board does (STA status, IP,
#                      hostname, setup AP) for `GET /wifi`.
# Status codes and signatures are the ESP32 port's (micropython-esp32-stubs 1.29).
# Behaviour GUESSED where the documentation is silent:
# - connect() reaches STAT_GOT_IP `join_ms` (default 1500) after it is called or after the AP
#   (re)appears; until then STAT_CONNECTING.
# - No AP with that SSID -> STAT_NO_AP_FOUND; wrong password -> STAT_WRONG_PASSWORD, both
#   once the join time has passed (users report a wrong password staying at STAT_CONNECTING
#   on some IDF versions: firmware must time out rather than trust the code).
# - AP lost while connected -> STAT_BEACON_TIMEOUT; the driver then rejoins by itself when it
#   comes back unless config(reconnects=0) (default: unlimited).
# - connect() on an inactive interface raises OSError("Wifi Not Started"... errno guessed).
# - status("rssi") when not connected raises OSError; the AP interface's password must be
#   >= 8 characters for WPA2 (else OSError, as esp_wifi_set_config refuses it).
# - Sockets are the host's: taking the AP away does not cut open connections (the API stays
#   reachable on 127.0.0.1); the firmware sees the loss only through this module.
# - Test hook: "hang": true in /.wifi.json makes the next status()/isconnected() call never
#   return (a wedged driver): the event loop freezes and the watchdog must reset the board.
# - scan() lists the access point (when up; WPA2, or open without a password, channel 6) and
#   /.wifi.json's "neighbours" [{"ssid", "rssi", "channel", "security": authmode number,
#   "hidden": bool}] in that order (unsorted, duplicates kept: several access points may
#   carry one SSID); it blocks the interpreter "scan_ms" (default 300; a real scan of every
#   channel takes 2-3 s) and answers [] at once while a join is in progress, as the port does
#   when esp_wifi_scan_start refuses (ports/esp32/network_wlan.c).
import json
import os
import time

STA_IF = 0
AP_IF = 1
STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
STAT_BEACON_TIMEOUT = 200
STAT_NO_AP_FOUND = 201
STAT_WRONG_PASSWORD = 202
STAT_ASSOC_FAIL = 203
STAT_CONNECT_FAIL = 203
STAT_HANDSHAKE_TIMEOUT = 204
AUTH_OPEN = 0
AUTH_WEP = 1
AUTH_WPA_PSK = 2
AUTH_WPA2_PSK = 3
AUTH_WPA_WPA2_PSK = 4

_AP_FILE = "/.wifi.json"
_BOARD_FILE = "/.wifi_board.json"
_STA_IP = ("192.168.50.23", "255.255.255.0", "192.168.50.1", "192.168.50.1")
_AP_IP = ("192.168.4.1", "255.255.255.0", "192.168.4.1", "0.0.0.0")
_NO_IP = ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")
_hostname = "espressif"
_ifaces = {}


def _world():
    try:
        with open(_AP_FILE) as f:
            w = json.load(f)
    except (OSError, ValueError):
        return {}
    if w.get("hang"):
        w["hang"] = False
        with open(_AP_FILE, "w") as f:
            json.dump(w, f)
        while True:  # the wedged driver: only the watchdog gets the board out of here
            time.sleep_ms(1000)
    return w


def _publish():
    d = {"hostname": _hostname}
    for i, name in ((STA_IF, "sta"), (AP_IF, "ap")):
        nic = _ifaces.get(i)
        if nic is not None:
            d[name] = nic._describe()
    tmp = _BOARD_FILE + ".tmp"
    try:
        with open(tmp, "w") as f:
            json.dump(d, f)
        os.rename(tmp, _BOARD_FILE)
    except OSError:
        pass


def hostname(name=None):
    """network.hostname(): get, or set (used from the next activation/join)."""
    global _hostname
    if name is None:
        return _hostname
    if not isinstance(name, str) or not 0 < len(name) <= 32:
        raise ValueError("hostname too long")
    _hostname = name
    _publish()


def country(code=None):
    return "01" if code is None else None


def ipconfig(*args, **kw):
    if "dns" in args:
        return _STA_IP[3]
    return None


class WLAN:
    """network.WLAN(STA_IF | AP_IF): one object per interface, as on the port."""

    IF_STA = STA_IF
    IF_AP = AP_IF
    SEC_OPEN = 0
    SEC_WEP = 1
    SEC_WPA = 2
    SEC_WPA2 = 3
    SEC_WPA_WPA2 = 4
    SEC_WPA3 = 6
    PM_NONE = 0
    PM_PERFORMANCE = 1
    PM_POWERSAVE = 2

    def __new__(cls, interface_id=STA_IF):
        nic = _ifaces.get(interface_id)
        if nic is None:
            nic = object.__new__(cls)
            nic._init(interface_id)
            _ifaces[interface_id] = nic
        return nic

    def __init__(self, interface_id=STA_IF):
        pass

    def _init(self, i):
        self._if = i
        self._active = False
        self._ssid = None  # STA: network asked for by connect(); AP: its own SSID
        self._key = ""
        self._security = 3 if i == AP_IF else 0
        self._reconnects = -1
        self._since = None  # ticks_ms when the current join attempt started
        self._got_ip = False
        self._last = STAT_IDLE
        self._seen_ap = False
        self._pm = 1

    def _describe(self):
        if self._if == AP_IF:
            return {"active": self._active, "ssid": self._ssid, "password": self._key,
                    "security": self._security, "ip": _AP_IP[0] if self._active else None}
        return {"active": self._active, "status": self._last, "ssid": self._ssid,
                "connected": self._last == STAT_GOT_IP,
                "ip": _STA_IP[0] if self._last == STAT_GOT_IP else None}

    # -- common --------------------------------------------------------------------------
    def active(self, is_active=None):
        if is_active is None:
            return self._active
        self._active = bool(is_active)
        if not self._active:
            self._since = None
            self._got_ip = False
            self._last = STAT_IDLE
        elif self._if == AP_IF and self._ssid is None:
            self._ssid = "ESP_%s" % _mac_tail()
        _publish()

    def config(self, *args, **kw):
        if args:
            return self._get(args[0])
        for k, v in kw.items():
            if k in ("hostname", "dhcp_hostname"):
                hostname(v)
            elif k == "reconnects":
                self._reconnects = int(v)
            elif k in ("ssid", "essid"):
                self._ssid = v
            elif k in ("key", "password"):
                if self._if == AP_IF and v and len(v) < 8:
                    raise OSError("AP password must be at least 8 characters")
                self._key = v
            elif k in ("security", "authmode"):
                self._security = int(v)
            elif k == "pm":
                self._pm = int(v)
            elif k not in ("channel", "hidden", "max_clients", "txpower", "mac", "protocol"):
                raise ValueError("unknown config param")
        _publish()

    def _get(self, name):
        if name == "mac":
            return b"\x24\x0a\xc4\x00\x00" + bytes((0x01 + self._if,))
        if name in ("ssid", "essid"):
            return self._ssid or ""
        if name in ("hostname", "dhcp_hostname"):
            return _hostname
        if name == "reconnects":
            return self._reconnects
        if name in ("security", "authmode"):
            return self._security
        if name == "key":
            return self._key
        if name == "channel":
            return 6
        if name == "pm":
            return self._pm
        if name == "txpower":
            return 20
        raise ValueError("unknown config param")

    def ifconfig(self, conf=None):
        if conf is not None:
            return None
        if self._if == AP_IF:
            return _AP_IP if self._active else _NO_IP
        return _STA_IP if self.isconnected() else _NO_IP

    def ipconfig(self, *args, **kw):
        ip = self.ifconfig()
        if "addr4" in args:
            return ip[0], ip[1]
        if "gw4" in args:
            return ip[2]
        if "dhcp4" in args:
            return True
        return None

    # -- station -------------------------------------------------------------------------
    def connect(self, ssid=None, key=None, *, bssid=None):
        if self._if != STA_IF:
            raise OSError("AP cannot connect")
        if not self._active:
            raise OSError("Wifi Not Started")
        if ssid is not None:
            self._ssid = ssid
            self._key = key or ""
        self._since = time.ticks_ms()
        self._got_ip = False
        self._last = STAT_CONNECTING
        _publish()

    def disconnect(self):
        self._since = None
        self._got_ip = False
        self._last = STAT_IDLE
        _publish()

    def status(self, param=None):
        w = _world()
        if self._if == AP_IF:
            if param == "stations":
                return []
            return STAT_IDLE
        st = self._compute(w)
        if st != self._last:
            self._last = st
            _publish()
        if param == "rssi":
            if st != STAT_GOT_IP:
                raise OSError("STA is not connected")
            return int(w.get("rssi", -60))
        if param is not None:
            raise ValueError("unknown status param")
        return st

    def _compute(self, w):
        if not self._active or self._since is None:
            return STAT_IDLE
        ap = bool(w.get("up")) and w.get("ssid") == self._ssid
        if self._got_ip:
            if ap and w.get("password", "") == self._key:
                return STAT_GOT_IP
            self._got_ip = False  # beacon lost (or the AP changed its password)
            self._seen_ap = False
            if self._reconnects == 0:
                self._since = None
            else:
                self._since = time.ticks_ms()
            return STAT_BEACON_TIMEOUT
        if ap and not self._seen_ap:
            self._seen_ap = True
            self._since = time.ticks_ms()  # the driver's next retry finds it
        elif not ap:
            self._seen_ap = False
        if time.ticks_diff(time.ticks_ms(), self._since) < int(w.get("join_ms", 1500)):
            return STAT_CONNECTING if self._last not in (200, 201, 202) else self._last
        if not ap:
            return STAT_NO_AP_FOUND
        if w.get("password", "") != self._key:
            return STAT_WRONG_PASSWORD
        self._got_ip = True
        return STAT_GOT_IP

    def isconnected(self):
        if self._if == AP_IF:
            return False  # no station ever joins the setup AP on the virtual board
        return self.status() == STAT_GOT_IP

    def scan(self):
        # The port's network_wlan_scan: needs the station interface active (whichever WLAN
        # object asks); esp_wifi_scan_start(blocking) holds the interpreter for the scan; when
        # it fails (a join in progress) the port answers [] without an error.
        sta = _ifaces.get(STA_IF)
        if sta is None or not sta._active:
            raise OSError("STA must be active")
        if sta.status() == STAT_CONNECTING:
            return []
        w = _world()
        time.sleep_ms(int(w.get("scan_ms", 300)))
        found = []
        if w.get("up"):
            found.append((w.get("ssid", "").encode(), _bssid(0), 6, int(w.get("rssi", -60)),
                          AUTH_WPA2_PSK if w.get("password") else AUTH_OPEN, False))
        for i, n in enumerate(w.get("neighbours") or ()):
            # a hidden network answers with an empty SSID (the port scans with show_hidden)
            ssid = b"" if n.get("hidden") else n.get("ssid", "").encode()
            found.append((ssid, _bssid(i + 1), int(n.get("channel", 1)),
                          int(n.get("rssi", -70)), int(n.get("security", AUTH_WPA2_PSK)),
                          False))  # the port's "hidden" is always False
        return found


def _bssid(i):
    return b"\x02\x00\x00\x00" + bytes((i >> 8 & 255, i & 255))


def _mac_tail():
    return "000001"
