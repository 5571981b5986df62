# GET /logs?from=&to= (imported on its first request, smsgw.net.api's lazy routes): the flash
# log (smsgw.log: <path> and its one rotation <path>.1.txt, oldest first) as android-sms-gateway's
# log entries {id, priority, module, message, context, createdAt}, streamed one entry at a time.
from smsgw.net.api import error

from micropython import const


_MSG_MAX = const(1024)  # characters kept of one log entry (a traceback's lines included)
_PRIORITY = {"D": "DEBUG", "I": "INFO", "W": "WARN", "E": "ERROR"}


def _entries(paths):
    # (time, level, message) of each entry, oldest first; continuation lines (a traceback's)
    # belong to the entry before them. One line in RAM at a time.
    cur = None
    for p in paths:
        try:
            f = open(p)
        except OSError:
            continue
        with f:
            for line in f:
                line = line.rstrip("\n")
                head = line.split(" ", 2)
                if len(head) == 3 and head[0].isdigit() and head[1] in ("D", "I", "W", "E"):
                    if cur is not None:
                        yield cur
                    cur = [int(head[0]), head[1], head[2][:_MSG_MAX]]
                elif cur is not None and len(cur[2]) < _MSG_MAX:
                    cur[2] = (cur[2] + "\n" + line)[:_MSG_MAX]
    if cur is not None:
        yield cur


def _time_arg(request, name):
    v = request.args.get(name)
    if not v:
        return None
    from smsgw.rfc3339 import parse

    return parse(v, name)  # ValueError: "<name>: an RFC 3339 timestamp"


async def logs(ctx, request):
    """GET /logs?from=&to=: the flash log's entries in the window (RFC 3339 bounds, inclusive),
    as android-sms-gateway's log entries {id, priority, module, message, context, createdAt}."""
    from smsgw import clock
    from smsgw.net.jsonout import json_list
    from smsgw.net.ondemand import misrouted

    bad = misrouted(request, "GET", "/logs")
    if bad:
        return bad
    try:
        lo, hi = _time_arg(request, "from"), _time_arg(request, "to")
    except ValueError as e:
        return error(400, str(e))
    path = ctx.cfg["log"]["path"]
    seq = [0]

    def render(e):
        seq[0] += 1
        t = e[0] + clock.SHIFT  # smsgw.log writes time.time(): the port's epoch
        if (lo is not None and t < lo) or (hi is not None and t > hi):
            return None
        return {"id": seq[0], "priority": _PRIORITY[e[1]], "module": "firmware",
                "message": e[2], "context": None, "createdAt": clock.iso(t)}

    return json_list(None, _entries((path[:-4] + ".1.txt", path)), render)
