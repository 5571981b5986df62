"""Debian's chromium driven by Playwright, for the web page's tests and the bench.

Never `playwright install`: the browser is the system's (tools/install-system-deps.sh installs
it), launched headless with the flags that keep it off the network (no updates, no first-run).
"""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = os.environ.get("SMSGATE_CHROMIUM", "/usr/bin/chromium")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def launch(playwright):
    """A headless chromium browser (Playwright's sync API object `playwright`)."""
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError("%s is missing: run tools/install-system-deps.sh (Debian "
                                "package chromium) or set SMSGATE_CHROMIUM" % CHROMIUM)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(FLAGS), headless=True)


def log_in(page, url: str, user: str, password: str) -> None:
    """Open the gateway's page and log in through its form."""
    page.goto(url + "/")
    page.fill("#user", user)
    page.fill("#pass", password)
    page.click("#login-form button")
