"""Helpers for the alert unit's end-to-end tests on the virtual board (not collected)."""

from __future__ import annotations

import json
import os
import re
import time
import urllib.request

from helpers import wait_until  # noqa: F401 (the alert tests import it from here)
from smsgw.alert import totp

# The board's heap: test_alert_e2e (command SMS included: alert/commands and totp load for each
# one) passes at 240K and fails at 232K on this 64-bit port (main 778b521; before the command
# code became on-demand it failed at 256K); 288K keeps a margin. SMSGATE_ALERT_HEAP measures it.
HEAP = os.environ.get("SMSGATE_ALERT_HEAP", "288K")
R1, R2, R3 = "+15550000001", "+15550000002", "+15550000003"
STRANGER = "+15550000666"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SECRET2 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
ACK_RE = re.compile(r"Reply ACK (\d{6})$")


def set_pin(bc_url: str, pin: int, value: int, kind: str = "pins") -> None:
    req = urllib.request.Request("%s/%s/%d" % (bc_url, kind, pin),
                                 data=json.dumps({"value": value}).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 200


def get_pin(bc_url: str, pin: int) -> int | None:
    with urllib.request.urlopen("%s/pins/%d" % (bc_url, pin), timeout=5) as r:
        return json.loads(r.read())["value"]


def sent_to(sim, number: str, contains: str = "") -> list[str]:
    return [m["text"] for m in sim.sent() if m["to"] == number and contains in m["text"]]


def wait_text(sim, number: str, contains: str, n: int = 1, timeout: float = 15.0) -> list[str]:
    """Wait until `number` got at least `n` SMS containing `contains`; returns them."""
    deadline = time.monotonic() + timeout
    while True:
        found = sent_to(sim, number, contains)
        if len(found) >= n:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError("%s: %d SMS with %r after %.0fs; all sent: %s"
                               % (number, len(found), contains, timeout,
                                  [(m["to"], m["text"]) for m in sim.sent()]))
        time.sleep(0.05)


class Codes:
    """TOTP codes for consecutive commands: each a strictly newer step (replay rule)."""

    def __init__(self, secret: str = SECRET) -> None:
        self.key = totp.b32decode(secret)
        self.last = -1

    def next(self) -> str:
        while True:
            t = time.time()
            now = totp.counter_at(t)
            # The board accepts steps now-1..now+1 when it checks, a moment later: now-1 only
            # while the current step has seconds left, so no boundary falls in between.
            lowest = now - 1 if t % 30 < 20 else now
            step = max(self.last + 1, lowest)
            if step <= now + 1:
                self.last = step
                return totp.hotp(self.key, step)
            time.sleep(0.5)  # the window's steps are used: wait for the clock


def alert_health(gw) -> dict:
    """The alert unit's counters from GET /health (fails with the board's console)."""
    doc = gw.health()
    if not isinstance(doc, dict) or "alert" not in doc.get("checks", {}):
        raise AssertionError("no alert check in /health: %r\nconsole:\n%s"
                             % (doc, gw.console_text()[-3000:]))
    return doc["checks"]["alert"]["observedValue"]
