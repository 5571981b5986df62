# The Wi-Fi supervisor of the ESP32 boards. startup starts it when the board has Wi-Fi
# (boards/esp32.py `wifi = True`); the unix board keeps the host's network and never imports it.
# - Joins wifi.ssid in the background: the SMS side never waits for Wi-Fi.
# - The one layer that rejoins (the driver's own reconnects are switched off): after a loss or
#   a failed join it tries again with capped back-off (net/backoff.py: 1, 2, 4 ... s up to
#   wifi.backoff_max_s). A join still unfinished after _JOIN_MS counts as failed: a wrong
#   password may stay at STAT_CONNECTING on some IDF versions (docs/ESP32-PORT.md).
# - Names the board on the network before joining (DHCP carries it): net/ap.py `name`, from the
#   IMEI's last 4 digits ("smsgate-1234"; the MAC's when the modem gives none).
# - Opens the setup access point (that name, WPA2, net/ap.py `password`) when no network is
#   configured or none was joined for wifi.setup_after_s; joining closes it again. The station
#   keeps trying meanwhile; on an ESP32 both share one radio, so the access point follows the
#   channel the station scans and a phone on it may drop for a moment (the virtual board's
#   stand-in does not model this; a guess from the IDF's AP+STA documentation).
# - `ctx.online` (asyncio.Event) is set while joined: deliveries over the network wait on it.
# - /health check "wifi"; GET /wifi (the same counters) and the first-setup routes POST /wifi
#   and POST /password (net/setup.py does their work, imported only then) and GET
#   /wifi/networks (net/wifiscan.py, imported only then).
import asyncio
import time

import network
from micropython import const

from smsgw import log
from smsgw.net.backoff import Backoff

_POLL_MS = const(1000)
_JOIN_MS = const(20000)
_NAME_WAIT_MS = const(15000)  # for the modem's IMEI before the board is named after its MAC
_K = "sta"  # the one Backoff key
_WHY = {200: "beacon timeout", 201: "no access point found", 202: "wrong password",
        203: "association failed", 204: "handshake timeout"}


