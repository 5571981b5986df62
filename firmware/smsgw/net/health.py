# The /health document (android-sms-gateway's shape): {"status": pass|warn|fail, "version",
# "releaseId", "checks": {name: {description, observedUnit, observedValue, status}}}.
# Overall status is the worst check. Also pushed as system:ping by feature modules.
import time

_RANK = {"pass": 0, "warn": 1, "fail": 2}
_BOOT_GRACE_MS = 120000  # a modem not ready this long after boot is a failure, not a warning


def _check(desc, unit, value, status):
    return {"description": desc, "observedUnit": unit, "observedValue": value, "status": status}


def _http(app):
    # the server's limits at work (httpd.Server.counters) and logins refused by the backoff
    c = dict(getattr(app, "counters", None) or {})
    b = getattr(app, "backoff", None)
    if b is not None:
        c["auth_locked"] = b.refused
    return c


def answer(ctx, request):
    """GET /health: the document with credentials; without them only its status (what a load
    balancer needs). HTTP 500 when the status is "fail". Imported for each request
    (api.on_use): polled, but not on the way of an SMS."""
    from smsgw.net.api import reply

    doc = build(ctx)
    code = 500 if doc["status"] == "fail" else 200
    if "authorization" not in request.headers:
        return reply({"status": doc["status"]}, code)
    from smsgw.net.jsonout import json_stream

    return json_stream(doc, code)


def build(ctx):
    """The health document of the running gateway context."""
    from smsgw import VERSION, events

    checks = {}
    ms = getattr(ctx.modem, "status", None) or {}
    up = time.ticks_diff(time.ticks_ms(), ctx.started)
    ready = bool(ms.get("ready"))
    checks["modem"] = _check("modem answers and is ready for SMS", "boolean", ready,
                             "pass" if ready else ("warn" if up < _BOOT_GRACE_MS else "fail"))
    reg = bool(ms.get("registered"))
    checks["registration"] = _check("registered on the network", "boolean", reg,
                                    "pass" if reg else "warn")
    rssi = ms.get("rssi")
    checks["signal"] = _check("signal quality (CSQ 0-31, 99 unknown)", "CSQ", rssi,
                              "pass" if rssi is not None and 5 <= rssi <= 31 else "warn")
    ob = ctx.outbox
    depth = ob.pending()
    checks["queue:depth"] = _check("messages not yet sent", "messages", depth,
                                   "fail" if depth >= ob.max_pending else
                                   "warn" if depth * 5 >= ob.max_pending * 4 else "pass")
    now = events.now()
    failed = len([t for t in ob.failed_at if now - t < 3600])
    checks["messages:failed"] = _check("failed messages in the last hour", "messages", failed,
                                       "warn" if failed else "pass")
    free = ob.store.free_bytes()
    checks["storage:free"] = _check("free flash", "bytes", free,
                                    "fail" if free < ob.store.min_free else
                                    "warn" if free < 2 * ob.store.min_free else "pass")
    sup = getattr(ctx.supervisor, "counters", None) or {}
    if not ready and sup.get("last_error"):  # why not ready (e.g. a SIM PIN not sent again)
        checks["modem"]["output"] = sup["last_error"]
    rec = sup.get("recoveries", 0) + sup.get("reinits", 0)
    checks["recovery"] = _check("modem recoveries and re-inits since boot", "actions", rec,
                                "warn" if sup.get("failures") else "pass")
    checks["memory:heap"] = _check("live heap after gc, now / high-water (sampled 2/s)", "bytes",
                                   [ctx.mem_now(), ctx.mem_peak], "pass")
    checks["uptime"] = _check("seconds since boot", "s", up // 1000, "pass")
    for name, fn in ctx.health_checks.items():  # added by feature modules
        try:
            checks[name] = fn()
        except Exception as e:
            checks[name] = _check(name, "error", str(e), "warn")
    worst = "pass"
    for c in checks.values():
        if _RANK.get(c["status"], 0) > _RANK[worst]:
            worst = c["status"]
    return {"status": worst, "version": VERSION, "releaseId": 1, "checks": checks,
            "counters": {"outbox": ob.counters, "inbox": ctx.inbox.counters, "supervisor": sup,
                         "modem": ms.get("counters"), "api": [ctx.requests, ctx.auth_failures,
                                                              ctx.api_errors],
                         "http": _http(ctx.app),
                         "store_writes": ob.store.writes, "events_errors": events.errors}}
