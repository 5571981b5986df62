"""Unit-level checks of firmware/smsgw/net/api.py helpers, run on CPython (microdot from pip)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

FW = str(Path(__file__).resolve().parents[2] / "firmware")
if FW not in sys.path:
    sys.path.insert(0, FW)

from smsgw.net import api  # noqa: E402


def _collect(gen) -> list[bytes]:
    # Copy each chunk before resuming the generator, as the socket write does.
    return [bytes(c) for c in gen]


def test_chunked_gathers_small_pieces_into_bounded_writes():
    pieces = ["{"] + ['"k%d":%d,' % (i, i) for i in range(400)] + ["}"]
    chunks = _collect(api._chunked(iter(pieces)))
    assert b"".join(chunks) == "".join(pieces).encode()
    assert all(0 < len(c) <= api._CHUNK for c in chunks)
    total = sum(len(p) for p in pieces)
    # full buffers except the last: no more writes than needed (+1 for piece boundaries each)
    assert len(chunks) <= 2 * (total // api._CHUNK + 1)
    assert len(chunks) < len(pieces) // 10


def test_chunked_passes_large_piece_and_keeps_order():
    big = "x" * (api._CHUNK * 2 + 7)
    pieces = ["[", '"a"', ",", json.dumps(big), ",", '"é"', "]"]
    chunks = _collect(api._chunked(iter(pieces)))
    assert b"".join(chunks) == "".join(pieces).encode()
    assert any(len(c) > api._CHUNK for c in chunks)
    assert _collect(api._chunked(iter([]))) == []


def test_streamed_health_object_is_valid_json():
    doc = {"status": "pass", "checks": {"a": {"status": "pass", "observedValue": 1,
                                              "observedUnit": "x"}, "b": [1, 2, 3],
                                        "c": {"n": "é" * 300}}, "version": "1"}
    body = b"".join(_collect(api._chunked(api._stream_obj(doc))))
    assert json.loads(body) == doc


class _Ctx:
    """The bits of the gateway context make_app reads."""

    def __init__(self):
        self.cfg = {"http": {"max_body": 4096}, "api": {"user": "sms", "password": "pw"},
                    "modem": {"model": "sim800"}, "device": {"name": "t"}}
        self.requests = self.auth_failures = self.api_errors = self.api_oom = 0


class _Reader:
    def __init__(self, data: bytes, fail: bool):
        self.data, self.fail = data, fail

    async def readline(self):
        if self.fail:
            raise MemoryError("memory allocation failed, allocating 1024 bytes")
        line, _, self.data = self.data.partition(b"\n")
        return line + b"\n"

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
    assert "memory" in body["message"] and ctx.api_oom == 1
    # a malformed request is still 400, and the MemoryError flag does not leak into it
    status, headers, body = _exchange(app, b"GARBAGE\r\n\r\n")
    assert status == 400 and body == {"message": "bad request"} and "Retry-After" not in headers
    assert ctx.api_oom == 1
    # a well-formed request still works through the wrapped Request.create
    status, _, body = _exchange(app, b"GET /nope HTTP/1.0\r\n\r\n")
    assert status == 404 and body == {"message": "not found"}
    api.make_app(_Ctx())  # a second app (Request.create wrapped once) keeps it working
    status, _, _ = _exchange(app, b"", fail=True)
    assert status == 503 and ctx.api_oom == 2
