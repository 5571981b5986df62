"""End-to-end fixtures: the real firmware on a virtual board against the simulated modem.

SMSGATE_E2E_HEAP sets the board's MicroPython heap. Default 240K: the smallest heap at which all
these tests passed was 200K (192K fails; unix port, 64-bit, firmware as .mpy, 2026-11-25), plus
20 % margin. A 32-bit build (an ESP32's object sizes) needs about 0.68-0.71 of the heap (measured
with `make footprint`; tests/e2e/test_heap_guard.py guards the core gateway's heap).
"""

from __future__ import annotations

import os
import time

import pytest

from smsgate.virtual import VirtualGateway

E2E_HEAP = os.environ.get("SMSGATE_E2E_HEAP", "240K")


def make_gateway(model: str = "sim800", **kw) -> VirtualGateway:
    kw.setdefault("heap", E2E_HEAP)
    return VirtualGateway(model=model, password="e2e-secret", **kw)


def poll(fn, timeout: float = 20.0, every: float = 0.1, what: str = "condition"):
    """Call fn() until it returns something truthy; returns it or raises TimeoutError."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(every)
    raise TimeoutError("%s not met after %.0fs (last: %r)" % (what, timeout, last))


def sent_with(sim, text: str) -> list[dict]:
    """The simulator's sent messages whose text is `text`."""
    return [s for s in sim.sent() if s.get("text") == text]


def send(gw: VirtualGateway, text: str, to=("+15551230001",), **kw) -> dict:
    body = {"textMessage": {"text": text}, "phoneNumbers": list(to)}
    body.update(kw)
    status, obj, _ = gw.api("POST", "/message", body)
    assert status == 202, (status, obj)
    return obj


@pytest.fixture(scope="module", params=["sim800", "sim7600"])
def gw(request):
    """One virtual gateway per model for a whole test module."""
    g = make_gateway(request.param, sim_args=("--report-delay", "0.2"))
    with g:
        yield g
