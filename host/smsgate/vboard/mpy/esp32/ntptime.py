# Host-only stand-in for the ESP32 firmware's frozen `ntptime` module on the virtual board
# (never deployed). The host decides whether an NTP server answers ("ntp" in /.wifi.json,
# default true) and the station must be connected; otherwise the query blocks for `timeout`
# seconds (as the real socket read does, freezing the event loop meanwhile) and raises
# OSError(ETIMEDOUT). GUESSED: the real module may also fail earlier in getaddrinfo (DNS),
# which blocks the interpreter for longer; the stand-in models only the socket timeout. The
# query holds one UDP socket of lwIP's budget (the socket stand-in) while it runs, as the
# real module's does: OSError(ENFILE) when none is left.

host = "pool.ntp.org"
timeout = 1
_EPOCH_2000 = 946684800
_ETIMEDOUT = 110


def time():  # noqa: F811 - the module's API name shadows `time` on purpose, as upstream
    """Seconds since 2000-01-01 (the ESP32 port's epoch) from the NTP server."""
    import network
    import socket

    from time import sleep_ms, _builtin

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        reach = network.WLAN(network.STA_IF).isconnected() and network._world().get("ntp", True)
        if not reach:
            sleep_ms(int(timeout * 1000))
            raise OSError(_ETIMEDOUT)
        return int(_builtin.time()) - _EPOCH_2000
    finally:
        s.close()


def settime():
    """Set the RTC (UTC) from NTP; OSError on timeout."""
    import time as _t

    t = time()
    _t._set_ms(t * 1000)
