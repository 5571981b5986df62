# One delivery try of a webhook: the signed POST (net/httpc.py, smsgw.hmac) and its outcome in
# the journal. Loaded with the first pending delivery and forgotten, with httpc and hmac, once
# the journal is empty (net/webhooks.py `Webhooks.add`, `_release`): a board between events
# does not carry the HTTP client.
from micropython import const

from smsgw.hmac import sha256_hex
from smsgw.net import httpc
from smsgw.net.webhook_target import refused_target

_CLOCK_WAIT_MS = const(10000)  # a delivery held for the clock looks again this often


async def attempt(w, entry):
    """One try of `entry` for the running net/webhooks.Webhooks `w`; True when delivered."""
    wid, body = w.queue.read(entry)
    hook = w._hook(wid)
    if hook is None:  # the webhook was deleted: nothing to deliver to
        w.queue.done(entry)
        return False
    now = w._now()
    if now is None:  # no true time for X-Timestamp yet: receivers would refuse it
        w.counters["clock_wait"] += 1
        w.queue.postpone(entry, _CLOCK_WAIT_MS)
        return False
    cfg = w.cfg
    try:
        status, _ = await httpc.request("POST", hook["url"], body, _headers(cfg, body, now),
                                        cfg["timeout_s"], cfg["ca"],
                                        lambda ip, port: refused_target(ip, port, w.api_port))
        ok = 200 <= status < 300
        w.last_error = None if ok else "HTTP %d" % status
    except MemoryError as exc:  # the heap, not the receiver: no try spent (webhook_queue.serve
        w.last_error = "MemoryError: %s" % exc  # counts it, the entry is due again in a second)
        raise
    except Exception as exc:  # whatever the receiver sent: a failed try
        ok = False
        w.last_error = "%s: %s" % (type(exc).__name__, exc)
    if ok:
        w.counters["delivered"] += 1
        w.queue.done(entry)
    else:
        w.counters["tries_failed"] += 1
        if w.queue.retry_later(entry, cfg):
            w.counters["dead"] += 1
    return ok


def _headers(cfg, body, now):
    ts = str(now)
    headers = [("Content-Type", "application/json"), ("X-Timestamp", ts)]
    key = cfg["signing_key"]
    if key:
        headers.append(("X-Signature", sha256_hex(key, body, ts)))
    return headers
