# heapsize: 160K (the streamed test reads its 13 KB answer into one bytes object)
# The firmware's HTTP server (net/httpd.py) on MicroPython, over real sockets: what it parses
# (query, percent escapes, header names, bodies), how it routes (segments, 405, OPTIONS, HEAD,
# handlers named by a string), what handlers may answer (dict, str, None, tuple, a generator),
# errors through their handlers, 413 unread, and a streamed body closed when the client goes
# away.
import asyncio

from localnet import serve
from smsgw.net.httpd import Response, Server, urldecode
from smsgw.tasks import cancel_and_wait


def _app():
    app = Server(max_conn=2, read_ms=5000, max_head=2048, max_line=512, max_body=64)
    seen = {}

    @app.route("/echo/<name>", methods=["GET", "POST"])
    async def echo(req, name):
        seen["req"] = req
        return {"name": name, "args": req.args, "body": req.body.decode(),
                "agent": req.headers.get("user-agent")}

    @app.route("/text")
    async def text(req):
        return "plain"

    @app.route("/none", methods=["DELETE"])
    async def none(req):
        return None

    @app.route("/tuple")
    async def tup(req):
        return {"made": True}, 201, {"X-Made": "yes"}

    @app.route("/boom")
    async def boom(req):
        raise KeyError("boom")

    @app.route("/stream")
    async def stream(req):
        n = int(req.args.get("n", "200"))
        return Response(_pieces(seen, n), 200, {"Content-Type": "text/plain"})

    app.route("/lazy/<name>", methods=["GET", "DELETE"])("lazy:answer")  # named, not loaded

    async def lazy(where, req, name):  # what the API's on_use does: import `where`, call it
        seen["lazy"] = where
        return {"where": where, "name": name, "method": req.method}

    app.lazy = lazy

    @app.errorhandler(404)
    async def missing(req):
        return {"missing": req.path}, 404

    @app.errorhandler(Exception)
    async def crashed(req, exc):
        return {"crash": type(exc).__name__}, 500

    return app, seen


def _pieces(seen, n):
    # a streamed body; `closed` tells whether the server closed it (it may hold a file open),
    # `sent` how many pieces it took
    seen["closed"] = False
    seen["sent"] = 0
    try:
        for i in range(n):
            yield "piece %05d ......................................................\n" % i
            seen["sent"] += 1
    finally:
        seen["closed"] = True


async def _exchange(port, raw, read=True):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(raw)
    await w.drain()
    out = b""
    if read:
        while True:
            chunk = await r.read(512)
            if not chunk:
                break
            out += chunk
    w.close()
    await w.wait_closed()
    return out


def _parse(out):
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {}
    for h in lines[1:]:
        k, v = h.split(": ", 1)
        headers[k.lower()] = v
    return lines[0], headers, body


async def _served(fn):
    # handle_request served as start_server serves it (localnet picks a free port)
    app, seen = _app()
    srv, port = await serve(app.handle_request)
    try:
        await fn(app, seen, port)
    finally:
        srv.close()
        await srv.wait_closed()


def test_urldecode():
    assert urldecode("a+b%20c%C3%A9") == "a b cé"
    assert urldecode(b"100%25") == "100%"
    assert urldecode("50%") == "50%" and urldecode("a%%") == "a%%"
    for bad in ("%zz", "%ff"):
        try:
            urldecode(bad)
        except (ValueError, UnicodeError):
            continue
        raise AssertionError("accepted " + bad)


async def test_query_header_names_and_body():
    async def run(app, seen, port):
        out = await _exchange(port, b"POST /echo/bob?x=1&x=2&y=a%2Fb&flag HTTP/1.1\r\n"
                                    b"User-Agent: t/1\r\nContent-Length: 5\r\n\r\nhello")
        status, headers, body = _parse(out)
        assert status == "HTTP/1.0 200 OK", status
        assert headers["content-type"] == "application/json; charset=UTF-8"
        assert int(headers["content-length"]) == len(body)
        import json

        doc = json.loads(body)
        # the first value of a repeated name, as microdot's MultiDict.get gave it
        assert doc == {"name": "bob", "args": {"x": "1", "y": "a/b", "flag": ""},
                       "body": "hello", "agent": "t/1"}, doc
        assert seen["req"].method == "POST" and seen["req"].path == "/echo/bob"

    await _served(run)


