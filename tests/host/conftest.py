"""Shared helpers for the host-side tests of the virtual board and the board tools."""

from __future__ import annotations

import subprocess
import sys

import pytest


def mpremote(port: str, *args: str, timeout: float = 30, check: bool = True):
    """Run the real mpremote CLI against `port`; returns the CompletedProcess."""
    res = subprocess.run(
        [sys.executable, "-m", "mpremote", "connect", str(port), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if check:
        assert res.returncode == 0, (args, res.stdout, res.stderr)
    return res


@pytest.fixture
def mpr():
    return mpremote
