# Endpoints whose module is imported on their first request, so that the core's heap carries
# neither their code nor route entries: smsgw.net.api's 404 handler (no route matched) hands a
# request here when its first path segment is in api._ONDEMAND. ENDPOINTS maps that segment to
# "module:function" in smsgw.net, called as function(ctx, request) after the auth check
# (api.on_use imports it); the function answers 404/405 itself for what it does not serve
# (misrouted(), imported where it is called). This module too is imported for the request and
# forgotten after it.
from smsgw.net.api import error, on_use

ENDPOINTS = {  # keep api._ONDEMAND (the keys) in step
    "device": "device_api:device",
    "devices": "device_api:device",
    "logs": "logs_api:logs",
    "ussd": "ussd_api:ussd",
    "settings": "settings_api:settings",
    "webhooks": "webhook_api:webhooks",
    "webhook": "webhook_api:webhooks",
    "alerts": "alerts_api:alerts",
    "auth": "unsupported_api:unsupported",
    "health": "unsupported_api:unsupported",
    "inbox": "unsupported_api:unsupported",
    "media": "unsupported_api:unsupported",
}


# Modules forgotten after their request: their code leaves the heap (the names they interned
# stay); but ussd_api, which forgets itself when its USSD session ends (one at a time: a
# request meanwhile must find it busy).
_KEEP = ("ussd_api",)


async def dispatch(ctx, request, check):
    """Answer `request` with its on-demand endpoint; `check` is the API's auth check (None when
    the credentials are good, else the answer)."""
    where = ENDPOINTS[request.path.split("/")[1]]
    ctx.requests += 1
    denied = check(request)
    if denied:
        return denied
    return await on_use(where, ctx, request, where.split(":")[0] in _KEEP)


def misrouted(request, method, *paths):
    """The 404/405 answer when `request` is not `method` on one of `paths` (None: it is)."""
    if request.path not in paths:
        return error(404, "not found")
    if request.method != method and not (method == "GET" and request.method == "HEAD"):
        return error(405, "method not allowed")
    return None