async def test_routing_answers():
    async def run(app, seen, port):
        status, headers, body = _parse(await _exchange(port, b"GET /text HTTP/1.0\r\n\r\n"))
        assert (status, body) == ("HTTP/1.0 200 OK", b"plain")
        assert headers["content-type"] == "text/plain; charset=UTF-8"
        status, headers, body = _parse(await _exchange(port, b"HEAD /text HTTP/1.0\r\n\r\n"))
        assert status == "HTTP/1.0 200 OK" and body == b"" and headers["content-length"] == "5"
        status, _, body = _parse(await _exchange(port, b"DELETE /none HTTP/1.0\r\n\r\n"))
        assert status == "HTTP/1.0 204 N/A" and body == b""
        status, headers, body = _parse(await _exchange(port, b"GET /tuple HTTP/1.0\r\n\r\n"))
        assert status == "HTTP/1.0 201 N/A" and headers["x-made"] == "yes"
        assert body == b'{"made": true}'
        status, _, body = _parse(await _exchange(port, b"GET /nowhere/x HTTP/1.0\r\n\r\n"))
        assert status == "HTTP/1.0 404 N/A" and body == b'{"missing": "/nowhere/x"}'
        status, _, _ = _parse(await _exchange(port, b"PUT /text HTTP/1.0\r\n\r\n"))
        assert status == "HTTP/1.0 405 N/A", status
        status, headers, _ = _parse(await _exchange(port, b"OPTIONS /echo/x HTTP/1.0\r\n\r\n"))
        assert status == "HTTP/1.0 200 OK" and headers["allow"] == "GET, POST, HEAD, OPTIONS"
        # an empty segment does not match <name>
        status, _, _ = _parse(await _exchange(port, b"GET /echo/ HTTP/1.0\r\n\r\n"))
        assert status == "HTTP/1.0 404 N/A"
        status, _, body = _parse(await _exchange(port, b"GET /boom HTTP/1.0\r\n\r\n"))
        assert status == "HTTP/1.0 500 N/A" and body == b'{"crash": "KeyError"}'
        # a handler that is a string: answered by Server.lazy with the segments, any method
        status, _, body = _parse(await _exchange(port, b"DELETE /lazy/ann HTTP/1.0\r\n\r\n"))
        assert status == "HTTP/1.0 200 OK", status
        import json

        doc = json.loads(body)
        assert doc == {"where": "lazy:answer", "name": "ann", "method": "DELETE"}, doc
        status, headers, _ = _parse(await _exchange(port, b"OPTIONS /lazy/x HTTP/1.0\r\n\r\n"))
        assert headers["allow"] == "GET, DELETE, HEAD, OPTIONS", headers
        seen.pop("lazy")
        status, _, _ = _parse(await _exchange(port, b"POST /lazy/x HTTP/1.0\r\n\r\n"))
        assert status == "HTTP/1.0 405 N/A" and "lazy" not in seen, status

    await _served(run)


async def test_bad_requests_and_a_body_too_large():
    async def run(app, seen, port):
        for raw in (b"GET /text\r\n\r\n", b"GET /text HTTP/1.0\r\nNoColon\r\n\r\n",
                    b"GET /echo/a?q=%zz HTTP/1.0\r\n\r\n",
                    b"POST /echo/a HTTP/1.0\r\nContent-Length: x\r\n\r\n",
                    b"POST /echo/a HTTP/1.0\r\nContent-Length: -1\r\n\r\n"):
            status, _, body = _parse(await _exchange(port, raw))
            assert status == "HTTP/1.1 400 Bad Request", (raw, status)
        assert app.counters["bad"] == 5
        # over max_body: refused without reading it, answered through on_status when set
        app.on_status = lambda code: Response({"too": "large"}, code) if code == 413 else None
        seen.pop("req", None)
        status, _, body = _parse(await _exchange(
            port, b"POST /echo/a HTTP/1.0\r\nContent-Length: 100000\r\n\r\n"))
        assert status == "HTTP/1.0 413 N/A" and body == b'{"too": "large"}', (status, body)
        assert "req" not in seen  # the handler never ran
        status, _, _ = _parse(await _exchange(port, b"GET /text HTTP/1.0\r\nX: " + b"a" * 600
                                              + b"\r\n\r\n"))
        assert status.startswith("HTTP/1.1 431"), status
        assert app.conns == []

    await _served(run)


