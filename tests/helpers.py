"""Helpers shared by the test packages (importable as `helpers`: tests/conftest.py puts this
directory on sys.path)."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_until(cond: Callable[[], T], timeout: float = 10.0, what: str = "condition",
               every: float = 0.05) -> T:
    """Poll `cond()` every `every` s until it is truthy; return its value.

    Raises:
        AssertionError: still falsy after `timeout` seconds (the test fails, naming `what`).
    """
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s (%.1f s)" % (what, timeout))
        time.sleep(every)
