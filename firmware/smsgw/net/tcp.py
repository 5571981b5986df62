# Outgoing TCP connections that always give their socket back. asyncio.open_connection makes
# its socket and then waits for the connection inside the call: when that wait is cancelled
# (a deadline) or fails, the socket is lost to the caller and stays open until the garbage
# collector finalises it. On an ESP32 that is one of lwIP's ~10 sockets gone per try at a
# receiver that never completes a connection (docs/ARCHITECTURE.md "Socket budget"). connect()
# is open_connection that closes its socket when anything goes wrong before it returns; after
# that, the caller closes the stream in its own `finally`.
import asyncio
import socket
from errno import EINPROGRESS

try:
    from asyncio import core  # pyright: ignore[reportAttributeAccessIssue] - MicroPython's
except ImportError:  # CPython (the host's mail bridge runs smtp.py): open_connection cleans up
    core = None


def _writable(s):
    # a generator, as asyncio's streams wait for a socket: the task sleeps until s is writable
    yield core._io_queue.queue_write(s)


async def connect(ip, port, ssl=None, server_hostname=None):
    """(reader, writer), one stream connected to the numeric address `ip` (dns.resolve first);
    `ssl`: an SSLContext (TLS, handshake on the first read/write). Raises OSError (ENFILE: no
    socket left; refused) with nothing left open, also when cancelled."""
    if core is None:
        return await asyncio.open_connection(ip, port, ssl=ssl,
                                             server_hostname=server_hostname if ssl else None)
    ai = socket.getaddrinfo(ip, port, 0, socket.SOCK_STREAM)[0]  # numeric: no lookup
    s = socket.socket(ai[0], ai[1], ai[2])
    try:
        s.setblocking(False)
        try:
            s.connect(ai[-1])
        except OSError as e:
            if e.errno != EINPROGRESS:
                raise
        if ssl:
            s = ssl.wrap_socket(s, server_hostname=server_hostname,
                                do_handshake_on_connect=False)
            s.setblocking(False)
        await _writable(s)  # pyright: ignore
    except BaseException:
        s.close()
        raise
    # MicroPython has one Stream class; the two names keep the type checker's stubs apart
    return asyncio.StreamReader(s), asyncio.StreamWriter(s, {})