async def test_streamed_body_goes_out_whole_and_is_closed_when_the_client_leaves():
    async def run(app, seen, port):
        status, headers, body = _parse(await _exchange(port, b"GET /stream HTTP/1.0\r\n\r\n"))
        assert status == "HTTP/1.0 200 OK" and "content-length" not in headers
        assert body.count(b"\n") == 200 and seen["closed"]
        # HEAD: the head only
        status, _, body = _parse(await _exchange(port, b"HEAD /stream HTTP/1.0\r\n\r\n"))
        assert status == "HTTP/1.0 200 OK" and body == b""
        # a client that asks for 1.4 MB and leaves without reading: the writes fail, the body
        # is closed halfway, and that client's trouble is counted nowhere as the gateway's
        seen["closed"] = None
        await _exchange(port, b"GET /stream?n=20000 HTTP/1.0\r\n\r\n", read=False)
        for _ in range(500):
            if seen["closed"]:
                break
            await asyncio.sleep_ms(10)
        assert seen["closed"] is True and seen["sent"] < 20000, seen
        assert app.conns == [] and app.counters["errors"] == 0, app.counters

    await _served(run)


async def _text_once_listening(port):
    # GET /text until the server listens (again) and answers, within ~5 s; b"" if it never did
    for _ in range(100):
        try:
            answer = await asyncio.wait_for_ms(_exchange(port, b"GET /text HTTP/1.0\r\n\r\n"),
                                               500)
        except (OSError, asyncio.TimeoutError):  # refused, or the lost connection
            await asyncio.sleep_ms(50)
            continue
        if answer:
            return answer
    return b""


async def test_no_heap_at_an_accept_and_the_server_listens_again():
    # asyncio's accept loop ended when a connection found no heap (its stream, its task): the
    # server's task ended with it, and the board reset
    from asyncio import stream
    from localnet import free_port

    port = free_port()
    app, seen = _app()
    task = asyncio.create_task(app.start_server("127.0.0.1", port))
    real, short = stream.Stream, [1]

    def no_heap(*args):
        if short[0] and len(args) == 2:  # an accepted connection's stream, not a client's
            short[0] -= 1
            raise MemoryError("memory allocation failed, allocating 64 bytes")
        return real(*args)

    # both names of MicroPython's one Stream class: asyncio's server loop made it as the one,
    # the gateway's makes it as the other
    asyncio.StreamReader = stream.Stream = no_heap
    try:
        answer = await _text_once_listening(port)
        assert answer.endswith(b"plain"), (answer, app.counters)
        assert short[0] == 0 and app.counters["oom"] == 1 and not task.done()
    finally:
        asyncio.StreamReader = stream.Stream = real
        await cancel_and_wait(task)  # its socket closed before the next test


async def test_no_heap_for_the_listening_socket_and_the_server_tries_again():
    # at boot the features may fill the heap for a moment: the server's task ended on the
    # first MemoryError making its socket, and the board reset; now it counts it and tries
    # again a second later (the heap's watch decides when the heap is starved)
    import socket
    import sys

    from localnet import free_port

    port = free_port()
    app, seen = _app()
    short = [2]

    class _Socket:  # the built-in module's attributes cannot be replaced: a stand-in
        def __getattr__(self, name):
            return getattr(socket, name)

        def getaddrinfo(self, *args):
            if short[0]:
                short[0] -= 1
                raise MemoryError("memory allocation failed, allocating 752 bytes")
            return socket.getaddrinfo(*args)

    sys.modules["socket"] = _Socket()
    task = asyncio.create_task(app.start_server("127.0.0.1", port))
    try:
        for _ in range(100):  # the server's two tries, a second apart
            if not short[0]:
                break
            await asyncio.sleep_ms(50)
        sys.modules.pop("socket", None)  # the built-in again, for the client too
        answer = await _text_once_listening(port)
        assert answer.endswith(b"plain"), (answer, app.counters)
        assert short[0] == 0 and app.counters["oom"] == 2 and not task.done()
    finally:
        sys.modules.pop("socket", None)  # the built-in again
        await cancel_and_wait(task)  # its socket closed before the next test
