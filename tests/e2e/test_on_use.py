"""The endpoints whose code is loaded for a request leave nothing loaded after it: asking each
of them once (what the web page does) keeps no module in the firmware's heap that boot did
not (smsgw.net.ondemand, net/api.on_use; the names they interned stay, README "The
interned-string cliff"). Found by asking them all at the core's heap guard: 12 modules stayed
(the settings and their checks, the JSON streamer, the time parser, the health document, the
list filters, the cancel, the device and USSD endpoints), ~10 KB on 32-bit for good, and the
board then ran out of heap (tests/e2e/test_heap_starved.py)."""

from __future__ import annotations

from .conftest import make_gateway, poll, send

# (method, path, body, expected status): each endpoint the web page or an app asks, none that
# starts a feature (a webhook's registration starts the delivery chain, which then stays)
ENDPOINTS = [
    ("GET", "/settings", None, 200),
    ("GET", "/device", None, 200),
    ("POST", "/ussd", {"code": "*100#"}, 200),
    ("POST", "/ussd", {"code": "bad code"}, 400),
    ("GET", "/logs", None, 200),
    ("GET", "/logs?from=2020-01-01T00:00:00Z", None, 200),
    ("GET", "/webhooks", None, 200),
    ("GET", "/", None, 200),
    ("GET", "/health", None, 200),
    ("GET", "/health/live", None, 200),
    ("GET", "/messages?from=2020-01-01T00:00:00Z", None, 200),
    ("GET", "/inbox", None, 200),
    ("GET", "/alerts", None, 404),
]


def test_each_endpoint_once_keeps_nothing_loaded_after_it(tmp_path):
    gw = make_gateway(repl_link=str(tmp_path / "repl"))
    with gw:
        booted = gw.firmware_modules()  # the board then waits at its REPL: boot it again
        gw.restart_board()
        got = {}
        for method, path, body, want in ENDPOINTS:
            got[method + " " + path + " " + repr(body)] = (gw.api(method, path, body)[0], want)
        # a limit holds the second message (a pacer: its code in use, not loaded); the held one
        # is cancelled, the limit lifted (no pacer: its code goes)
        limit = {"messages": {"limit_period": "PerMinute", "limit_value": 1}}
        got["PATCH limit"] = (gw.api("PATCH", "/settings", limit)[0], 200)
        first = send(gw, "on use, sent")
        poll(lambda: gw.api("GET", "/messages/" + first["id"])[1]["state"] == "Sent",
             timeout=30, what="the first message sent")
        held = send(gw, "on use, held")["id"]
        got["GET held"] = (gw.api("GET", "/messages/" + held)[1]["state"], "Pending")
        got["DELETE held"] = (gw.api("DELETE", "/messages/" + held)[0], 200)
        lift = {"messages": {"limit_period": "Disabled"}}
        got["PATCH no limit"] = (gw.api("PATCH", "/settings", lift)[0], 200)
        assert all(g == want for g, want in got.values()), got
        # lifting the limit woke the sender, which found nothing to do and forgot its code
        # and the codec in that step
        kept = gw.firmware_modules() - booted
        assert not kept, "still loaded after their requests: %s" % sorted(kept)
