# Host-only stand-in for the ESP32 port's `socket` module on the virtual board (never deployed):
# the host's sockets, with the ESP32's limit. lwIP has CONFIG_LWIP_MAX_SOCKETS descriptors
# (ESP-IDF's default 10, which ports/esp32's sdkconfig.base keeps; the `free_ram` boards set 6);
# every listening socket, accepted client, outgoing connection (HTTP, MQTT, SMTP) and UDP socket
# (NTP) holds one until it is closed. When all are taken:
# - socket() runs gc.collect() once (ports/esp32/modsocket.c socket_make_new) and then raises
#   OSError(ENFILE 23);
# - accept() raises OSError(ENFILE): lwip_accept cannot allocate a descriptor, drops the new
#   connection and the client sees it closed (asyncio's server ignores the failed accept).
# Other differences the firmware meets, as ports/esp32/modsocket.c has them:
# - getaddrinfo returns (family, type, proto, canonname, (ip, port)) with the address as a tuple
#   (the unix port: raw sockaddr bytes), and it blocks the interpreter;
# - accept() and recvfrom() give the peer as (ip, port); bind/connect take (host, port) tuples
#   (a name is looked up, blocking);
# - only the module constants the ESP32 port defines (no SO_REUSEPORT, SO_KEEPALIVE, AF_UNIX);
# - no fileno() (polling goes through the stream ioctl, as on the port).
# Stricter than the port: there a socket nobody closed is given back when the collector
# finalises it (socket() collects once before refusing); the unix port's sockets have no
# finaliser, so here it stays counted for good: a leak shows instead of hiding. The
# host reads the count from /.sockets.json ({"open", "max", "peak", "refused"}; board control
# GET /sockets) and may lower the limit in /.lwip.json ({"max_sockets": n}).
# GUESSED: lwIP's errno on exhaustion is ENFILE for both socket() and accept() (the source's
# comment says so for socket(); accept from lwip_accept's alloc_socket failure).
import gc
import io
import json
import os
import select
import sys

_path = sys.path[:]
_self = sys.modules.pop("socket", None)
sys.path[:] = []  # the built-in module, not this file
import socket as _host  # noqa: E402

sys.path[:] = _path
if _self is not None:
    sys.modules["socket"] = _self
del _path, _self

AF_INET = _host.AF_INET
AF_INET6 = _host.AF_INET6
SOCK_STREAM = _host.SOCK_STREAM
SOCK_DGRAM = _host.SOCK_DGRAM
SOCK_RAW = _host.SOCK_RAW
SOL_SOCKET = _host.SOL_SOCKET
SO_REUSEADDR = _host.SO_REUSEADDR
SO_BROADCAST = _host.SO_BROADCAST
SO_BINDTODEVICE = 25  # Linux values: the host's socket receives them
IP_ADD_MEMBERSHIP = _host.IP_ADD_MEMBERSHIP
IPPROTO_IP = 0
IPPROTO_TCP = 6
IPPROTO_UDP = 17
TCP_NODELAY = 1
MSG_PEEK = _host.MSG_PEEK
MSG_DONTWAIT = _host.MSG_DONTWAIT

MAX_SOCKETS = 10  # CONFIG_LWIP_MAX_SOCKETS (ESP-IDF default)
_ENFILE = 23
_GET_FILENO = 10  # py/stream.h MP_STREAM_GET_FILENO
_POLL = 3  # MP_STREAM_POLL
_STATUS = "/.sockets.json"
_LIMIT = "/.lwip.json"
_fds = set()  # descriptors handed out and not closed
_peak = 0
_refused = 0


def _limit():
    try:
        with open(_LIMIT) as f:
            return int(json.load(f).get("max_sockets", MAX_SOCKETS))
    except (OSError, ValueError):
        return MAX_SOCKETS


def _open():
    return len(_fds)


def _publish():
    global _peak
    n = _open()
    _peak = max(_peak, n)
    tmp = _STATUS + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"open": n, "max": _limit(), "peak": _peak, "refused": _refused}, f)
    os.rename(tmp, _STATUS)  # the host never reads half a file


