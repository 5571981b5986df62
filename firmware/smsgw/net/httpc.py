# A small asyncio HTTP/1.1 client for webhooks: one request per connection, http and https,
# a deadline on the whole exchange, bounded reads (status line, headers, body prefix: whatever
# the server sends, at most _MAX_HEAD + BODY_KEEP bytes are held), names resolved through the
# dns cache (no blocking lookup per request).
import asyncio

from micropython import const

from smsgw.net import dns
from smsgw.net.lines import LineReader
from smsgw.net.tcp import connect  # at import: a qstr pool mid-run may find no room
from smsgw.net.url import http

_MAX_LINE = const(512)  # longest status or header line; a longer one fails the request
_MAX_HEAD = const(4096)  # status line + headers together
_MAX_HEADERS = const(40)  # more header lines than this: the response is refused
BODY_KEEP = const(256)  # bytes of the response body kept (for logs and tests)


async def request(method, url, body=b"", headers=(), timeout_s=30, ca=None, deny=None):
    """One HTTP/1.1 request with `Connection: close`.

    Args:
        method: "POST", "GET", ...; url: http:// or https://; body: bytes or str;
        headers: iterable of (name, value) strings; timeout_s: deadline for the whole exchange;
        ca: path of the DER CA certificate for https (None: the server's certificate is not
            verified; see smsgw.net.tls);
        deny: fn(ip, port) -> reason or None, asked with the resolved address before connecting.
    Returns:
        (status, body_prefix) -- status an int, body_prefix at most BODY_KEEP bytes.
    Raises:
        ValueError for a bad URL or response (lines.TooLong: a line or head over the bounds);
        OSError or asyncio.TimeoutError on I/O failure, refused address or deadline.
    """
    tls, host, port, path = http(url)
    if isinstance(body, str):
        body = body.encode()
    ip = dns.resolve(host, port)
    why = deny(ip, port) if deny else None
    if why:
        raise OSError("address refused: %s" % why)
    try:
        return await asyncio.wait_for(
            _exchange(method, tls, host, ip, port, path, body, headers, ca), timeout_s
        )
    except OSError:
        dns.forget(host)  # maybe the name moved: look it up again next time
        raise


async def _exchange(method, tls, host, ip, port, path, body, headers, ca):
    ctx = None
    if tls:
        from smsgw.net.tls import context

        ctx = context(ca)
    reader, writer = await connect(ip, port, ctx, host)
    try:
        head = "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nContent-Length: %d\r\n" % (
            method,
            path,
            _host_header(host, port),
            len(body),
        )
        for name, value in headers:
            head += "%s: %s\r\n" % (name, value)
        writer.write(head.encode() + b"\r\n")
        if body:
            writer.write(body)
        await writer.drain()
        return await _response(reader)
    finally:
        await _close(writer)


def _host_header(host, port):
    if ":" in host:  # IPv6 literal (RFC 7230 5.4)
        host = "[%s]" % host
    return host if port in (80, 443) else "%s:%d" % (host, port)


async def _response(stream):
    reader = LineReader(stream, _MAX_LINE, _MAX_HEAD)
    line = await reader.readline()
    parts = line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise OSError("bad status line")
    status = int(parts[1])
    length = None
    for _ in range(_MAX_HEADERS):
        line = await reader.readline()
        if not line or line in (b"\r\n", b"\n"):
            break
        if line[:15].lower() == b"content-length:":
            length = int(line[15:].strip())
    else:
        raise OSError("too many headers")
    # without Content-Length (chunked, or a server that keeps the socket open) the status is
    # all we need: reading on could only end at the deadline
    want = 0 if length is None else min(length, BODY_KEEP)
    data = b""
    while len(data) < want:
        chunk = await reader.read(want - len(data))
        if not chunk:
            break
        data += chunk
    return status, data


async def _close(writer):
    try:
        writer.close()
        await writer.wait_closed()
    except OSError:  # the peer may already be gone; the exchange's result stands
        pass
