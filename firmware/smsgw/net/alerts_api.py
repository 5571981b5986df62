# GET /alerts and POST /alerts/<rule>/ack (imported on their first request, smsgw.net.api's lazy
# routes): the alert unit's input rules (smsgw.alert.rules) and their state, and an
# acknowledgement from the API's user through the engine's own ACK path (Engine.ack_rule: the
# same transition and confirmation SMS as an "ACK <code>" reply). Served only while the alert
# unit runs with rules; 404 otherwise.
from smsgw.net.api import error, reply


def _engine(ctx):
    unit = ctx.features.get("smsgw.alert")
    return getattr(unit, "engine", None)


async def alerts(ctx, request):
    """GET /alerts: [rule view]; POST /alerts/<name>/ack: 200 with the rule acknowledged,
    404 no such rule (or no rules configured), 409 the rule has no open alert."""
    from smsgw.net.ondemand import misrouted

    eng = _engine(ctx)
    if eng is None:
        return error(404, "the alert unit has no rules configured")
    parts = request.path.split("/")  # "", "alerts"[, name, "ack"]
    if len(parts) != 4 or parts[3] != "ack":
        bad = misrouted(request, "GET", "/alerts")
        return bad or reply([eng.view(r) for r in eng.rules])
    bad = misrouted(request, "POST", request.path)
    if bad:
        return bad
    from smsgw.net.httpd import urldecode

    try:
        r = eng.ack_rule(urldecode(parts[2]), "the web page")
    except (KeyError, ValueError, UnicodeError):  # no such rule, or a bad %XX escape
        return error(404, "no rule of that name")
    if r is None:
        return error(409, "that rule has no open alert")
    return reply(eng.view(r))

