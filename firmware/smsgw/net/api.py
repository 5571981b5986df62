# The HTTP API (net/httpd.py), in the shape of android-sms-gateway's local server:
#   POST /message | /messages           -> 202 status object (outbox.submit; priority >= 100
#                                          only with api.allow_priority, else 400; the same
#        [?skipPhoneValidation=true]        id with another body: 409)
#   GET  /messages?state=&limit=&offset=&from=&to=&deviceId= -> [status], X-Total-Count
#   GET  /messages/<id> | /message/<id>  -> status;  DELETE the same -> cancel while Pending
#   GET  /inbox?type=&limit=&offset=&from=&to=&deviceId= -> received messages, X-Total-Count
#                                           (list parameters: net/query.py)
#   GET  /health                         -> health document (credentials needed; without
#                                           them only {"status"}), HTTP 500 when "fail"
#   GET  / (no auth)                     -> the web page for a browser (net/web.py), else JSON
#   GET  /ui/<file> (no auth)            -> the page's CSS and JS (net/web.py)
#   /device(s), /logs, /ussd, /settings, -> modules imported on their first request
#   /webhook(s), /alerts                    (net/ondemand.py: listed in _ONDEMAND)
# Only sending is handled here; the other endpoints are routes named "module:function",
# imported for each request (on_use: net/messages_api.py, net/health.py, net/web.py).
# HTTP Basic auth (constant-time compare) on everything but /ui/, / and the bare /health; a
# client failing it too often gets 429 for a while (net/backoff.py). Errors are JSON
# {"message": ...} with 400/401/404/405/408/409/413/429/431/500/503, never a traceback.
# Connection, deadline and size limits (408/431/503 when busy or out of memory) are
# httpd.Server's; request bodies are limited to http.max_body bytes (413). Feature modules add
# routes to the returned app (e.g. ota) with @app.route(...) and reuse
# `json_body(request)` for parsing.
import json



def _eq(a, b):
    """Compare two byte strings in time independent of where they differ."""
    diff = len(a) ^ len(b)
    for i in range(len(b)):
        diff |= (a[i] if i < len(a) else 0) ^ b[i]
    return diff == 0


# "|<status> <text>|" tables: constant strings, not dicts built in the heap at import
_REASONS = ("|200 OK|202 Accepted|400 Bad Request|401 Unauthorized|404 Not Found"
            "|405 Method Not Allowed|409 Conflict|413 Payload Too Large|429 Too Many Requests"
            "|500 Internal Server Error|503 Service Unavailable|")
# the answers of the error statuses without a handler of their own (httpd.Server.on_status)
_MESSAGES = ("|400 bad request|405 method not allowed|413 payload too large (max %d bytes)"
             "|500 internal error|")


def _text(table, status):
    k = table.find("|%d " % status)
    return None if k < 0 else table[k + 5 : table.find("|", k + 1)]


def reply(body, status=200, headers=None):
    """A JSON response with a proper reason phrase."""
    from smsgw.net.httpd import Response

    return Response(body, status, headers, reason=_text(_REASONS, status))


def error(status, msg, headers=None):
    return reply({"message": msg}, status, headers)


def json_body(request):
    """The request body parsed as JSON; raises ValueError with a client-facing message."""
    try:  # parsed from the bytes as read: a decoded copy needs a 2nd contiguous block
        return json.loads(request.body)
    except (ValueError, UnicodeError):  # UnicodeError: not UTF-8
        raise ValueError("malformed JSON body")


def basic_auth(user, password):
    """The Authorization header value these credentials send."""
    import binascii

    return b"Basic " + binascii.b2a_base64(("%s:%s" % (user, password)).encode()).strip()


def _authorizer(ctx, app):
    # -> check(request): None when the Basic credentials match `app.auth`, else the error
    # answer (a new API password replaces app.auth: net/setup.py).
    # A client that failed too often gets 429 without its credentials being looked at
    # (net/backoff.py, app.backoff from the first failed login on), so guessing costs time;
    # the owner elsewhere is not locked out.
    app.auth = basic_auth(ctx.cfg["api"]["user"], ctx.cfg["api"]["password"])
    app.backoff = None

    def check(request):
        b = app.backoff
        k = b.key(request.client_addr) if b else None
        wait = b.wait_s(k) if b else 0
        if wait:
            b.refused += 1
            return error(429, "too many failed logins, retry later",
                         {"Retry-After": str(wait)})
        if _eq(request.headers.get("authorization", "").encode(), app.auth):
            if b:
                b.ok(k)
            return None
        ctx.auth_failures += 1
        if b is None:
            from smsgw.net.backoff import Backoff

            b = app.backoff = Backoff()
            k = b.key(request.client_addr)
        b.failed(k)
        # No challenge for the web page's own calls: it would open the browser's login
        # dialog over the page's form (and hold the request until it is answered).
        if "x-requested-with" in request.headers:
            return error(401, "unauthorized")
        return error(401, "unauthorized", {"WWW-Authenticate": 'Basic realm="smsgate"'})

    return check


