# The API's message endpoints other than sending, imported by smsgw.net.api for each such
# request (api.on_use): GET /messages and GET /inbox (android-sms-gateway's lists: paging and
# filters checked, the page streamed as JSON with X-Total-Count), GET and DELETE /messages/<id>.
from smsgw.net.api import error, reply
from smsgw.net.jsonout import json_list

from micropython import const

_LIMIT_MAX = const(500)


def listing(ctx, request):
    """GET /messages?state=&limit=&offset=&from=&to=&deviceId=: status objects, newest first."""
    from smsgw.queue.journal import STATES

    ob = ctx.outbox
    try:
        limit, offset, since, until, state = _page(request, ob.device_id(), "state", STATES)
    except ValueError as e:
        return error(400, str(e))
    total, keys = page(ob, state, limit, offset, since, until)
    return json_list(total, keys, lambda key: status_by_key(ob, key))


def page(ob, state=None, limit=50, offset=0, since=0, until=0):
    """(total, [key, ...]) of the Outbox `ob`'s messages, newest first, optionally only those in
    `state` and created in [since, until] (Unix s; 0: open); the page holds keys only (render
    each with status_by_key) so RAM does not grow with it."""
    s = ob.store
    total = 0
    out = []
    for i in range(s.count() - 1, -1, -1):
        key = s.key_at(i)
        meta = s.get(key) if key else None
        if meta is None or key in out:
            continue
        if meta["t"] < since or (until and meta["t"] > until):
            continue
        if state and ob.status_of(key, meta)["state"] != state:
            continue
        if offset <= total < offset + limit:
            out.append(key)
        total += 1
    return total, out


def status_by_key(ob, key):
    """The status object of the message stored under `key`, or None (gone meanwhile)."""
    meta = ob.store.get(key)
    return None if meta is None else ob.status_of(key, meta)


def inbox(ctx, request):
    """GET /inbox?type=&limit=&offset=&from=&to=&deviceId=: received messages, newest first."""
    try:
        limit, offset, since, until, kind = _page(request, ctx.outbox.device_id(), "type",
                                                  ("SMS", "DATA_SMS"))
    except ValueError as e:
        return error(400, str(e))
    total, seqs = ctx.inbox.list(limit, offset, since, until, kind)
    return json_list(total, seqs, ctx.inbox.renderer())


def one(ctx, request, mid):
    """GET /messages/<id>: the message's status object."""
    st = ctx.outbox.status(mid)
    return error(404, "message not found") if st is None else st


def cancel(ctx, request, mid):
    """DELETE /messages/<id>: cancel a message while it is Pending."""
    status, obj = ctx.outbox.cancel(mid)
    return reply(obj, status)


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
