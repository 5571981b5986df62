# Host name -> IPv4 address, looked up once and cached. On an ESP32 getaddrinfo blocks the whole
# interpreter (lwIP waits for the DNS answer, seconds when the server is slow or gone), and
# asyncio.open_connection calls it on every connection: webhook deliveries and MQTT reconnects
# connect to the address cached here instead, so a name costs one blocking lookup per
# _TTL_MS (or after a failed connection: `forget`). Numeric hosts never reach getaddrinfo.
import time

from micropython import const

_TTL_MS = const(3600000)
_MAX = const(8)  # names remembered (webhook URLs + the MQTT broker)
_cache = {}  # host -> (ip, ticks_ms when looked up)


def numeric(host):
    """True for an IPv4 or IPv6 literal (no lookup needed)."""
    return ":" in host or all(c in "0123456789." for c in host)


def resolve(host, port=0):
    """The address to connect to for `host` (itself when numeric). Raises OSError."""
    if numeric(host):
        return host
    hit = _cache.get(host)
    now = time.ticks_ms()
    if hit is not None and time.ticks_diff(now, hit[1]) < _TTL_MS:
        return hit[0]
    import socket

    try:
        ai = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)
    except Exception as e:  # the unix port raises OSError; some builds other errors
        raise OSError("dns %s: %s" % (host, e))
    if not ai:
        raise OSError("dns %s: no address" % host)
    ip = _ip(ai[0][-1])
    if ip is None:
        return host  # an address form we cannot print: let open_connection look it up
    if len(_cache) >= _MAX and host not in _cache:
        _cache.pop(next(iter(_cache)))
    _cache[host] = (ip, now)
    return ip


def forget(host):
    """Drop a cached address (its connection failed: look the name up again next time)."""
    _cache.pop(host, None)


def _ip(sockaddr):
    # ESP32 and CPython: (ip, port); the unix port: raw struct sockaddr_in bytes
    if isinstance(sockaddr, tuple):
        return sockaddr[0]
    if isinstance(sockaddr, (bytes, bytearray)) and len(sockaddr) >= 8:
        return "%d.%d.%d.%d" % tuple(sockaddr[4:8])
    return None