def client_priority_cap(cfg):
    """Highest priority an API/MQTT client may ask for: >= 100 (past the carrier caps and quiet
    hours) only with api.allow_priority; alert SMS and command replies keep theirs."""
    return 127 if cfg["api"].get("allow_priority") else 99


def make_app(ctx):
    """Build the HTTP app over the gateway context (ctx.cfg, .outbox, .inbox, ...)."""
    from smsgw.net.httpd import Server

    cfg = ctx.cfg
    http = cfg["http"]
    app = Server(http["max_connections"], http["read_timeout_s"] * 1000, http["max_header"],
                 1024, http["max_body"])
    check = _authorizer(ctx, app)
    public = ("/health", "/")
    prio_cap = client_priority_cap(cfg)

    @app.before_request
    async def _auth(request):
        ctx.requests += 1
        if request.path.startswith("/ui/") or (request.path in public and
                                                "authorization" not in request.headers):
            return None  # / and the status line of /health; with credentials, they count
        return check(request)

    @app.route("/message", methods=["POST"])
    @app.route("/messages", methods=["POST"])
    async def _send(request):
        try:
            body = json_body(request)
        except ValueError as e:
            return error(400, str(e))
        skip = request.args.get("skipPhoneValidation") == "true"
        status, obj = ctx.outbox.submit(body, prio_cap, skip)
        return reply(obj, status)

    # The other endpoints of the core stay on the flash until asked (on_use): a board that
    # only sends carries a route entry for each, not their code.
    app.route("/messages")("messages_api:listing")
    app.route("/messages/<mid>")("messages_api:one")
    app.route("/message/<mid>")("messages_api:one")
    app.route("/messages/<mid>", ("DELETE",))("messages_api:cancel")
    app.route("/message/<mid>", ("DELETE",))("messages_api:cancel")
    app.route("/inbox")("messages_api:inbox")
    app.route("/health")("health:answer")
    app.route("/")("web:root")
    app.route("/ui/<name>")("web:ui")
    app.lazy = lambda where, request, **segments: on_use(where, ctx, request, **segments)

    _on_404(app, ctx, check)
    max_body = cfg["http"]["max_body"]

    def _status(code):
        msg = _text(_MESSAGES, code)
        return None if msg is None else error(code, msg % max_body if code == 413 else msg)

    app.on_status = _status

    @app.errorhandler(Exception)
    async def _crash(request, exc):
        if isinstance(exc, MemoryError):  # no room for this request now, as httpd answers it
            import gc

            app.counters["oom"] += 1
            gc.collect()
            return error(503, "out of memory, retry later", {"Retry-After": "2"})
        ctx.api_errors += 1
        from smsgw import log

        log.exc("api", exc)
        return error(500, "internal error")

    return app


def oom(ctx):
    """The answer when a module imported on first use finds no heap block (the heap may be
    fragmented by then): "try again", not a 500. Counted (http `oom`) for the heap's watch
    (smsgw.app)."""
    import gc

    ctx.app.counters["oom"] += 1
    gc.collect()
    return error(503, "out of memory, retry later", {"Retry-After": "2"})


# What the endpoints of on_use load beside their own module: the JSON streamer, the time
# parser, the health document (/health/live), the list filters, the scheduled messages' order,
# the settings and their checks. Forgotten with the endpoint's module unless loaded before
# the request (something resident uses them: the alert unit's pacer, the sender's order).
_ALSO = ("smsgw.net.jsonout", "smsgw.rfc3339", "smsgw.net.health", "smsgw.net.query",
         "smsgw.queue.order", "smsgw.settings", "smsgw.section", "smsgw.net.webhook_cfg",
         "smsgw.alert", "smsgw.alert.limits")


async def on_use(where, ctx, request, keep=False, **segments):
    """Answer `request` with `where` ("module:function" in smsgw.net), imported for it and,
    unless `keep`, forgotten after it with what it loaded of _ALSO (an answer streamed
    afterwards keeps the code it runs until it is sent). The function may be a coroutine
    function."""
    from smsgw import forget, unloaded

    name, fn = where.split(":")
    fresh = unloaded(*_ALSO)
    try:
        mod = __import__("smsgw.net." + name, None, None, [fn])
    except MemoryError:
        forget(*fresh)
        return oom(ctx)
    try:
        res = getattr(mod, fn)(ctx, request, **segments)
        return (await res) if hasattr(res, "send") else res
    finally:
        if not keep:
            forget("smsgw.net." + name, *fresh)


# First path segments of the endpoints net/ondemand.py serves (their modules are imported on
# their first request): any other unknown path is a 404 without importing anything.
_ONDEMAND = " device devices logs ussd settings webhooks webhook alerts auth health inbox media "


def _on_404(app, ctx, check):
    @app.errorhandler(404)
    async def _h(request):  # no route matched: maybe an endpoint loaded on demand
        if " %s " % request.path.split("/")[1] not in _ONDEMAND:
            return error(404, "not found")
        try:
            from smsgw.net import ondemand
        except MemoryError:
            return oom(ctx)
        try:
            return await ondemand.dispatch(ctx, request, check)
        finally:
            from smsgw import forget

            forget("smsgw.net.ondemand")

