# GET /messages and GET /inbox (android-sms-gateway's lists): paging and filters checked, the
# page streamed as JSON with X-Total-Count. Imported by smsgw.net.api for each such request.
from smsgw.net.api import error
from smsgw.net.jsonout import json_list

from micropython import const

_LIMIT_MAX = const(500)


def messages(ctx, request):
    """GET /messages?state=&limit=&offset=&from=&to=&deviceId=: status objects, newest first."""
    from smsgw.queue.journal import STATES

    ob = ctx.outbox
    try:
        limit, offset, since, until, state = _page(request, ob.device_id(), "state", STATES)
    except ValueError as e:
        return error(400, str(e))
    total, keys = ob.list(state, limit, offset, since, until)
    return json_list(total, keys, ob.status_by_key)


def inbox(ctx, request):
    """GET /inbox?type=&limit=&offset=&from=&to=&deviceId=: received messages, newest first."""
    try:
        limit, offset, since, until, kind = _page(request, ctx.outbox.device_id(), "type",
                                                  ("SMS", "DATA_SMS"))
    except ValueError as e:
        return error(400, str(e))
    total, seqs = ctx.inbox.list(limit, offset, since, until, kind)
    return json_list(total, seqs, ctx.inbox.renderer())


def _int_arg(request, name, default, lo, hi):
    v = request.args.get(name)
    if v is None or v == "":
        return default
    try:
        n = int(v)
    except ValueError:
        raise ValueError("%s: an integer" % name)
    if not lo <= n <= hi:
        raise ValueError("%s: %d..%d" % (name, lo, hi))
    return n


def _page(request, device_id, name, allowed):
    # (limit, offset, since, until, `name` filter) of a list request; the filters'
    # parser (net/query.py) is imported only when a filter is given
    limit = _int_arg(request, "limit", 50, 1, _LIMIT_MAX)
    offset = _int_arg(request, "offset", 0, 0, 1 << 30)
    for k in ("from", "to", "deviceId", name):
        if request.args.get(k):
            from smsgw.net import query

            return (limit, offset) + query.filters(request, device_id, name, allowed)
    return limit, offset, 0, 0, None
