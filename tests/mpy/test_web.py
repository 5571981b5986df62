# The web page's server (net/web.py) on MicroPython: headers, 304, HEAD, a missing page, the
# body streamed in chunks through one buffer, and what serving a page costs the heap.
# heapsize: 96K
import gc

from fsutil import scratch
from smsgw.fstree import rmtree
from smsgw.net import web


# A stand-in for www/index.html.gz: the server reads only the gzip trailer (CRC-32, size).
_TRAILER = bytes((0x78, 0x56, 0x34, 0x12, 0x10, 0x27, 0, 0))  # CRC 0x12345678, 10000 bytes


class Req:
    def __init__(self, method="GET", **headers):  # header names lower-cased, as parsed
        self.method = method
        self.headers = headers


def _page(size=20000, name="index.html"):
    d = scratch("web")
    path = d + "/" + name + ".gz"
    with open(path, "wb") as f:
        for i in range((size - 8) // 100):
            f.write(bytes((i & 0xFF,)) * 100)
        f.write(b"x" * ((size - 8) % 100))
        f.write(_TRAILER)
    return d, path


def _same_as_file(res, path):
    n = 0
    with open(path, "rb") as f:
        for chunk in res.body:
            assert 0 < len(chunk) <= 512 and bytes(chunk) == f.read(len(chunk))
            n += len(chunk)
        assert f.read(1) == b""
    return n


def test_headers_and_body():
    d, path = _page()
    try:
        res = web.serve(Req(), "index.html", d + "/")
        h = res.headers
        assert res.status_code == 200
        assert h["ETag"] == '"12345678-10000"'
        assert h["Content-Encoding"] == "gzip" and h["Content-Length"] == "20000"
        assert h["Content-Type"].startswith("text/html") and h["Cache-Control"] == "no-cache"
        assert _same_as_file(res, path) == 20000
    finally:
        rmtree(d)


def test_revalidation_head_and_missing_page():
    d, path = _page(300)
    try:
        res = web.serve(Req(**{"if-none-match": '"12345678-10000"'}), "index.html", d + "/")
        assert res.status_code == 304 and res.body == b"" and "Content-Encoding" not in res.headers
        res = web.serve(Req(**{"if-none-match": '"0-1"'}), "index.html", d + "/")
        assert res.status_code == 200
        res = web.serve(Req("HEAD"), "index.html", d + "/")
        assert res.body == b"" and res.headers["Content-Length"] == "300"
    finally:
        rmtree(d)
    assert web.serve(Req(), "index.html", d + "/") is None


def test_assets_are_immutable_and_names_checked():
    d, path = _page(300, "0123abcd.js")
    try:
        res = web.serve(Req(), "0123abcd.js", d + "/")
        assert res.headers["Content-Type"] == "text/javascript"
        assert "immutable" in res.headers["Cache-Control"]
        for bad in ("../0123abcd.js", ".js", "0123abcd.js.gz", "0123abcd.exe", "0123abcd"):
            assert web.serve(Req(), bad, d + "/") is None, bad
    finally:
        rmtree(d)


def test_streaming_costs_a_bounded_heap():
    # The live heap while a 20 KB page goes out stays within ~1.5 KB of the heap before: the
    # page is never in RAM, one 512-byte buffer is reused for every chunk.
    d, path = _page(20000)
    try:
        gc.collect()
        before = gc.mem_alloc()
        res = web.serve(Req(), "index.html", d + "/")
        peak = n = 0
        for chunk in res.body:
            n += len(chunk)
            gc.collect()
            peak = max(peak, gc.mem_alloc() - before)
        assert n == 20000
        print("web: live heap while streaming 20 KB: +%d bytes" % peak)
        assert peak < 1536, peak
    finally:
        rmtree(d)
