# Test helper for firmware tests: a local TCP server on a free port.
import asyncio
import os
import socket


def _free(port):
    # Probed on a host socket: asyncio.start_server does not close its socket when bind fails,
    # and the virtual ESP32's socket stand-in (host/smsgate/vboard/mpy/esp32) counts such a
    # socket against its budget of descriptors for good, as a leak.
    host = getattr(socket, "_host", socket)
    s = host.socket()
    try:
        s.setsockopt(host.SOL_SOCKET, host.SO_REUSEADDR, 1)
        s.bind(host.getaddrinfo("127.0.0.1", port)[0][-1])
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port():
    """A random port of 127.0.0.1 free now, below Linux's ephemeral range (32768-60999) where
    the suite's own client connections take theirs."""
    for _ in range(20):
        port = 20000 + int.from_bytes(os.urandom(2), "little") % 12000
        if _free(port):
            return port
    raise OSError("no free port")


async def serve(handler):
    """(server, port): `handler` served on a free port of 127.0.0.1 (free_port)."""
    for _ in range(20):
        port = free_port()
        try:
            return await asyncio.start_server(handler, "127.0.0.1", port), port
        except OSError:  # taken in between by another run
            continue
    raise OSError("no free port")
