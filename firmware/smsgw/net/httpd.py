# The API's HTTP server: HTTP/1.0 as an ESP32 can afford it. One request per connection,
# answered and closed; routes matched segment by segment; JSON bodies for dicts and lists;
# generator bodies streamed. Written here instead of using microdot (which this server followed:
# the same handler signatures and answers) because microdot's module keeps 18.4 KB of heap on
# an ESP32 when loaded from .mpy (its routing, multipart, cookies, sessions and templates
# included), a fifth of what the core gateway may use on a board without PSRAM (README,
# footprint). What one client may cost:
# - at most `max_conn` connections at once: a newcomer takes the slot of the connection that has
#   been reading its request longest, else (all slots busy answering) it gets a short 503 and
#   is closed at once (nothing read, no socket kept);
# - a deadline for reading the request (line, headers, body: 408) and one for writing the answer,
#   kept by one reaper task instead of a wait_for (two tasks) per request;
# - a request line of at most `max_line` bytes, a header block of at most `max_head` (431; read
#   through LineReader, so the heap never holds more than that); a body over `max_body` bytes is
#   refused unread (413);
# - anything one client raises (MemoryError included) ends that client: nothing reaches the
#   event loop, whose handler resets the board.
import asyncio
import json
from time import ticks_add, ticks_diff, ticks_ms

try:
    from asyncio import core  # pyright: ignore[reportAttributeAccessIssue] - MicroPython's
except ImportError:  # CPython (tests call handle_request; start_server is the board's)
    core = None

from micropython import const

from smsgw.net.lines import LineReader, TooLong

TYPE_CHECKING = const(False)
if TYPE_CHECKING:  # the type checker's view only (tools/typecheck.sh); never runs
    from typing import Any, Callable

_REAP_MS = const(500)  # how often deadlines are checked
_WRITE_MS = const(30000)  # an answer not taken by the client in this time is dropped
_MESSAGES = {400: ("Bad Request", "bad request"),
             408: ("Request Timeout", "request not received in time"),
             431: ("Request Header Fields Too Large", "request line or headers too large"),
             503: ("Service Unavailable", "out of memory, retry later")}
_TIMED_OUT = const(408)


def _readable(s):
    # a generator, as asyncio's streams wait for a socket: the task sleeps until s is readable
    yield core._io_queue.queue_read(s)


def _refusal(status, msg=None):
    # A short JSON error written before there is a request to dispatch.
    reason, text = _MESSAGES[status]
    msg = msg or text
    body = '{"message": "%s"}' % msg
    extra = "Retry-After: 2\r\n" if status == 503 else ""
    return ("HTTP/1.1 %d %s\r\n%sConnection: close\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n%s" % (status, reason, extra, len(body), body)).encode()


def urldecode(s):
    """`s` (str or bytes) with `+` and `%xx` decoded, as UTF-8 text; raises ValueError for an
    escape that is not hex, UnicodeError for bytes that are not UTF-8."""
    if isinstance(s, str):
        s = s.encode()
    s = s.replace(b"+", b" ")
    if b"%" not in s:
        return s.decode()
    parts = s.split(b"%")
    out = bytearray(parts[0])
    for p in parts[1:]:
        if p:
            out.append(int(p[:2], 16))  # ValueError when not hex
            out.extend(p[2:])
        else:  # a "%" right before another "%" or at the end stays itself
            out.append(0x25)
    return out.decode()


class Request:
    """One request as read: method, path, args (the query: first value per name, decoded),
    headers (names lower-cased), body (bytes), client_addr; url_args once routed."""

    body: "bytes | bytearray"  # bare annotation: no code on MicroPython

    def __init__(self, method, url, headers, client_addr):
        self.method = method
        self.headers = headers
        self.client_addr = client_addr
        self.body = b""
        self.url_args = {}
        self.args = {}
        path, _, query = url.partition("?")
        self.path = path
        for pair in query.split("&"):
            if pair:
                k, _, v = pair.partition("=")
                k = urldecode(k)
                if k not in self.args:
                    self.args[k] = urldecode(v)


