"""Helpers shared by the host-side tests (a module name of its own: every test folder here
has a conftest.py, so `from conftest import ...` would depend on collection order)."""

from __future__ import annotations

import subprocess
import sys


def smsgate(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the `smsgate` CLI in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "smsgate", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
