# The webhook endpoints (imported on their first request, smsgw.net.ondemand; the API's Basic
# auth covers them). Always served, as android-sms-gateway does: the first request starts the
# webhooks feature when the config has no `webhooks` section and no webhook was registered yet.
#   GET /webhooks                  -> [{"id", "url", "event"}]
#   POST /webhooks                 -> 201 stored object | 400
#   DELETE /webhooks/<id>          -> 204 | 404          (/webhook: the same, the app's alias)
#   GET /webhooks/dead             -> dead deliveries, oldest first
#   POST /webhooks/dead/replay     -> 200 {"replayed": n}; body {"ids": [event ids]} or none (all)
from smsgw.net.api import error, json_body

_FEATURE = "smsgw.net.webhooks"


def _hooks(ctx):
    hooks = ctx.features.get(_FEATURE)
    if hooks is None:
        from smsgw.net import webhooks

        hooks = ctx.features[_FEATURE] = webhooks.start(ctx)
    return hooks


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
    hooks = _hooks(ctx)
    try:
        if route == ("GET", "", 0):
            return hooks.hooks
        if route == ("POST", "", 0):
            status, obj = hooks.create(_body(req))
        elif route == ("GET", "dead", 1):
            return hooks.dead_list()
        elif route == ("POST", "dead", 2) and parts[1] == "replay":
            status, obj = hooks.replay(_body(req, True))
        elif m == "DELETE" and len(parts) == 1:
            if hooks.delete(parts[0]) == 404:
                return error(404, "webhook not found")
            return "", 204
        elif len(parts) > 2 or (parts and parts[0] != "dead" and m != "DELETE"):
            return error(404, "not found")
        else:
            return error(405, "method not allowed")
    except ValueError as exc:
        return error(400, str(exc))
    if status >= 400:
        return error(status, obj.get("message", "bad request"))
    return obj, status
