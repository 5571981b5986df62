# The HTTP server's limits around microdot. microdot parses and dispatches; this
# subclass only decides what one client may cost an ESP32 (~10 lwIP sockets, a small heap):
# - at most `max_conn` connections at once: a newcomer takes the slot of the connection that has
#   been reading its request longest, else (all slots busy answering) it gets a short 503 and
#   is closed at once (nothing read, no socket kept);
# - a deadline for reading the request (line, headers, body: 408) and one for writing the answer,
#   kept by one reaper task instead of a wait_for (two tasks) per request;
# - request lines of at most Request.max_readline bytes, a header block of at most `max_head`
#   (431; read through LineReader, so the heap never holds more than that); bodies over
#   Request.max_content_length are refused unread by microdot (413);
# - anything one client raises (MemoryError included) ends that client: nothing reaches the
#   event loop, whose handler resets the board.
import asyncio
from time import ticks_add, ticks_diff, ticks_ms

from microdot import Microdot, Request
from micropython import const

from smsgw.net.lines import LineReader, TooLong

TYPE_CHECKING = const(False)
if TYPE_CHECKING:  # the type checker's view only (tools/typecheck.sh); never runs
    from typing import Callable

_REAP_MS = const(500)  # how often deadlines are checked
_WRITE_MS = const(30000)  # an answer not taken by the client in this time is dropped
_MESSAGES = {400: ("Bad Request", "bad request"),
             408: ("Request Timeout", "request not received in time"),
             431: ("Request Header Fields Too Large", "request line or headers too large"),
             503: ("Service Unavailable", "out of memory, retry later")}
_TIMED_OUT = const(408)


def _refusal(status, msg=None):
    # A short JSON error written without microdot (there may be no request object).
    reason, text = _MESSAGES[status]
    msg = msg or text
    body = '{"message": "%s"}' % msg
    extra = "Retry-After: 2\r\n" if status == 503 else ""
    return ("HTTP/1.1 %d %s\r\n%sConnection: close\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n%s" % (status, reason, extra, len(body), body)).encode()


class Server(Microdot):
    """microdot with per-connection limits (see the module comment).

    Args: max_conn: connections served at once; read_ms: deadline for a whole request;
    max_head: bytes of request line + headers.
    counters: busy (refused, all slots answering), evicted (slot given to a newcomer),
    timeouts (408 or answer not taken), too_long (431), oom (MemoryError), bad (400), errors.
    """

    # bare annotations: no code on MicroPython
    routes: "list[tuple[tuple, str, Callable]]"
    on_status: "Callable[[int], object] | None"

    def __init__(self, max_conn=4, read_ms=5000, max_head=4096):
        super().__init__()
        self.max_conn = max_conn
        self.read_ms = read_ms
        self.max_head = max_head
        self.conns = []  # [task, deadline (ticks) or None, reading] in arrival order
        self.counters = {"busy": 0, "evicted": 0, "timeouts": 0, "too_long": 0, "oom": 0,
                         "bad": 0, "errors": 0}
        self.on_status = None  # fn(status) -> answer or None (see error_response)
        self.routes = []  # (methods, pattern, handler): the routing below, not microdot's url_map

    async def error_response(self, req, status_code, reason=None):
        # An error status without a handler of its own answers through on_status (the API's
        # JSON error): one function for them all instead of a handler closure per status
        if self.on_status is not None and status_code not in self.error_handlers:
            res = self.on_status(status_code)
            if res is not None:
                return res
        return await super().error_response(req, status_code, reason)

    # Routing without regular expressions: microdot's route table (url_map, left empty) holds a
    # URLPattern per route, which compiles a regex the first time it is tried and keeps it and
    # a dict per segment (~2 KB for the API's routes). Here a `routes` entry is (methods,
    # pattern string, handler), matched segment by segment. The firmware's patterns are literal
    # segments and `<name>` ones (one non-empty segment, passed as a string: microdot's default
    # type); typed ones are refused, and this app is not mounted into another (microdot's
    # mount() would need URLPatterns).
    def route(self, url_pattern, methods=None):
        if ":" in url_pattern:
            raise ValueError("typed URL segment: " + url_pattern)

        def decorated(f):
            self.routes.append((tuple(m.upper() for m in methods or ("GET",)), url_pattern, f))
            return f

        return decorated

    def find_route(self, req):
        # microdot's find_route, matching with _match
        method = req.method.upper()
        if method == "OPTIONS" and self.options_handler:
            return self.options_handler(req), "", None
        if method == "HEAD":
            method = "GET"
        f = 404
        parts = req.path.split("/")
        for methods, pattern, handler in self.routes:
            args = _match(pattern, parts)
            if args is not None:
                if method in methods:
                    # microdot's dispatch passes them to the handler (its find_route sets them)
                    req.url_args = args  # pyright: ignore[reportAttributeAccessIssue]
                    return handler, "", None
                f = 405
        return f, "", None

    def default_options_handler(self, req):
        parts = req.path.split("/")
        allow = []
        for methods, pattern, _ in self.routes:
            if _match(pattern, parts) is not None:
                allow.extend(methods)
        if "GET" in allow:
            allow.append("HEAD")
        allow.append("OPTIONS")
        return {"Allow": ", ".join(allow)}

    async def start_server(self, *args, **kw):
        reaper = asyncio.create_task(self._reap())
        try:
            await super().start_server(*args, **kw)
        finally:
            reaper.cancel()

    async def _reap(self):
        while True:
            await asyncio.sleep(_REAP_MS / 1000)
            now = ticks_ms()
            for c in [c for c in self.conns if c[1] is not None and ticks_diff(now, c[1]) >= 0]:
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
        lr = LineReader(reader, Request.max_readline, self.max_head, False)
        try:
            # microdot only reads through readline/read/readexactly: LineReader has those
            req = await Request.create(self, lr,  # pyright: ignore[reportArgumentType]
                                       writer, writer.get_extra_info("peername"))
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
        except Exception:  # malformed request line, header or Content-Length
            self.counters["bad"] += 1
            return _refusal(400)
        if req is None:  # a blank request line: nothing to answer
            return None
        me[1], me[2] = None, False  # dispatching: our own code, not a client's to hold up
        res = await self.dispatch_request(req)
        me[1] = ticks_add(ticks_ms(), _WRITE_MS)
        if res is not res.already_handled:
            await res.write(writer)
        return None


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
