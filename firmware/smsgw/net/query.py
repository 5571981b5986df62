# The list endpoints' filters (android-sms-gateway's): from / to (RFC 3339 times, on when a
# message was created or received), deviceId (must be this gateway's), and one named choice
# (GET /messages: state, GET /inbox: type). Imported by those routes only when a filter is given.


def _time_arg(request, name):
    v = request.args.get(name)
    if not v:
        return 0
    from smsgw.rfc3339 import parse

    return parse(v, name)


def filters(request, device_id, name, allowed):
    """(since, until, choice) of a list request (0 / None: not given); ValueError: the 400."""
    since, until = _time_arg(request, "from"), _time_arg(request, "to")
    if until and since > until:
        raise ValueError("from: after to")
    dev = request.args.get("deviceId")
    if dev and dev != device_id:
        raise ValueError("deviceId: not this device's (%s)" % device_id)
    v = request.args.get(name) or None
    if v is not None and v not in allowed:
        raise ValueError("%s: one of %s" % (name, ", ".join(allowed)))
    return since, until, v
