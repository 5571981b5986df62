# The web page (web/ in the repository), served from flash as the bundle wrote it:
# www/index.html.gz, already minified and gzip-compressed, so the board renders nothing and
# sends it as is in _CHUNK-byte pieces through one preallocated buffer. Imported on the first
# browser request for "/" only (the core never loads it). ETag: the gzip trailer (CRC-32 and
# size of the page), stable for the same bundle; a revalidation answers 304 with no body.
from micropython import const

PAGE = "/www/index.html.gz"
_CHUNK = const(512)


def _etag(path):
    # Raises OSError when the page is not on the flash.
    with open(path, "rb") as f:
        f.seek(-8, 2)
        t = f.read(8)
    return '"%02x%02x%02x%02x-%d"' % (t[3], t[2], t[1], t[0],
                                       t[4] | t[5] << 8 | t[6] << 16 | t[7] << 24)


def _body(path):
    # Opened when microdot starts sending (a HEAD request never opens it); closed when the
    # generator ends or is closed (microdot closes it when the client goes away).
    buf = bytearray(_CHUNK)
    mv = memoryview(buf)
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                return
            yield mv[:n]


def page(request, path=PAGE):
    """The page's response, 304 when the browser has it, or None when the flash lacks it."""
    import os

    from microdot import Response

    try:
        tag = _etag(path)
        size = os.stat(path)[6]
    except OSError:
        return None
    headers = {"ETag": tag, "Cache-Control": "no-cache", "Vary": "Accept",
               "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}
    if request.headers.get("If-None-Match") == tag:
        return Response(b"", 304, headers, reason="Not Modified")
    headers["Content-Type"] = "text/html; charset=utf-8"
    headers["Content-Encoding"] = "gzip"
    headers["Content-Length"] = str(size)
    if request.method == "HEAD":
        return Response(b"", 200, headers)
    return Response(_body(path), 200, headers)