def _room():
    """True when one more descriptor fits; the port collects garbage once before refusing."""
    if _open() < _limit():
        return True
    gc.collect()
    return _open() < _limit()


def _refuse():
    global _refused
    _refused += 1
    _publish()
    raise OSError(_ENFILE)


def _addr(sockaddr):
    # the unix port's raw struct sockaddr_in -> the ESP32's (ip, port)
    if isinstance(sockaddr, (bytes, bytearray)) and len(sockaddr) >= 8 and sockaddr[0] == 2:
        return ("%d.%d.%d.%d" % tuple(sockaddr[4:8]), sockaddr[2] << 8 | sockaddr[3])
    return sockaddr


def _raw(addr, type_=SOCK_STREAM):
    # the ESP32's (host, port) -> what the unix port's bind/connect take
    if isinstance(addr, tuple):
        host = addr[0] or "0.0.0.0"
        return _host.getaddrinfo(host, addr[1], AF_INET, type_)[0][-1]
    return addr


def getaddrinfo(host, port, af=0, type=0, proto=0, flags=0):  # noqa: A002 - the port's names
    """(family, type, proto, canonname, (ip, port)) entries, as on the ESP32 (blocking)."""
    out = []
    for ai in _host.getaddrinfo(host or "0.0.0.0", port, af, type, proto, flags):
        if ai[0] == AF_INET:
            out.append((ai[0], ai[1], ai[2], "", _addr(ai[4])))
    if not out:
        raise OSError(-2)  # the port's "name or service not known"
    return out


class socket(io.IOBase):  # noqa: N801 - the module's API name
    def __init__(self, af=AF_INET, type=SOCK_STREAM, proto=0, _s=None):  # noqa: A002
        if _s is None:
            if not _room():
                _refuse()
            _s = _host.socket(af, type, proto)
        self._s = _s
        self._type = type
        _fds.add(_s.fileno())
        _publish()

    def close(self):
        s = self._s
        if s is not None:
            self._s = None
            _fds.discard(s.fileno())
            s.close()
            _publish()

    def accept(self):
        s2, addr = self._s.accept()
        if not _room():
            s2.close()  # lwIP drops the connection it cannot give a descriptor
            _refuse()
        return socket(_s=s2), _addr(addr)

    def bind(self, addr):
        self._s.bind(_raw(addr, self._type))

    def connect(self, addr):
        self._s.connect(_raw(addr, self._type))

    def listen(self, backlog=2):  # MICROPY_PY_SOCKET_LISTEN_BACKLOG_DEFAULT on the port
        self._s.listen(backlog)

    def setblocking(self, flag):
        self._s.setblocking(flag)

    def settimeout(self, t):
        self._s.settimeout(t)

    def setsockopt(self, level, opt, value):
        self._s.setsockopt(level, opt, value)

    def send(self, buf):
        return self._s.send(buf)

    def sendall(self, buf):
        return self._s.sendall(buf)

    def sendto(self, buf, addr):
        return self._s.sendto(buf, _raw(addr, self._type))

    def recv(self, n, flags=0):
        return self._s.recv(n, flags)

    def recvfrom(self, n):
        data, addr = self._s.recvfrom(n)
        return data, _addr(addr)

    def read(self, n=-1):
        return self._s.read() if n < 0 else self._s.read(n)

    def readinto(self, buf, n=-1):
        return self._s.readinto(buf) if n < 0 else self._s.readinto(buf, n)

    def readline(self):
        return self._s.readline()

    def write(self, buf):
        return self._s.write(buf)

    def makefile(self, *args, **kw):
        return self

    def ioctl(self, req, arg):
        if self._s is None:
            return -1
        if req == _GET_FILENO:  # select.poll on the unix port polls the descriptor itself
            return self._s.fileno()
        if req == _POLL:  # asked by a wrapper (TLS) that polls through the stream
            p = select.poll()
            p.register(self._s, arg)
            r = p.poll(0)
            return r[0][1] if r else 0
        return 0
