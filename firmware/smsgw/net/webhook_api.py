# The webhook endpoints (imported on their first request, smsgw.net.ondemand; the API's Basic
# auth covers them; what changes the registry or the dead letters is net/webhook_admin.py).
# Always served, as android-sms-gateway does: when boot did not start the webhooks feature
# (nothing to deliver to, smsgw.startup), the first registration (POST /webhooks) starts it;
# until then the other requests are answered without loading it.
#   GET /webhooks                  -> [{"id", "url", "event"}]
#   POST /webhooks                 -> 201 stored object | 400
#   DELETE /webhooks/<id>          -> 204 | 404          (/webhook: the same, the app's alias)
#   GET /webhooks/dead             -> dead deliveries, oldest first
#   POST /webhooks/dead/replay     -> 200 {"replayed": n}; body {"ids": [event ids]} or none (all)
from smsgw.net.api import error, json_body

_FEATURE = "smsgw.net.webhooks"
# what a request that changes the registry or the dead letters loads, forgotten after it
_ADMIN = ("smsgw.net.webhook_admin", "smsgw.net.url", "smsgw.net.webhook_target")


def _start(ctx):
    from smsgw.net import webhooks

    hooks = ctx.features[_FEATURE] = webhooks.start(ctx)
    return hooks


def _misroute(route):
    # the answer for a path or method none of the endpoints above has
    m, first, n = route
    if n > 2 or (n and first != "dead" and m != "DELETE"):
        return error(404, "not found")
    return error(405, "method not allowed")


def _idle(route, parts, req):
    # The feature is not running: no webhook is registered and no delivery or dead letter is
    # kept (smsgw.startup starts it at boot when there is one). Answer without loading it
    # (~20 KB of heap); only what may register a webhook starts it.
    if route == ("GET", "", 0) or route == ("GET", "dead", 1):
        return []
    if route == ("POST", "dead", 2) and parts[1] == "replay":
        return {"replayed": 0}
    if route[0] == "DELETE" and route[2] == 1:
        return error(404, "webhook not found")
    if route == ("POST", "", 0):
        try:
            b = json_body(req)
        except ValueError as exc:
            return error(400, str(exc))
        if not isinstance(b, dict) or not isinstance(b.get("url"), str) or \
                not isinstance(b.get("event"), str):
            return error(400, "url and event are required")
        return None  # looks like a registration: start the feature for it
    return _misroute(route)


def _body(req, optional=False):
    if optional and not req.body:
        return {}
    return json_body(req)


async def webhooks(ctx, req):
    """Answer one request under /webhooks (or /webhook) for the running Webhooks instance."""
    parts = req.path.rstrip("/").split("/")[2:]  # after "/webhooks"
    m = req.method
    if m == "HEAD":
        m = "GET"
    route = (m, parts[0] if parts else "", len(parts))
    hooks = ctx.features.get(_FEATURE)
    if hooks is None:
        idle = _idle(route, parts, req)
        if idle is not None:
            return idle
        hooks = _start(ctx)
    if route == ("GET", "", 0):
        return hooks.hooks
    from smsgw import forget
    from smsgw.net import webhook_admin as admin

    try:
        if route == ("POST", "", 0):
            status, obj = admin.create(hooks, _body(req))
        elif route == ("GET", "dead", 1):
            return admin.dead_list(hooks)
        elif route == ("POST", "dead", 2) and parts[1] == "replay":
            status, obj = admin.replay(hooks, _body(req, True))
        elif m == "DELETE" and len(parts) == 1:
            if admin.delete(hooks, parts[0]) == 404:
                return error(404, "webhook not found")
            return "", 204
        else:
            return _misroute(route)
    except ValueError as exc:
        return error(400, str(exc))
    finally:
        forget(*_ADMIN)
    if status >= 400:
        return error(status, obj.get("message", "bad request"))
    return obj, status
