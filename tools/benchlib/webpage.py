"""The web page as a browser uses it: what it transfers and what it costs the board's heap.

A headless Debian chromium (smsgate.browser) opens the firmware's page on a virtual board, logs
in, sends a message and waits for Delivered, receives an SMS while the page refreshes itself,
then visits again. Figures:
- page_bytes: the page's files as the board sends them (gzip: index.html, CSS, JS);
- first_visit_bytes / first_visit_requests: everything the browser received (headers and
  bodies, from its Resource Timing entries): the page and the API calls until the SMS showed;
- second_visit_page_bytes: the page on the next visit (index.html only; CSS and JS come from the
  browser's cache);
- heap_before / heap_after: /health memory:heap [now, high-water] (live heap after gc, sampled
  2/s) after boot and a few idle seconds, then after the browser session;
  delta_high_water_kb: what the page (its module, its requests, the API calls it makes) added.
"""

from __future__ import annotations

import time

from smsgate import bundle
from smsgate.browser import launch, log_in
from smsgate.virtual import VirtualGateway

_SIZES = """(only) => [performance.getEntriesByType('navigation')[0],
    ...performance.getEntriesByType('resource')].filter((e) => !only || e.name.includes(only)
    || e.entryType === 'navigation').map((e) => e.transferSize)"""


def _heap(gw: VirtualGateway) -> list[int]:
    status, doc, _ = gw.api("GET", "/health")
    return doc["checks"]["memory:heap"]["observedValue"]


def measure(heap_kb: int, seconds: float = 5.0) -> dict:
    from playwright.sync_api import sync_playwright

    page_bytes = sum(p.stat().st_size for p in bundle.build_web().values())
    with VirtualGateway("sim800", heap="%dK" % heap_kb, fw_scale=1.0,
                        sim_args=("--report-delay", "0.2")) as gw:
        time.sleep(seconds)  # idle: let the sampler see the resting heap
        before = _heap(gw)
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page()
            log_in(page, gw.url, gw.user, gw.password)
            page.fill("#to", "+15551230001")
            page.fill("#text", "bench from the browser")
            page.click("#send-form button[type=submit]")
            page.wait_for_selector("#ob td.st-Delivered", timeout=60000)
            gw.sim.send_sms("+15557654321", "bench inbound")
            page.wait_for_selector("#ib td:text-is('bench inbound')", timeout=60000)
            first = page.evaluate(_SIZES, "")
            end = time.monotonic() + seconds  # the page refreshes by itself meanwhile
            while time.monotonic() < end:
                page.wait_for_timeout(500)
            page.goto(gw.url + "/")
            page.wait_for_selector("#st dt")
            again = page.evaluate(_SIZES, "/ui/")
            browser.close()
        time.sleep(1.5)  # three samples after the last request
        after = _heap(gw)
    return {
        "page_bytes": page_bytes,
        "first_visit_bytes": sum(first), "first_visit_requests": len(first),
        "second_visit_page_bytes": sum(again),
        "heap_kb": heap_kb, "heap_before": before, "heap_after": after,
        "delta_high_water_kb": round((after[1] - before[1]) / 1024, 1),
    }
