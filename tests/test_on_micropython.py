"""Runs each tests/mpy/test_*.py on the MicroPython unix port under a small heap.

A file may ask for another heap with a comment line `# heapsize: 128K` near its top;
the default is 64K, what an ESP32 leaves free after Wi-Fi is roughly that order.
"""

import re
import subprocess
from pathlib import Path

import pytest

from smsgate.runtime import REPO_ROOT, micropython_binary, micropython_env

MPY_DIR = REPO_ROOT / "tests" / "mpy"
DEFAULT_HEAP = "64K"


def _heap_for(path: Path) -> str:
    head = path.read_text().splitlines()[:10]
    for line in head:
        m = re.match(r"#\s*heapsize:\s*(\d+[KM])", line)
        if m:
            return m.group(1)
    return DEFAULT_HEAP


@pytest.mark.parametrize(
    "test_file", sorted(p.name for p in MPY_DIR.glob("test_*.py")), ids=lambda n: n[:-3]
)
def test_file_passes_on_micropython(test_file):
    path = MPY_DIR / test_file
    cmd = [micropython_binary(), "-X", "heapsize=" + _heap_for(path), "tests/mpy/run.py",
           path.stem]
    out = subprocess.run(
        cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=240, env=micropython_env()
    )
    report = out.stdout + out.stderr
    assert out.returncode == 0, report
    assert re.search(r"^\d+ passed, 0 failed$", out.stdout, re.M), report
