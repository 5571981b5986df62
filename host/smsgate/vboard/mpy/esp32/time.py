# Host-only stand-in for `time` on the virtual board's ESP32 personality (never deployed).
# It re-exports the unix port's built-in `time` and makes the calendar functions behave as on
# the ESP32 port, where they read the RTC and count from 2000-01-01 (MICROPY_EPOCH_IS_2000):
# time.time() is 0 at 2000-01-01 00:00:00 and the RTC starts there after power-on, so firmware
# that forgets the epoch or never sets the clock shows it here as it would on a board.
# Ticks and sleeps are the built-ins (monotonic, unaffected by the RTC).
#
# The RTC: esp32_ms = host_ms + offset. The offset lives in /.rtc on the flash folder so it
# survives machine.reset(), a watchdog reset and soft resets (the ESP32's RTC keeps counting
# through them: GUESSED from ESP-IDF keeping system time in RTC memory); the host deletes the
# file at power-on, so a power cycle starts again at 2000-01-01.
import sys

_path = sys.path[:]
_self = sys.modules.pop("time", None)
sys.path[:] = []  # find the built-in module, not this file
import time as _builtin  # noqa: E402

sys.path[:] = _path
if _self is not None:
    sys.modules["time"] = _self
del _path, _self

for _name in dir(_builtin):
    if not _name.startswith("__"):
        globals()[_name] = getattr(_builtin, _name)
del _name

_RTC_FILE = "/.rtc"
_EPOCH_2000 = 946684800  # Unix seconds at 2000-01-01 00:00:00
_offset_ms = None


def _host_ms():
    return _builtin.time_ns() // 1000000


def _load():
    global _offset_ms
    try:
        with open(_RTC_FILE) as f:
            _offset_ms = int(f.read())
    except (OSError, ValueError):  # power-on: the RTC starts at 2000-01-01 00:00:00
        _set_ms(0)
    return _offset_ms


def _set_ms(esp_ms):
    """Set the RTC to `esp_ms` milliseconds since 2000-01-01 (machine.RTC, ntptime)."""
    global _offset_ms
    _offset_ms = esp_ms - _host_ms()
    try:
        with open(_RTC_FILE, "w") as f:
            f.write(str(_offset_ms))
    except OSError:  # flash not mounted yet (boot script): kept in memory only
        pass


def _now_ms():
    off = _offset_ms if _offset_ms is not None else _load()
    return _host_ms() + off


def time():
    """Seconds since 2000-01-01 by the RTC (an int, as on the ESP32)."""
    return _now_ms() // 1000


def time_ns():
    return _now_ms() * 1000000


def gmtime(secs=None):
    """(year, month, mday, hour, minute, second, weekday, yearday) of 2000-epoch seconds."""
    if secs is None:
        secs = time()
    return _builtin.gmtime(int(secs) + _EPOCH_2000)[:8]


localtime = gmtime  # the ESP32 port has no time zone


def mktime(t):
    """Inverse of gmtime(): 2000-epoch seconds of a (year, month, mday, h, m, s, ...) tuple."""
    y, mo, d = t[0], t[1], t[2]
    # days from 2000-01-01 (civil calendar, months counted from March)
    yy = y - (1 if mo <= 2 else 0)
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * (mo + (-3 if mo > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 730425  # 730425: days from 0000-03-01 to 2000-01-01
    return days * 86400 + t[3] * 3600 + t[4] * 60 + t[5]
