"""A board whose heap stays too short resets itself and keeps what it accepted (smsgw.app's
heap watch, config `device.starved_s`).

The board runs at the core gateway's heap guard (test_heap_guard.py: boot, 3 sends and a
receive just fit there). Asking the other endpoints then grows what stays in the heap for good
past what that heap holds: the names each module interns (MicroPython never frees one; past
1,260 of them the pool of names doubles, README "The interned-string cliff"), and a fragmented
heap. The requests meet MemoryErrors (503, or a connection closed unanswered) and the board,
watched here over 5 s, resets. After the reset each message accepted before it goes out
once.
"""

from __future__ import annotations

import http.client
import sys
import time

from smsgate.runtime import REPO_ROOT

from .conftest import make_gateway, poll
from .test_heap_guard import GUARD_32_KB, GUARD_64_KB, _is_64bit
from .test_on_use import ENDPOINTS

sys.path.insert(0, str(REPO_ROOT / "tools"))

from benchlib import common, footprint  # noqa: E402

def test_a_starved_heap_resets_the_board_and_loses_nothing():
    heap_kb = GUARD_64_KB if _is_64bit() else GUARD_32_KB
    gw = make_gateway(heap="%dK" % heap_kb, fw_scale=1.0, config={"device": {"starved_s": 5}})
    with gw:
        accepted = []
        for m in footprint.SCENARIO:
            try:
                status = gw.api("POST", "/messages", footprint._body(m), timeout=10)[0]
            except (OSError, http.client.HTTPException):
                continue
            if status == 202:
                accepted.append(m)
        assert accepted, "the core's heap guard took none of the scenario's messages"
        deadline = time.monotonic() + 120
        while gw.board.boots < 2:
            assert time.monotonic() < deadline, (
                "the board did not reset for its heap: %s" % gw.console_text()[-2000:])
            for method, path, body, _ in ENDPOINTS:  # the web page's, test_on_use's
                try:
                    gw.api(method, path, body, timeout=5)
                except (OSError, http.client.HTTPException):
                    pass  # refused or cut short for lack of heap, or the board is resetting
                if gw.board.boots >= 2:
                    break
        console = gw.console_text()
        assert "heap starved" in console, console[-2000:]
        assert "unhandled in task" not in console and " fatal" not in console, console[-2000:]
        sim = gw.sim
        assert sim is not None
        poll(lambda: not common.compare_sent(accepted, sim.sent())["lost"], timeout=90,
             what="every accepted message sent after the reset")
        check = common.compare_sent(accepted, sim.sent())
        assert not check["duplicated"], check
        assert gw.board.boots == 2, "reset again: %s" % gw.console_text()[-2000:]
        poll(lambda: (gw.health() or {}).get("checks", {}).get("modem", {}).get("status")
             == "pass", timeout=30, what="the gateway ready again")
