# The board's one wall clock: Unix seconds whatever this port's epoch, whether the clock has
# been set, and from where. Also the one home of monotonic ticks for code that runs on
# CPython too (the host imports the pure parts).
#
# Epochs: the ESP32 port counts time.time() from 2000-01-01, the unix port from 1970
# (docs/ESP32-PORT.md "Time"); time.gmtime(0) tells which. The ESP32's RTC starts
# at 2000-01-01 after power-on, so until net/timesync sets it (modem network time or NTP) the
# reading is 26 years off: `now()` is None then and what depends on time says so.
import time

_EPOCH_2000 = 946684800  # Unix seconds at 2000-01-01 00:00:00
SHIFT = _EPOCH_2000 if time.gmtime(0)[0] == 2000 else 0  # time.time() + SHIFT = Unix time
_FLOOR = 1735689600  # 2025-01-01: an RTC reading before this was never set (it starts at 2000)

try:  # the type checker sees the port's signatures and the stand-ins below as a clash
    from time import (  # noqa: F401 (clock.ticks_ms elsewhere)
        ticks_add, ticks_diff, ticks_ms)  # pyright: ignore[reportAssignmentType]
except ImportError:  # CPython (host tools, config checks): monotonic stand-ins

    def ticks_ms():
        return int(time.monotonic() * 1000)  # pyright: ignore[reportAttributeAccessIssue]

    def ticks_diff(a, b):
        return a - b

    def ticks_add(a, b):
        return a + b


def unix():
    """The RTC's reading in Unix seconds (an int), set or not."""
    return int(time.time()) + SHIFT


# "modem" (network time, NITZ / AT+CCLK), "ntp", "rtc" (a plausible time already at boot: an
# ESP32 RTC kept through a reset, or the host's clock on the unix port) or "none"
source = "rtc" if unix() >= _FLOOR else "none"
jumped = 0  # seconds the clock moved when it was set (deadlines kept in wall time shift too)
# seconds added to Unix time for local time: the alert unit's limits.utc_offset_min (quiet
# hours, {time}; set by alert/setup.py)
local_offset = 0


def local_seconds(t=None):
    """Local wall time: Unix seconds (`t`, else the RTC's reading) + local_offset."""
    return (unix() if t is None else t) + local_offset


def is_set():
    return source != "none"


def now():
    """Unix seconds, or None while the clock is unset."""
    return unix() if source != "none" else None


def mark(src, before):
    """Record that the RTC was just set from `src`; `before`: unix() read just before."""
    global source, jumped
    jumped += unix() - before
    source = src


def set_utc(y, mo, d, h, mi, s, src):
    """Set the RTC to a UTC date and time from `src` ("modem", "ntp").

    Raises:
        ImportError: this port has no machine.RTC (the unix port keeps the host's time).
    """
    from machine import RTC

    before = unix()
    RTC().datetime((y, mo, d, 0, h, mi, s, 0))  # the weekday is computed by the port
    mark(src, before)


def gmtime(t):
    """(year, month, mday, hour, minute, second, weekday, yearday) of Unix seconds `t`."""
    return time.gmtime(t - SHIFT)


def iso(t):
    """ISO-8601 UTC timestamp for Unix seconds `t`."""
    return "%04d-%02d-%02dT%02d:%02d:%02d.000Z" % gmtime(t)[:6]