class Response:
    """An answer: body (dict or list: JSON; str or bytes; or a generator of str/bytes pieces,
    streamed without Content-Length), status, headers (the dict becomes the response's),
    reason phrase ("OK" for 200, else "N/A" unless given). None with 200 is a 204."""

    body: "Any"  # bytes once built, or an iterable of pieces (bare annotation: no code)

    def __init__(self, body: "Any" = b"", status_code=200, headers=None, reason=None):
        if headers is None:
            headers = {}
        if body is None and status_code == 200:
            body, status_code = b"", 204
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers["Content-Type"] = "application/json; charset=UTF-8"
        if isinstance(body, str):
            body = body.encode()
        self.body = body
        self.status_code = status_code
        self.headers = headers
        self.reason = reason

    async def write(self, writer, head_only=False):
        # The head in one write; the body as it comes. A client gone meanwhile (OSError) ends
        # the answer quietly; a streamed body is closed in any case (it may hold a file open).
        b = self.body
        h = self.headers
        if "Content-Type" not in h:
            h["Content-Type"] = "text/plain; charset=UTF-8"
        if isinstance(b, bytes) and "Content-Length" not in h:
            h["Content-Length"] = str(len(b))
        reason = self.reason or ("OK" if self.status_code == 200 else "N/A")
        head = "HTTP/1.0 %d %s\r\n" % (self.status_code, reason)
        for k in h:
            head += "%s: %s\r\n" % (k, h[k])
        try:
            await writer.awrite((head + "\r\n").encode())
            if isinstance(b, bytes):
                if b and not head_only:
                    await writer.awrite(b)
            elif not head_only:
                for piece in b:
                    await writer.awrite(piece.encode() if isinstance(piece, str) else piece)
        except OSError:
            pass
        finally:
            close = getattr(b, "close", None)
            if close is not None:
                close()


def _response(res):
    # a handler's answer as a Response: (body, status[, headers]), or a body
    if isinstance(res, tuple):
        return Response(*res)
    return res if isinstance(res, Response) else Response(res)


async def _call(f, *args, **kw):
    # a handler's result, awaited when the handler is a coroutine function
    r = f(*args, **kw)
    if hasattr(r, "send"):
        r = await r
    return r


