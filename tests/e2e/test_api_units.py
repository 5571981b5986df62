"""Unit-level checks of firmware/smsgw/net/api.py and net/jsonout.py helpers, run on CPython."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

FW = str(Path(__file__).resolve().parents[2] / "firmware")
if FW not in sys.path:
    sys.path.insert(0, FW)

if not hasattr(time, "ticks_ms"):  # MicroPython's tick functions, for the firmware on CPython
    time.ticks_ms = lambda: int(time.monotonic() * 1000)
    time.ticks_add = lambda t, d: t + d
    time.ticks_diff = lambda a, b: a - b

from smsgw.net import api, jsonout  # noqa: E402


def _collect(gen) -> list[bytes]:
    # Copy each chunk before resuming the generator, as the socket write does.
    return [bytes(c) for c in gen]


def test_chunked_gathers_small_pieces_into_bounded_writes():
    pieces = ["{"] + ['"k%d":%d,' % (i, i) for i in range(400)] + ["}"]
    chunks = _collect(jsonout._chunked(iter(pieces)))
    assert b"".join(chunks) == "".join(pieces).encode()
    assert all(0 < len(c) <= jsonout._CHUNK for c in chunks)
    total = sum(len(p) for p in pieces)
    # full buffers except the last: no more writes than needed (+1 for piece boundaries each)
    assert len(chunks) <= 2 * (total // jsonout._CHUNK + 1)
    assert len(chunks) < len(pieces) // 10


def test_chunked_passes_large_piece_and_keeps_order():
    big = "x" * (jsonout._CHUNK * 2 + 7)
    pieces = ["[", '"a"', ",", json.dumps(big), ",", '"é"', "]"]
    chunks = _collect(jsonout._chunked(iter(pieces)))
    assert b"".join(chunks) == "".join(pieces).encode()
    assert any(len(c) > jsonout._CHUNK for c in chunks)
    assert _collect(jsonout._chunked(iter([]))) == []


def test_streamed_health_object_is_valid_json():
    doc = {"status": "pass", "checks": {"a": {"status": "pass", "observedValue": 1,
                                              "observedUnit": "x"}, "b": [1, 2, 3],
                                        "c": {"n": "é" * 300}}, "version": "1"}
    body = b"".join(_collect(jsonout._chunked(jsonout._stream_obj(doc))))
    assert json.loads(body) == doc


class _Ctx:
    """The bits of the gateway context make_app reads."""

    def __init__(self):
        self.cfg = {"http": {"max_body": 4096, "max_connections": 4, "read_timeout_s": 5,
                             "max_header": 2048},
                    "api": {"user": "sms", "password": "pw"},
                    "modem": {"model": "sim800"}, "device": {"name": "t"}}
        self.requests = self.auth_failures = self.api_errors = 0


class _Reader:
    def __init__(self, data: bytes, fail: bool):
        self.data, self.fail = data, fail

    async def read(self, n=-1):
        if self.fail:
            raise MemoryError("memory allocation failed, allocating 1024 bytes")
        out, self.data = (self.data, b"") if n < 0 else (self.data[:n], self.data[n:])
        return out

    async def readexactly(self, n):
        out, self.data = self.data[:n], self.data[n:]
        return out


class _Writer:
    def __init__(self):
        self.out = b""

    def get_extra_info(self, name):
        return ("127.0.0.1", 1)

    async def awrite(self, data):
        self.out += bytes(data)

    def write(self, data):
        self.out += bytes(data)

    async def aclose(self):
        pass


def _exchange(app, raw: bytes, fail: bool = False) -> tuple[int, dict, dict]:
    import asyncio

    w = _Writer()
    asyncio.run(app.handle_request(_Reader(raw, fail), w))
    head, _, body = w.out.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(h.split(": ", 1) for h in lines[1:])
    return int(lines[0].split()[1]), headers, json.loads(body)


def test_request_unreadable_for_memory_is_503_with_retry_after(capsys):
    ctx = _Ctx()
    app = api.make_app(ctx)
    status, headers, body = _exchange(app, b"", fail=True)
    assert status == 503 and headers.get("Retry-After") == "2", (status, headers)
    assert "memory" in body["message"] and app.counters["oom"] == 1
    # a malformed request is still 400, not counted as memory trouble
    status, headers, body = _exchange(app, b"GARBAGE\r\n\r\n")
    assert status == 400 and body == {"message": "bad request"} and "Retry-After" not in headers
    assert app.counters["oom"] == 1 and app.counters["bad"] == 1
    # a well-formed request still works
    status, _, body = _exchange(app, b"GET /nope HTTP/1.0\r\n\r\n")
    assert status == 404 and body == {"message": "not found"}
    status, _, _ = _exchange(app, b"", fail=True)
    assert status == 503 and app.counters["oom"] == 2 and not app.conns


def test_handler_out_of_memory_is_503_not_a_logged_500():
    import base64

    class _Outbox:
        def submit(self, body, cap, skip_check=False):
            raise MemoryError("memory allocation failed, allocating 886 bytes")

    ctx = _Ctx()
    ctx.outbox = _Outbox()
    app = api.make_app(ctx)
    body = b'{"textMessage": {"text": "x"}, "phoneNumbers": ["+4915112345678"]}'
    raw = (b"POST /message HTTP/1.1\r\nAuthorization: Basic %s\r\nContent-Length: %d\r\n\r\n%s"
           % (base64.b64encode(b"sms:pw"), len(body), body))
    status, headers, out = _exchange(app, raw)
    assert status == 503 and headers.get("Retry-After") == "2", (status, headers, out)
    assert "memory" in out["message"] and app.counters["oom"] == 1 and ctx.api_errors == 0


def test_long_request_line_or_header_block_is_431():
    app = api.make_app(_Ctx())
    status, _, body = _exchange(app, b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n\r\n")
    assert status == 431 and "too large" in body["message"]
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(40))
    status, _, _ = _exchange(app, b"GET /nope HTTP/1.1\r\n" + many + b"\r\n")
    assert status == 431 and app.counters["too_long"] == 2
    # a negative Content-Length is a bad request, not a read of the rest of the stream
    status, _, _ = _exchange(app, b"POST /message HTTP/1.1\r\nContent-Length: -5\r\n\r\n")
    assert status == 400


def test_backoff_locks_a_guessing_client_not_the_owner():
    from smsgw.net.backoff import Backoff

    b = Backoff(free=3, max_s=8, clients=2)
    me, other = b.key(("10.0.0.9", 1000)), b.key(("10.0.0.7", 2000))
    for _ in range(3):
        assert b.wait_s(me) == 0
        b.failed(me)
    assert b.wait_s(me) == 1 and b.wait_s(other) == 0
    b.failed(me)
    assert b.wait_s(me) == 2  # doubling
    b.ok(other)
    b.failed(other)
    # the table (2) is full of a locked client and a suspect: a third address takes the
    # suspect's place; a fourth, with every remaining entry locked, shares "*"
    assert b.key(("10.0.0.5", 1)) == "10.0.0.5"
    for _ in range(3):
        b.failed("10.0.0.5")
    assert b.key(("10.0.0.6", 1)) == "*"
    # net/wifi.py's use: one key, every failure counts, capped, however long the outage
    w = Backoff(free=1, max_s=60, clients=1)
    for _ in range(10000):
        w.failed("sta")
    assert 59 <= w.wait_s("sta") <= 60 and w.t["sta"][0] == 10000
    # the unix port's raw sockaddr: the port (bytes 2-3) is not part of the key
    assert Backoff().key(b"\x02\x00\x10\x00\x7f\x00\x00\x01") == \
        Backoff().key(b"\x02\x00\x20\x00\x7f\x00\x00\x01")


def test_no_exception_leaves_handle_request_even_building_the_refusal(monkeypatch):
    import asyncio

    from smsgw.net import httpd

    app = api.make_app(_Ctx())
    app.conns = [[None, None, False]] * app.max_conn  # every slot answering: a newcomer is busy

    def no_heap(*args):
        raise MemoryError("no heap for the 503")

    monkeypatch.setattr(httpd, "_refusal", no_heap)
    w = _Writer()
    asyncio.run(app.handle_request(_Reader(b"GET / HTTP/1.1\r\n\r\n", False), w))
    assert app.counters["busy"] == 1 and app.counters["oom"] == 1 and w.out == b""