class Wifi:
    """Joins, rejoins and falls back to the setup access point; `counters` for /health."""

    def __init__(self, cfg, modem, online):
        self.cfg = cfg  # the whole config: wifi, device, api (the access point's password)
        self.modem = modem
        self.online = online
        self.sta = network.WLAN(network.STA_IF)
        self.ap = None  # the setup access point's WLAN while it is open
        self.name = ""  # set by run() before anything uses it
        self.backoff = Backoff(1, cfg["wifi"]["backoff_max_s"], 1)
        self.joining = None  # ticks_ms of the join attempt in progress
        self.down_since = time.ticks_ms()
        self.was_up = False
        # error: the status of the last loss or failed join (None once joined)
        self.counters = {"connected": False, "ssid": cfg["wifi"]["ssid"], "ip": None,
                         "rssi": None, "status": network.STAT_IDLE, "error": None,
                         "reconnects": 0, "failures": 0, "name": None, "ap": None}

    async def run(self):
        self.name = self.counters["name"] = await self._name()
        network.hostname(self.name)
        self.sta.active(True)
        self.sta.config(reconnects=0)
        while True:
            try:
                self.step()
            except OSError as e:  # the driver refused something: said, tried again next poll
                log.exc("wifi", e)
            await asyncio.sleep_ms(_POLL_MS)

    def step(self):
        """One look at the radio: notice a join or a loss, try again, open the access point."""
        c = self.counters
        st = c["status"] = self.sta.status()
        if st == network.STAT_GOT_IP:
            if not c["connected"]:
                self._joined()
            c["rssi"] = self.sta.status("rssi")
            return
        if c["connected"]:
            self._lost(st)
        ssid = self.cfg["wifi"]["ssid"]
        if ssid:
            self._try(st, ssid)
        after = self.cfg["wifi"]["setup_after_s"] * 1000
        if self.ap is None and (not ssid or
                                time.ticks_diff(time.ticks_ms(), self.down_since) >= after):
            self._open_ap()

    def _try(self, st, ssid):
        now = time.ticks_ms()
        if self.joining is not None:
            if st not in _WHY and time.ticks_diff(now, self.joining) < _JOIN_MS:
                return  # still joining
            self.joining = None
            c = self.counters
            c["error"] = st
            c["failures"] += 1
            self.backoff.failed(_K)
            log.warn("wifi: joining %s failed: %s", ssid, why(st))
            self.sta.disconnect()
        elif self.backoff.wait_s(_K) == 0:
            self.sta.connect(ssid, self.cfg["wifi"]["password"])
            self.joining = now

    def _joined(self):
        c = self.counters
        c["connected"] = True
        c["ip"] = self.sta.ifconfig()[0]
        c["error"] = None
        if self.was_up:
            c["reconnects"] += 1
        self.was_up = True
        self.joining = None
        self.backoff.ok(_K)
        log.info("wifi: joined %s as %s, address %s", c["ssid"], self.name, c["ip"])
        if self.ap is not None:
            self.ap.active(False)
            self.ap = c["ap"] = None
            log.info("wifi: setup access point closed")
        self.online.set()

    def _lost(self, st):
        c = self.counters
        c["connected"] = False
        c["ip"] = c["rssi"] = None
        c["error"] = st
        self.down_since = time.ticks_ms()
        self.joining = None
        self.online.clear()
        log.warn("wifi: lost %s: %s", c["ssid"], why(st))

    def _open_ap(self):
        from smsgw.net.ap import password

        ap = network.WLAN(network.AP_IF)
        ap.config(ssid=self.name, key=password(self.cfg), security=network.AUTH_WPA2_PSK)
        ap.active(True)
        self.ap = ap
        self.counters["ap"] = self.name
        log.info("wifi: setup access point %s open, http://%s:%d/", self.name,
                 ap.ifconfig()[0], self.cfg["api"]["port"])

    def configure(self, ssid, password):
        """Join this network from the next poll on (first setup): the access point stays open
        until it is joined."""
        w = self.cfg["wifi"]
        w["ssid"] = self.counters["ssid"] = ssid
        w["password"] = password
        if self.counters["connected"]:
            self._lost(network.STAT_IDLE)
        self.counters["error"] = None  # joining the new one: not a failure yet
        self.joining = None
        self.backoff.ok(_K)
        self.down_since = time.ticks_ms()
        if self.sta.active():  # (not yet during the first seconds after boot: run() does it)
            self.sta.disconnect()

    async def _name(self):
        from smsgw.net.ap import name

        t0 = time.ticks_ms()
        while time.ticks_diff(time.ticks_ms(), t0) < _NAME_WAIT_MS:
            imei = (getattr(self.modem, "status", None) or {}).get("imei")
            if imei:
                return name(self.cfg, imei[-4:])
            await asyncio.sleep_ms(200)
        mac = self.sta.config("mac")
        return name(self.cfg, "%02x%02x" % (mac[-2], mac[-1]))

    def health_check(self):
        c = self.counters
        if c["connected"]:
            d, st = "Wi-Fi joined %s as %s" % (c["ssid"], self.name), "pass"
        elif not c["ssid"]:
            d, st = "no network configured", "warn"
        elif c["error"] is None:
            d, st = "joining %s" % c["ssid"], "warn"
        else:
            d, st = "not joined to %s: %s (status %d)" % (c["ssid"], why(c["error"]),
                                                           c["error"]), "fail"
        if c["ap"]:
            d += "; setup access point %s open" % c["ap"]
        return {"description": d, "observedUnit": "state", "observedValue": c, "status": st}


def why(st):
    return _WHY.get(st) or "status %d" % st


def start(ctx):
    """Start the supervisor; adds the health check and the Wi-Fi routes. Returns it."""
    w = Wifi(ctx.cfg, ctx.modem, ctx.online)
    ctx.health_checks["wifi"] = w.health_check
    app = ctx.app

    @app.route("/wifi", methods=["GET"])
    async def _state(request):
        return w.counters

    # "scan" (here and in wifiscan): a name the port interns already (WLAN.scan), so the core
    # gains only the module's name
    @app.route("/wifi/networks", methods=["GET"])
    async def scan(request):
        from smsgw.net import wifiscan

        return wifiscan.scan(ctx, w)

    @app.route("/wifi", methods=["POST"])
    async def _join(request):
        from smsgw.net import setup

        return setup.wifi(ctx, w, request)

    @app.route("/password", methods=["POST"])
    async def _password(request):
        from smsgw.net import setup

        return setup.password(ctx, request)

    ctx.tasks.append(asyncio.create_task(w.run()))
    return w