class Server:
    """The HTTP server (see the module comment).

    Args: max_conn: connections served at once; read_ms: deadline for a whole request;
    max_head: bytes of request line + headers; max_line: bytes of one line; max_body: bytes of
    a request body.
    counters: busy (refused, all slots answering), evicted (slot given to a newcomer),
    timeouts (408 or answer not taken), too_long (431), oom (MemoryError), bad (400), errors.
    Handlers: route(pattern, methods) registers `async f(request, **segments)`, answering a
    Response, a dict or list (JSON), str/bytes, None (204) or (body, status[, headers]);
    before_request(f): f(request) may answer first (auth); errorhandler(404 or an exception
    class); on_status(status) answers the other error statuses.
    """

    # bare annotations: no code on MicroPython
    routes: "list[tuple[tuple, str, Callable | str]]"
    on_status: "Callable[[int], object] | None"
    lazy: "Callable[..., object] | None"

    def __init__(self, max_conn=4, read_ms=5000, max_head=4096, max_line=1024, max_body=4096):
        self.max_conn = max_conn
        self.read_ms = read_ms
        self.max_head = max_head
        self.max_line = max_line
        self.max_body = max_body
        self.conns = []  # [task, deadline (ticks) or None, reading] in arrival order
        self.counters = {"busy": 0, "evicted": 0, "timeouts": 0, "too_long": 0, "oom": 0,
                         "bad": 0, "errors": 0}
        self.on_status = None  # fn(status) -> answer or None (see error_response)
        self.lazy = None  # fn(name, request, **segments): the answer of a route whose handler
        # is a string, the name of code the app loads for the request
        self.routes = []  # (methods, pattern, handler)
        self.before = []
        self.error_handlers = {}
        self.server = None  # the listening server once start_server has it (net/ota's probation)

    # Routing without regular expressions: a `routes` entry is (methods, pattern string,
    # handler), matched segment by segment. The firmware's patterns are literal segments and
    # `<name>` ones (one non-empty segment, passed to the handler as a string).
    def route(self, url_pattern, methods=None):
        if ":" in url_pattern:
            raise ValueError("typed URL segment: " + url_pattern)

        def decorated(f):
            self.routes.append((tuple(m.upper() for m in methods or ("GET",)), url_pattern, f))
            return f

        return decorated

    def before_request(self, f):
        self.before.append(f)
        return f

    def errorhandler(self, key):
        def decorated(f):
            self.error_handlers[key] = f
            return f

        return decorated

    def find_route(self, req):
        # -> the handler, 404 or 405, or the headers of an OPTIONS answer (a dict)
        method = req.method.upper()
        parts = req.path.split("/")
        if method == "OPTIONS":
            allow = []
            for methods, pattern, _ in self.routes:
                if _match(pattern, parts) is not None:
                    allow.extend(methods)
            if "GET" in allow:
                allow.append("HEAD")
            allow.append("OPTIONS")
            return {"Allow": ", ".join(allow)}
        if method == "HEAD":
            method = "GET"
        f = 404
        for methods, pattern, handler in self.routes:
            args = _match(pattern, parts)
            if args is not None:
                if method in methods:
                    req.url_args = args
                    return handler
                f = 405
        return f

    async def error_response(self, req, status):
        # An error status: its own handler (404), else on_status (the API's JSON error)
        h = self.error_handlers.get(status)
        if h is not None:
            return await _call(h, req)
        res = self.on_status(status) if self.on_status is not None else None
        return res if res is not None else Response(str(status), status)

    async def dispatch_request(self, req):
        """The Response for `req` (a handler's exception answers through its errorhandler,
        else 500)."""
        try:
            f = self.find_route(req)
            res = None
            if isinstance(f, dict):
                res = Response(b"", 200, f)
            elif isinstance(f, int):
                res = await self.error_response(req, f)
            else:
                for b in self.before:
                    res = await _call(b, req)
                    if res:
                        break
                if res is None:  # None: a 204 (_response)
                    if isinstance(f, str):  # a handler named, not loaded (Server.lazy)
                        res = await _call(self.lazy, f, req, **req.url_args)
                    else:
                        res = await _call(f, req, **req.url_args)
        except Exception as exc:
            res = None
            for cls, h in self.error_handlers.items():
                if not isinstance(cls, int) and isinstance(exc, cls):
                    res = await _call(h, req, exc)
                    break
            if res is None:
                res = await self.error_response(req, 500)
        return _response(res)

    async def start_server(self, host="0.0.0.0", port=80):
        """Listen on host:port and serve each connection (handle_request) until cancelled.

        Our own accept loop, not asyncio.start_server's: that one ends for good when the heap
        has no room for a connection's stream or task (a MemoryError out of its loop), and the
        server, its task and, through the watchdog, the board went with it. Here such a
        connection is closed and counted (oom), and the server listens on."""
        s = await self._listen(host, port)
        reaper = None
        try:
            self.server = s
            reaper = asyncio.create_task(self._reap())
            while True:
                try:
                    await _readable(s)  # pyright: ignore
                    c, addr = s.accept()
                except OSError:  # gone before it was taken
                    continue
                except MemoryError:  # not even the socket's object: a second later
                    self.counters["oom"] += 1
                    await asyncio.sleep_ms(1000)
                    continue
                try:
                    c.setblocking(False)
                    st = asyncio.StreamReader(c, {"peername": addr})  # pyright: ignore
                    asyncio.create_task(self.handle_request(st, st))
                except MemoryError:
                    self.counters["oom"] += 1
                    c.close()
        finally:
            self.server = None
            if reaper is not None:
                reaper.cancel()
            s.close()

    async def _listen(self, host, port):
        # The listening socket. A MemoryError (at boot the features may fill the heap for a
        # moment) is counted and tried again a second later, as an accept's: the heap's watch
        # (smsgw.app) decides when the heap is starved, not the first one.
        while True:
            s = None
            try:
                import socket  # (the virtual ESP32 board's is a module to load)

                ai = socket.getaddrinfo(host, port)[0]
                s = socket.socket()
                s.setblocking(False)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(ai[-1])
                s.listen(5)
                return s
            except MemoryError:
                if s is not None:
                    s.close()
                self.counters["oom"] += 1
            await asyncio.sleep_ms(1000)

    async def _reap(self):
        # allocates nothing: it runs however short the heap is (a MemoryError here ended it)
        while True:
            await asyncio.sleep_ms(_REAP_MS)
            now = ticks_ms()
            i = len(self.conns)
            while i:
                i -= 1
                c = self.conns[i]
                if c[1] is not None and ticks_diff(now, c[1]) >= 0:
                    self.counters["timeouts"] += 1
                    self._drop(c)

    def _drop(self, c):
        # Free the slot now; the task closes its socket when the cancel reaches it.
        self.conns.remove(c)
        c[1] = None
        c[0].cancel()

    def _slot(self):
        if len(self.conns) < self.max_conn:
            return True
        for c in self.conns:
            if c[2]:  # the oldest connection still reading its request
                self.counters["evicted"] += 1
                self._drop(c)
                return True
        return False

    async def handle_request(self, reader, writer):
        # Nothing may leave this coroutine: an exception here would reach the loop's handler,
        # which resets the board (a MemoryError building even the refusal included).
        out = None
        try:
            out = await self._admit(reader, writer)
        except MemoryError:
            self.counters["oom"] += 1
        except Exception:  # a client's trouble (reset, garbage) is no fault of the gateway
            self.counters["errors"] += 1
        await _answer_and_close(writer, out)

    async def _admit(self, reader, writer):
        # -> bytes of an error answer to send before closing, or None
        if not self._slot():
            self.counters["busy"] += 1
            return _refusal(503, "server busy, retry later")
        me = [asyncio.current_task(), ticks_add(ticks_ms(), self.read_ms), True]
        self.conns.append(me)
        try:
            return await self._serve(reader, writer, me)
        except asyncio.CancelledError:  # deadline or evicted: the client gets a 408 if reading
            return _refusal(_TIMED_OUT) if me[2] else None
        finally:
            if me in self.conns:
                self.conns.remove(me)

    async def _serve(self, reader, writer, me):
        # -> bytes of an error answer to send before closing, or None (answered or gone)
        lr = LineReader(reader, self.max_line, self.max_head, False)
        try:
            req, length = await self._read_head(lr, writer)
            if req is not None and length <= self.max_body:
                req.body = await lr.readexactly(length) if length else b""
        except TooLong:
            self.counters["too_long"] += 1
            return _refusal(431)
        except MemoryError:
            self.counters["oom"] += 1
            import gc

            gc.collect()
            return _refusal(503)
        except (OSError, EOFError):  # the client went away (mid-request: nothing is dispatched)
            return None
        except Exception:  # malformed request line, header, Content-Length or query
            self.counters["bad"] += 1
            return _refusal(400)
        if req is None:  # a blank request line: nothing to answer
            return None
        me[1], me[2] = None, False  # dispatching: our own code, not a client's to hold up
        if length > self.max_body:  # refused unread
            res = _response(await self.error_response(req, 413))
        else:
            res = await self.dispatch_request(req)
        me[1] = ticks_add(ticks_ms(), _WRITE_MS)
        await res.write(writer, req.method == "HEAD")
        return None

    async def _read_head(self, lr, writer):
        # -> (Request or None for a blank line, Content-Length); raises ValueError (400)
        line = (await lr.readline()).strip().decode()
        if not line:
            return None, 0
        method, url, version = line.split()
        if "/" not in version:
            raise ValueError("HTTP version")
        headers = {}
        while True:
            line = (await lr.readline()).strip().decode()
            if not line:
                break
            name, value = line.split(":", 1)
            headers[name.lower()] = value.strip()
        length = int(headers.get("content-length", 0))
        if length < 0:
            raise ValueError("Content-Length")
        return Request(method, url, headers, writer.get_extra_info("peername")), length


def _match(pattern, parts):
    # {name: segment} when the path's segments (`parts`: path.split("/")) fit the pattern's
    want = pattern.split("/")
    if len(want) != len(parts):
        return None
    args = {}
    for w, v in zip(want, parts):
        if w[:1] == "<":
            if not v:
                return None
            args[w[1:-1]] = v
        elif w != v:
            return None
    return args


async def _answer_and_close(writer, data):
    # Best effort and never waiting on the client: one non-blocking write, then close.
    try:
        if data:
            writer.write(data)
        await writer.aclose()
    except Exception:  # the socket may be dead already; nothing is owed to this client
        pass
