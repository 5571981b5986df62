# Test helper for firmware tests: a local TCP server on a free port.
import asyncio
import os


async def serve(handler):
    """(server, port): `handler` served on a free random port of 127.0.0.1 (another test run
    may hold the first ones tried)."""
    for _ in range(20):
        port = 20000 + int.from_bytes(os.urandom(2), "little") % 30000
        try:
            return await asyncio.start_server(handler, "127.0.0.1", port), port
        except OSError:
            continue
    raise OSError("no free port")
