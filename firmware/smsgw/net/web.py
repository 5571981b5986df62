# The web page (web/ in the repository), served from flash as the bundle wrote it: www/ of the
# running firmware (/www/, or an update's slot /fw/<a|b>/www/) holds index.html.gz and its CSS
# and JS under content-hash names, already minified and gzip-compressed, so the board renders
# nothing and sends each file as it is, in _CHUNK-byte pieces through one preallocated buffer.
# Imported for each request of a browser (smsgw.net.api.on_use: the core never keeps it).
# index.html is revalidated on every visit (it is small and names the current assets); a hashed
# asset never changes, so browsers keep it (Cache-Control immutable: net/httpd.py answers
# HTTP/1.0, for which Chrome ignores ETags). ETag: the gzip trailer (CRC-32 and size of the
# content); a matching If-None-Match gets 304 with no body.
from micropython import const

_dir = []  # the running firmware's www/ (an update's slot, or /www/), asked once per import
_CHUNK = const(512)
_TYPES = {"html": "text/html; charset=utf-8", "css": "text/css", "js": "text/javascript"}


def _etag(path):
    # Raises OSError when the file is not on the flash.
    with open(path, "rb") as f:
        f.seek(-8, 2)
        t = f.read(8)
    return '"%02x%02x%02x%02x-%d"' % (t[3], t[2], t[1], t[0],
                                       t[4] | t[5] << 8 | t[6] << 16 | t[7] << 24)


def _body(path):
    # Opened when the answer's body starts going out (a HEAD request never opens it); closed
    # when the generator ends or is closed (Response.write closes it when the client goes away).
    from smsgw.fsutil import chunks

    return chunks(path, _CHUNK)


def root(ctx, request):
    """GET /: the page for a browser, else the gateway's name, model and version as JSON."""
    if "text/html" in request.headers.get("accept", ""):
        res = serve(request, "index.html")
        if res is not None:
            return res
    from smsgw import VERSION

    cfg = ctx.cfg
    return {"status": "ok", "model": cfg["modem"]["model"], "version": VERSION,
            "name": cfg["device"]["name"]}


def ui(ctx, request, name):
    """GET /ui/<name>: the page's CSS and JS (public: nothing secret in them)."""
    res = serve(request, name)
    if res is None:
        from smsgw.net.api import error

        return error(404, "not found")
    return res


def serve(request, name, root=None):
    """The response for file `name` of the page (`index.html`, `<hash>.js` ...), 304 when the
    browser has it, or None when there is no such file (a name with a "/" never matches)."""
    import os

    from smsgw.net.httpd import Response

    ext = name[name.rfind(".") + 1:]
    if "/" in name or name.startswith(".") or ext not in _TYPES:
        return None
    if root is None:
        if not _dir:
            from smsgw import call_loaded

            _dir.append(call_loaded("smsgw.slot", "code_dir") + "/www/")
        root = _dir[0]
    path = root + name + ".gz"
    try:
        tag = _etag(path)
        size = os.stat(path)[6]
    except OSError:
        return None
    headers = {"ETag": tag, "X-Content-Type-Options": "nosniff",
               "Cache-Control": "no-cache" if ext == "html" else
               "public, max-age=31536000, immutable"}
    if ext == "html":
        headers["X-Frame-Options"] = "DENY"
        headers["Vary"] = "Accept"
    if request.headers.get("if-none-match") == tag:
        return Response(b"", 304, headers, reason="Not Modified")
    headers["Content-Type"] = _TYPES[ext]
    headers["Content-Encoding"] = "gzip"
    headers["Content-Length"] = str(size)
    if request.method == "HEAD":
        return Response(b"", 200, headers)
    return Response(_body(path), 200, headers)
