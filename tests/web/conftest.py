"""Fixtures for the web page: a headless Debian chromium (Playwright) and a virtual gateway.

Screenshots go to SMSGATE_SCREENSHOTS (default build/screenshots/): the README's two come from
`SMSGATE_SCREENSHOTS=docs .venv/bin/python -m pytest tests/web`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from smsgate.runtime import REPO_ROOT

SHOTS = Path(os.environ.get("SMSGATE_SCREENSHOTS", REPO_ROOT / "build" / "screenshots"))


@pytest.fixture(scope="module")
def browser():
    # Per module, not per session: while Playwright's sync API is active, its event loop runs
    # in this thread and asyncio.run() in other test modules would fail.
    from playwright.sync_api import sync_playwright

    from smsgate.browser import launch

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (own sessionStorage) with a desktop-sized page; page errors
    (uncaught exceptions, CSP violations) are collected in page.errors and must stay empty."""
    from smsgate.browser import DESKTOP

    ctx = browser.new_context(viewport=DESKTOP)
    pg = ctx.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: "Content-Security-Policy" in m.text and pg.errors.append(m.text))
    pg.set_default_timeout(30000)
    yield pg
    ctx.close()


def shot(page, name: str, viewport=None) -> Path:
    """A full-page screenshot `<name>.png` at the page's size (or `viewport`)."""
    if viewport:
        page.set_viewport_size(viewport)
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / (name + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path
