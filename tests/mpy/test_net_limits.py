# heapsize: 128K
# Issue 13 on the MicroPython unix port (128K: the modules compile from source here): every
# network reader is bounded (a peer sending megabytes without a newline, or an endless MQTT
# length, costs an error, not the heap), names are looked up once, and app.main() resets
# whatever fails, even the log.
import asyncio
import gc

from localnet import serve
from smsgw import app
from smsgw.net import dns, httpc, lines, mqtt_client


async def _drain_request(reader):
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    await reader.read(2)  # the request's 2-byte body


def _flooder(first, total):
    async def handler(reader, writer):
        await _drain_request(reader)
        try:
            writer.write(first)
            junk = b"x" * 1024
            for _ in range(total // 1024):
                writer.write(junk)
                await writer.drain()
        except OSError:
            pass  # the client gave up: that is the point
        writer.close()
        await writer.wait_closed()

    return handler


async def _request_fails_bounded(handler):
    srv, port = await serve(handler)
    try:
        gc.collect()
        try:
            await httpc.request("POST", "http://127.0.0.1:%d/" % port, b"{}", timeout_s=20)
        except lines.TooLong:
            return
        raise AssertionError("a response without bounds was accepted")
    finally:
        srv.close()
        await srv.wait_closed()


async def test_status_line_of_megabytes_fails_the_request_not_the_heap():
    # 2 MB without a newline, in a 128K heap: the unbounded readline ran out of memory
    await _request_fails_bounded(_flooder(b"HTTP/1.1 200 ", 2 << 20))


async def test_endless_header_block_fails_the_request():
    many = b"".join(b"X-%d: %s\r\n" % (i, b"v" * 200) for i in range(30))  # 6 KB of headers
    await _request_fails_bounded(_flooder(b"HTTP/1.1 200 OK\r\n" + many, 0))


async def test_line_reader_keeps_the_bytes_after_a_line_for_the_body():
    class S:
        def __init__(self, data):
            self.data = data

        async def read(self, n):
            out, self.data = self.data[:n], self.data[n:]
            return out

        async def readexactly(self, n):
            out, self.data = self.data[:n], self.data[n:]
            if len(out) < n:
                raise EOFError
            return out

    r = lines.LineReader(S(b"a\r\nbb\r\n\r\nBODY!tail"), 16, 64)
    assert await r.readline() == b"a\r\n" and await r.readline() == b"bb\r\n"
    assert await r.readline() == b"\r\n"
    assert await r.readexactly(5) == b"BODY!" and await r.read(10) == b"tail"
    r = lines.LineReader(S(b"x" * 40 + b"\n"), 16)
    try:
        await r.readline()
        raise AssertionError("a 41-byte line passed a 16-byte bound")
    except lines.TooLong:
        pass


def test_dns_numeric_hosts_skip_the_lookup_names_are_cached():
    assert dns.resolve("192.0.2.7") == "192.0.2.7" and dns.resolve("::1") == "::1"
    assert "192.0.2.7" not in dns._cache
    assert dns.resolve("localhost", 80) == "127.0.0.1"
    assert dns._cache["localhost"][0] == "127.0.0.1"
    dns._cache["localhost"] = ("127.0.0.9", dns._cache["localhost"][1])
    assert dns.resolve("localhost") == "127.0.0.9"  # served from the cache, no lookup
    dns.forget("localhost")
    assert "localhost" not in dns._cache and dns.resolve("localhost") == "127.0.0.1"


async def _broker_sends(data):
    # -> the client's error after a broker that accepts CONNECT, then sends `data`
    async def broker(reader, writer):
        await reader.read(64)  # CONNECT
        writer.write(b"\x20\x02\x00\x00" + data)
        await writer.drain()
        await asyncio.sleep(5)
        writer.close()

    srv, port = await serve(broker)
    c = mqtt_client.MQTTClient("t", "127.0.0.1", port, keepalive=30)
    try:
        await c.connect(5)
        await asyncio.wait_for(c.dead.wait(), 5)
        return c.error
    finally:
        await c.close(graceful=False)
        srv.close()
        await srv.wait_closed()


async def test_mqtt_remaining_length_over_four_bytes_or_the_cap_ends_the_connection():
    err = await _broker_sends(b"\x30\xff\xff\xff\xff\x01")
    assert "remaining length" in err, err
    err = await _broker_sends(b"\x30\xff\xff\xff\x7f")  # 268 MB announced
    assert "too long" in err, err


class _Boom(Exception):
    pass


def _failing(*args):
    raise MemoryError("no heap to log")


def _main_with(exc):
    async def run(cfg_path):
        raise exc

    saved = (app.run, app.log.exc, app.log.error, app._RESET_DELAY_S)
    app.run, app.log.exc, app.log.error, app._RESET_DELAY_S = run, _failing, _failing, 0
    try:
        app.main("/nonexistent.json")
    except SystemExit as e:  # what _reset ends with where machine.reset() does not exist
        return e.args[0] if e.args else None
    finally:
        app.run, app.log.exc, app.log.error, app._RESET_DELAY_S = saved
    return "returned"


def test_main_resets_even_when_logging_the_fatal_error_fails():
    assert _main_with(_Boom("fatal")) == 3
    assert _main_with(asyncio.CancelledError()) == 3  # a BaseException out of the loop
