# Keeps the board's clock (smsgw.clock) from the network: the modem's network time (NITZ, read
# back with AT+CCLK?) and NTP while Wi-Fi is up. Started by app on boards with an RTC to set
# (the ESP32: it starts at 2000-01-01 after power-on); the unix port keeps the host's time.
#
# Modem (docs/SIMCOM-AT.md §8): SIM800 takes network time
# once AT+CLTS=1 is set (saved with AT&W) and announces it with *PSUTTZ at registration; SIM7600
# with AT+CTZU=1 (kept at once) and +CTZV (AT+CTZR=1). Network time comes with a registration:
# when the setting was off and the clock is unset, the radio is cycled once (CFUN=4, CFUN=1) so
# it comes now instead of at the modem's next boot. AT+CCLK? gives local time and the zone in
# quarters of an hour; before any network time it reads 04/01/01 (SIM800) or 80/01/06
# (SIM7600, the GPS epoch): such years are "no time yet".
# GUESSED (the manuals are vague, the simulator does it this way): a SIM800 given AT+CLTS=1
# takes network time at its next registration (the manual asks for a reboot after AT&W); a
# network may send no time at all (then only NTP helps).
# NTP (ntptime) blocks the loop for up to its timeout (1 s) per query: asked only while Wi-Fi is
# up (ctx.online, net/wifi.py; ntptime's own server), at most hourly once the clock is set.
import asyncio

from micropython import const

from smsgw import clock
from smsgw.tasks import TaskOwner

# profile name -> (read the setting, turn it on (kept by the modem), the URC saying network
# time arrived, what the modem forgets at each of its boots). Model data that only this module
# reads: kept here, not in modem/profiles (the core's profile stays small).
_NITZ = {
    "SIM800": (b"AT+CLTS?", (b"AT+CLTS=1", b"AT&W"), "*PSUTTZ:", ()),
    "SIM7600": (b"AT+CTZU?", (b"AT+CTZU=1",), "+CTZV:", (b"AT+CTZR=1",)),
}
_UNSET_POLL_S = const(10)  # while unset: the modem's clock (and NTP) asked this often
_SYNC_S = const(3600)  # once set: again this often (an RTC drifts)
_MIN_YEAR = const(2024)  # an AT+CCLK? year before this is the modem's "no time yet"


def parse_cclk(line):
    """`+CCLK: "yy/MM/dd,hh:mm:ss±zz"` -> UTC (y, mo, d, h, mi, s), or None when the modem
    has no time yet (04/01/01, 80/01/06 ...) or the line is not in that form."""
    q = line.find('"')
    v = line[q + 1:q + 21]
    try:
        y, mo, d = int(v[0:2]), int(v[3:5]), int(v[6:8])
        h, mi, s, z = int(v[9:11]), int(v[12:14]), int(v[15:17]), int(v[17:20])
    except (ValueError, IndexError):
        return None
    y += 1900 if y >= 70 else 2000  # 80/01/06: 1980, the GPS epoch
    if q < 0 or y < _MIN_YEAR or not (0 < mo < 13 and 0 < d < 32 and h < 24 and mi < 60):
        return None
    # local time minus the zone: go through seconds (days, months and years may roll back)
    t = clock.gmtime(_unix_of(y, mo, d, h, mi, s) - z * 900)
    return t[0], t[1], t[2], t[3], t[4], t[5]


def _unix_of(y, mo, d, h, mi, s):
    from time import mktime  # the port's epoch: back to Unix through clock.SHIFT

    return mktime((y, mo, d, h, mi, s, 0, 0)) + clock.SHIFT


class TimeSync(TaskOwner):
    """The clock keeper (its task: run()). `ready`: the modem is usable; `online`: Wi-Fi is up
    (net/wifi.py). `check()` is /health check `clock`."""

    def __init__(self, at, modem, ready, online, sync_s=_SYNC_S):
        self.at = at
        self.modem = modem
        self.ready = ready
        self.online = online
        self.sync_ms = sync_s * 1000
        self._nitz = _NITZ.get(getattr(modem.profile, "name", ""))
        if self._nitz is not None:
            at.on_urc(self._nitz[2], self._on_urc)
            modem.listeners.append(self._on_modem)
        self._enabled = False
        self._wake = asyncio.Event()
        self._last_modem = self._last_ntp = None  # ticks_ms of the last setting from each
        self.counters = {"modem": 0, "ntp": 0, "errors": 0, "radio_cycles": 0}
        self.last_error = None

    def check(self):
        """/health check `clock`: the source; warns while the clock is unset."""
        ok = clock.is_set()
        c = {"description": "wall clock source (modem, ntp, rtc; none: not set)",
             "observedUnit": "source", "observedValue": clock.source,
             "status": "pass" if ok else "warn", "counters": self.counters}
        if self.last_error and not ok:
            c["output"] = self.last_error
        return c

    def _on_modem(self, name, detail):
        if name == "reboot":  # what it forgets at a boot is sent again
            self._enabled = False

    def _on_urc(self, line, pdu):
        self._wake.set()  # network time arrived: read it (AT+CCLK?) from the task

    async def run(self):
        while True:
            self._wake.clear()  # a URC from now on wakes the next wait
            try:
                if self.ready.is_set():
                    await self._from_modem()
                self._from_ntp()
            except Exception as e:  # a modem or network hiccup: counted, tried again later
                self.counters["errors"] += 1
                self.last_error = "%s: %s" % (type(e).__name__, e)
            wait = _UNSET_POLL_S if not clock.is_set() else min(self.sync_ms // 1000, 600)
            try:
                await asyncio.wait_for(self._wake.wait(), wait)
            except asyncio.TimeoutError:
                pass

    def _due(self, last):
        return (not clock.is_set() or last is None
                or clock.ticks_diff(clock.ticks_ms(), last) >= self.sync_ms)

    async def _from_modem(self):
        nitz = self._nitz
        if nitz is None:
            return
        if not self._enabled:
            await self._enable(nitz)
        if not self._due(self._last_modem):
            return
        for line in await self.at.cmd(b"AT+CCLK?"):
            t = parse_cclk(line) if line.startswith("+CCLK:") else None
            if t is not None:
                clock.set_utc(t[0], t[1], t[2], t[3], t[4], t[5], "modem")
                self.counters["modem"] += 1
                self._last_modem = clock.ticks_ms()

    async def _enable(self, nitz):
        query, turn_on, _, each_boot = nitz
        for c in each_boot:
            await self.at.cmd(c)
        lines = await self.at.cmd(query)
        self._enabled = True
        if lines and lines[0].rstrip().endswith("1"):
            return
        for c in turn_on:
            await self.at.cmd(c)
        if not clock.is_set():  # network time comes with a registration: register again now
            self.counters["radio_cycles"] += 1
            await self.at.cmd(b"AT+CFUN=4", 10000)
            await self.at.cmd(b"AT+CFUN=1", 10000)

    def _from_ntp(self):
        if not self.online.is_set() or not self._due(self._last_ntp):
            return
        try:
            import ntptime
        except ImportError:  # not on this port
            return
        before = clock.unix()
        ntptime.settime()  # OSError on timeout: counted by run()
        clock.mark("ntp", before)
        self.counters["ntp"] += 1
        self._last_ntp = clock.ticks_ms()


def start(ctx):
    """Start the clock keeper (smsgw.keepers: boards with an RTC); registers /health check
    `clock`."""
    ts = TimeSync(ctx.at, ctx.modem, ctx.ready, ctx.online)
    ctx.tasks.append(ts.start())
    ctx.health_checks["clock"] = ts.check
    return ts
