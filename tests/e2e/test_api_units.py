"""Unit-level checks of firmware/smsgw/api.py helpers, run on CPython (microdot from pip)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

FW = str(Path(__file__).resolve().parents[2] / "firmware")
if FW not in sys.path:
    sys.path.insert(0, FW)

from smsgw import api  # noqa: E402


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
