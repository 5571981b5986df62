# The webhooks' registry and dead letters as the API changes them (net/webhook_api.py): register,
# delete, list the dead deliveries, replay them. Functions of a running net/webhooks.Webhooks
# (`w`), loaded for each such request and forgotten after it (ondemand forgets webhook_api,
# which forgets this): a board between registrations does not carry them.
from micropython import const

from smsgw.net.url import http
from smsgw.net.webhook_target import refused_target
from smsgw.net.webhooks import EVENTS, _new_id

MAX_HOOKS = const(16)
_MAX_ID = const(64)


def create(w, body):
    """POST /webhooks: -> (201, stored object) or (400, {"message"})."""
    if not isinstance(body, dict):
        return 400, {"message": "body must be a JSON object"}
    url, event, wid = body.get("url"), body.get("event"), body.get("id")
    try:
        _, host, port, _ = http(url)
    except ValueError as exc:
        return 400, {"message": "invalid url (%s)" % exc}
    why = refused_target(host, port, w.api_port)
    if why:
        return 400, {"message": "url not allowed (%s)" % why}
    if event not in EVENTS:
        return 400, {"message": "event must be one of %s" % ", ".join(EVENTS)}
    if wid is None:
        wid = _new_id()
    if not _id_ok(wid):
        return 400, {"message": "invalid id (1-%d printable ASCII, no space or /)" % _MAX_ID}
    old = w._hook(wid)
    if old is None and len(w.hooks) >= MAX_HOOKS:
        return 400, {"message": "at most %d webhooks" % MAX_HOOKS}
    hook = {"id": wid, "url": url, "event": event}
    if old is not None:  # same id: replace, as android-sms-gateway does
        w.hooks.remove(old)
    w.hooks.append(hook)
    _save(w)
    return 201, hook


def delete(w, wid):
    """DELETE /webhooks/{id}: -> 204 or 404. Its pending deliveries are dropped when due."""
    hook = w._hook(wid)
    if hook is None:
        return 404
    w.hooks.remove(hook)
    _save(w)
    return 204


def _save(w):
    from smsgw.fsutil import write_json

    write_json(w.root + "/webhooks.json", w.hooks)


def _id_ok(wid):
    # the id is a field of the journal's space-separated lines and a path segment of the API
    if not isinstance(wid, str) or not 0 < len(wid) <= _MAX_ID:
        return False
    return all(32 < ord(c) < 127 and c != "/" for c in wid)


def dead_list(w):
    """GET /webhooks/dead: the dead deliveries, oldest first."""
    import json

    out = []
    for wid, tries, reason, body in w.queue.dead():
        try:
            env = json.loads(body)
        except ValueError:
            env = {}
        out.append({"id": env.get("id"), "webhookId": wid, "event": env.get("event"),
                    "tries": tries, "reason": reason, "payload": env.get("payload")})
    return out


def replay(w, body=None):
    """POST /webhooks/dead/replay: re-queue dead deliveries (all, or {"ids": [event ids]}).

    Returns (200, {"replayed": n}) or (400, {"message"}).
    """
    ids = None
    if isinstance(body, dict) and body.get("ids") is not None:
        ids = body["ids"]
        if not isinstance(ids, list):
            return 400, {"message": "ids must be a list of event ids"}

    def keep(wid, raw):
        if ids is None:
            return False
        import json

        return json.loads(raw).get("id") not in ids

    taken = w.queue.take_dead(keep)
    for wid, _tries, _reason, raw in taken:
        w.add(wid, raw)
    if taken:
        w._wake.set()
    return 200, {"replayed": len(taken)}
