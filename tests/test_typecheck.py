"""`make typecheck` runs in `make test`: firmware/ and boards/ type-check with zero errors against
the ESP32 port's API (tools/typecheck.sh: pyright with micropython-esp32-stubs), so a call that
exists only on CPython fails here rather than on a board."""

import os
import subprocess
import sys

from smsgate.runtime import REPO_ROOT

PROBE = REPO_ROOT / "build" / "typecheck" / "probe" / "cpython_only.py"


def _typecheck(*args):
    env = dict(os.environ, PYTHON=sys.executable)  # the stubs are pip-installed with this Python
    out = subprocess.run(["tools/typecheck.sh", *args], cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=280, env=env)
    return out.returncode, out.stdout + out.stderr


def test_firmware_and_boards_typecheck_against_the_esp32_port():
    rc, report = _typecheck()
    assert rc == 0, report
    assert "0 errors" in report, report


def test_the_checker_sees_the_port_not_cpython():
    # A CPython-only call must fail: proves the port's stubs replace CPython's typeshed.
    PROBE.parent.mkdir(parents=True, exist_ok=True)
    PROBE.write_text("import os\nimport time\n\nt = time.monotonic()\n"
                     "p = os.path.join('a', 'b')\n")
    rc, report = _typecheck(str(PROBE))
    assert rc == 1, report
    assert '"monotonic" is not a known attribute of module "time"' in report, report
    assert '"path" is not a known attribute of module "os"' in report, report
