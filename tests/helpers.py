"""Helpers shared by the test packages (importable as `helpers`: tests/conftest.py puts this
directory on sys.path)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from typing import Callable, TypeVar

import pytest

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


def mpremote(port, *args: str, timeout: float = 30, check: bool = True):
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


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (cert.pem, key.pem, cert.der)."""
    d = tmp_path_factory.mktemp("tls")
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed (tools/install-system-deps.sh installs it)"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(d / "key.pem"), "-out", str(d / "cert.pem"), "-days", "2", "-subj",
                    "/CN=127.0.0.1"], check=True, capture_output=True, timeout=60)
    subprocess.run([openssl, "x509", "-in", str(d / "cert.pem"), "-outform", "der", "-out",
                    str(d / "cert.der")], check=True, capture_output=True, timeout=60)
    return str(d / "cert.pem"), str(d / "key.pem"), str(d / "cert.der")

