#!/usr/bin/env python3
"""Benchmarks side by side: smsgate (the real firmware on the virtual board), gammu-smsd (files
backend) and smstools3 on the same simulated modem, plus the firmware's footprint.

Every system gets its own simulator process started the same way (same model, same time scale,
same on-air delay per part) and sends the same batch (single-part GSM-7 and 3-part UCS-2), and
receives the same inbound SMS. Figures come from the simulator's counters and `/sent`, and from
each system's hand-over point (our `GET /inbox`, the peers' inbox folders). See
`tools/benchlib/measure.py` and `tools/benchlib/footprint.py` for what each figure means.

The footprint is measured on the 64-bit unix port the tests use and, when there is a 32-bit
build (tools/build-micropython.sh: `MICROPY_DIR` set, then it is built first, or `build/mp32/`
already there), on 32-bit, whose object sizes are an ESP32's: the smallest heap for the core
gateway from `.mpy` (as `smsgate install` writes it), frozen into the interpreter, run in
place from a ROMFS partition (`smsgate install --romfs`), and with
webhooks + MQTT + the alert unit, and the live heap each module adds.

Usage: .venv/bin/python tools/bench.py [--quick | --tiny] [--footprint-only] [--out FILE]
(`make bench`, `make bench QUICK=1`, `make footprint`). Prints a table and writes the JSON
file; the table in Markdown goes beside it (`bench.md`). The web page's figures come from
Debian's chromium driving it on a virtual board (`tools/benchlib/webpage.py`).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
REPO = TOOLS.parent
sys.path.insert(0, str(TOOLS))

from benchlib import fleet, footprint, measure, systems, webpage  # noqa: E402

# name: (gsm, ucs2, on_air_s, idle_s, inbound, rps_s, heap_step_kb, queue_k)
PROFILES = {
    "full": (20, 10, 2.5, 120.0, 5, 5.0, 2, 200),
    "quick": (4, 2, 0.5, 60.0, 3, 3.0, 4, 50),
    "tiny": (1, 1, 0.1, 4.0, 1, 1.0, 32, 10),
}
# the fleet's batch through 1, 2, 3 boards: (messages, seconds on air per part)
FLEET = {"full": (30, 1.0), "quick": (12, 1.0), "tiny": (3, 0.2)}
HEAP_KB = 256  # the virtual gateway's heap in the comparison (VirtualGateway's default)
_T0 = time.monotonic()


def say(msg: str) -> None:
    print("[%5.1fs] %s" % (time.monotonic() - _T0, msg), flush=True)


def _version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10,
                             stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0].strip() if text else "?"


def machine() -> dict:
    """Where the figures were measured."""
    from smsgate.runtime import micropython_binary

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(), "cpu": cpu, "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "micropython": _version([micropython_binary(), "-c", "import sys; print("
                                 "'v%d.%d.%d' % sys.implementation.version[:3])"]),
        "gammu-smsd": _version(["gammu-smsd", "--version"]),
        "smstools3": _version(["/usr/sbin/smsd", "-V"]).split(",")[0],
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def compare(opts, work: Path, errors: list) -> tuple[dict, dict]:
    """Start the three systems, measure idle side by side, then each in turn.

    A system that fails to start or to finish is recorded with its error (exit status 1) and
    the others are still measured.
    """
    started = []
    results: dict[str, dict] = {}
    heap = None
    try:
        for cls in systems.ALL:
            kw = {"heap": "%dK" % HEAP_KB} if cls is systems.Smsgate else {}
            s = cls(work / cls.name, opts.model, opts.sim_scale, **kw)
            say("starting %s ..." % s.name)
            try:
                s.start()
            except Exception as exc:
                results[s.name] = {"error": str(exc)[:2000]}
                errors.append("%s: %s" % (s.name, str(exc)[:300]))
                continue
            started.append(s)
        say("idle window %.0fs ..." % opts.idle)
        idle = measure.idle_rates(started, opts.idle)
        for s in list(started):
            say("measuring %s ..." % s.name)
            try:
                results[s.name] = measure.measure_system(s, idle[s.name], opts)
                if isinstance(s, systems.Smsgate):
                    heap = s.heap_check()
            except Exception as exc:
                results[s.name] = {"error": str(exc)[:2000]}
                errors.append("%s: %s" % (s.name, str(exc)[:300]))
            s.stop()
            started.remove(s)
    finally:
        for s in started:
            s.stop()
    return {c.name: results[c.name] for c in systems.ALL}, {"heap_check": heap}


def _guarded(fp: dict, key: str, fn, errors: list) -> None:
    """fp[key] = fn(); a failure is recorded (and makes the exit status 1), the run goes on."""
    try:
        fp[key] = fn()
    except Exception as exc:  # reported in the JSON and on stderr, never hidden
        fp[key] = None
        errors.append("%s: %s" % (key, exc))
        print("bench: %s failed: %s" % (key, exc), file=sys.stderr)


# The 32-bit scenarios: (key, interpreter in build/mp32, scenario options, lo, hi) in KB
HEAP32 = (("core_mpy", "unix", {}, 32, 256),
          ("core_frozen", "unix-frozen", {"frozen": True}, 16, 256),
          ("core_romfs", "unix", {"romfs": True}, 16, 256),
          ("full_mpy", "unix", {"full": True}, 64, 512),
          ("full_romfs", "unix", {"full": True, "romfs": True}, 64, 512))


def mp32_binaries(opts, errors: list) -> dict | None:
    """{"unix": path, "unix-frozen": path} of the 32-bit builds, built first when MICROPY_DIR
    is set; None when there are none."""
    out = Path(opts.mp32)
    if os.environ.get("MICROPY_DIR"):
        say("building the 32-bit interpreters from %s ..." % os.environ["MICROPY_DIR"])
        res = subprocess.run([str(TOOLS / "build-micropython.sh")], capture_output=True,
                             text=True, env=dict(os.environ, MP32_OUT=str(out)))
        if res.returncode != 0:
            errors.append("build-micropython.sh: %s" % (res.stdout + res.stderr)[-1500:])
            return None
    found = {b: out / b / "micropython" for b in ("unix", "unix-frozen")}
    return found if all(p.exists() for p in found.values()) else None


def _min_heap(fp: dict, key: str, opts, work: Path, errors: list, lo: int, hi: int,
              **scenario) -> None:
    """fp[key] = the smallest passing heap (KB), fp[key + "_tried"] = the bisection."""
    _guarded(fp, key, lambda: footprint.min_heap(
        work, lo, hi, opts.heap_step, confirm=opts.mode != "tiny", log=say, **scenario),
        errors)
    mh = fp.pop(key) or {}
    fp[key] = mh.get("min_heap_kb")
    fp[key + "_tried"] = [{"heap_kb": h, "result": why} for h, why in mh.get("bisection", ())]


def heap_figures(opts, work: Path, errors: list) -> dict:
    """Smallest heaps and the live heap per module: 64-bit, and 32-bit when built."""
    say("footprint: bundle, min heap (64-bit) ...")
    fp = footprint.bundle_bytes()
    _min_heap(fp, "min_heap_kb", opts, work, errors, 32, HEAP_KB)
    fp["min_heap_tried"] = fp.pop("min_heap_kb_tried")
    columns = {}
    say("footprint: modules the core has loaded after the scenario ...")
    fp["core_state"] = {}
    _guarded(fp, "core_modules",
             lambda: sorted(footprint.core_loaded(work, state=fp["core_state"])), errors)
    core = set(fp["core_modules"] or ()) or None  # None: the table falls back to imports
    _guarded(columns, ".mpy 64-bit", lambda: footprint.module_heap(core=core), errors)
    bins = mp32_binaries(opts, errors)
    fp["heap32"] = None
    if bins:
        h32: dict = {"interpreter": _version([str(bins["unix"]), "-c", "import sys; print("
                                               "sys.version)"])}
        for key, build, scenario, lo, hi in HEAP32:
            say("footprint: min heap, 32-bit, %s ..." % key)
            with footprint.interpreter(bins[build]):
                _min_heap(h32, key, opts, work, errors, lo, hi, **scenario)
        h32["core_state"] = {}
        say("footprint: live heap and interned names, 32-bit ...")
        with footprint.interpreter(bins["unix"]):
            _guarded(h32, "core_loaded",
                     lambda: sorted(footprint.core_loaded(work, state=h32["core_state"])),
                     errors)
        for title, build, frozen in ((".mpy 32-bit", "unix", False),
                                     ("frozen 32-bit", "unix-frozen", True)):
            with footprint.interpreter(bins[build]):
                _guarded(columns, title,
                         lambda: footprint.module_heap(frozen=frozen, core=core), errors)
        core32, core64 = h32.get("core_mpy"), fp["min_heap_kb"]
        h32["ratio_32_64"] = round(core32 / core64, 2) if core32 and core64 else None
        fp["heap32"] = h32
    else:
        say("footprint: no 32-bit build (set MICROPY_DIR, see tools/build-micropython.sh)")
    fp["module_heap"] = {t: c for t, c in columns.items() if c}
    return fp


def footprint_figures(opts, work: Path, heap: dict | None, errors: list) -> dict:
    fp = heap_figures(opts, work, errors)
    peak = (heap or {}).get("observedValue")
    ok = isinstance(peak, list) and len(peak) == 2
    fp["heap_high_water_kb"] = round(peak[1] / 1024, 1) if ok else None
    fp["heap_high_water_note"] = (
        "the firmware's /health memory:heap [now, high-water] after the comparison's batches "
        "at -X heapsize=%dK; the firmware describes it as: %s"
        % (HEAP_KB, (heap or {}).get("description", "(not exposed)")))
    say("footprint: http rps ...")
    _guarded(fp, "http_rps", lambda: footprint.http_rps(work, HEAP_KB, opts.rps_s), errors)
    fp["http_rps_heap_kb"] = HEAP_KB
    say("footprint: queue ops ...")
    _guarded(fp, "queue_op_us", lambda: footprint.queue_ops(work, k=opts.queue_k), errors)
    fp["queue_op_fs"] = footprint.queue_fs()
    say("footprint: the web page in a browser ...")
    _guarded(fp, "web_page", lambda: webpage.measure(HEAP_KB, opts.rps_s), errors)
    return fp


def _dig(obj, *keys):
    """obj[k1][k2]..., None where a level is missing (a failed measurement)."""
    for k in keys:
        obj = obj.get(k) if isinstance(obj, dict) else None
    return obj


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return "%.3g" % v if abs(v) < 100 else "%.0f" % v
    return str(v)


def table(doc: dict) -> str:
    """The Markdown table of one run."""
    names = list(doc["systems"])
    rows = [("AT commands per sent part", "at_per_part"),
            ("  same, idle traffic subtracted", "at_per_part_net"),
            ("AT commands per minute, idle", "idle_at_per_min"),
            ("inbound latency, mean (s)", "inbound_latency_s"),
            ("inbound latency, max (s)", "inbound_latency_max_s")]
    rows = [(label, (key,)) for label, key in rows]
    first = next((r for r in doc["systems"].values() if "batch" in r),
                 {"batch": {"messages": 0, "parts": 0}, "batch_s": {}})
    for key in first["batch_s"]:
        rows.append(("batch wall time, %s on air per part (s)" % key[7:], ("batch_s", key)))
    rows += [("messages lost", ("lost",)), ("messages duplicated", ("duplicated",)),
             ("multipart sent with a reused concat reference", ("concat_ref_reused",))]
    out = ["| %d messages, %d parts | %s |" % (first["batch"]["messages"],
                                                first["batch"]["parts"], " | ".join(names)),
           "|---|" + "---|" * len(names)]
    for label, key in rows:
        cells = []
        for n in names:
            cells.append(_fmt(_dig(doc["systems"][n], *key)))
        out.append("| %s | %s |" % (label, " | ".join(cells)))
    return "\n".join(out + ["", footprint_table(doc), "", fleet_table(doc),
                             "", _machine_line(doc)])


def fleet_table(doc: dict) -> str:
    """The fleet's batch through 1, 2 and 3 boards (tools/benchlib/fleet.py)."""
    fl = doc.get("fleet")
    if not fl:
        return "fleet: not measured"
    runs = fl["runs"]
    out = ["| fleet: %d messages, %g s on air per part | %s |"
           % (runs[0]["messages"], fl["on_air_s"],
              " | ".join("%d board%s" % (r["boards"], "s" * (r["boards"] > 1)) for r in runs)),
           "|---|" + "---|" * len(runs),
           "| batch wall time (s) | %s |" % " | ".join(_fmt(r["seconds"]) for r in runs),
           "| speed-up over one board | 1 | %s |"
           % " | ".join(_fmt(fl["speedup"][str(r["boards"])]) for r in runs[1:]),
           "| sent by each board | %s |" % " | ".join(
               "/".join(str(v) for _, v in sorted(r["sent_by"].items())) for r in runs),
           "| sent twice | %s |" % " | ".join(str(r["twice"]) for r in runs)]
    return "\n".join(out)


def footprint_table(doc: dict) -> str:
    """The Markdown tables of the footprint (without the comparison's rows when it was not
    run: `--footprint-only`)."""
    fp = doc["footprint"]
    h32 = fp.get("heap32") or {}
    out = ["| firmware footprint | 32-bit (ESP32 object sizes) | 64-bit |", "|---|---|---|",
           "| smallest heap, core gateway, .mpy on the flash | %s KB | %s KB |"
           % (_fmt(h32.get("core_mpy")), _fmt(fp["min_heap_kb"])),
           "| smallest heap, core gateway, frozen into the firmware | %s KB | |"
           % _fmt(h32.get("core_frozen")),
           "| smallest heap, core gateway, .mpy in a ROMFS partition (run in place) | %s KB | |"
           % _fmt(h32.get("core_romfs")),
           "| smallest heap, webhooks + MQTT + alert unit, .mpy | %s KB | |"
           % _fmt(h32.get("full_mpy")),
           "| smallest heap, webhooks + MQTT + alert unit, ROMFS | %s KB | |"
           % _fmt(h32.get("full_romfs")),
           "| ROMFS image (`smsgate install --romfs`) | %s bytes | |"
           % _fmt(fp.get("romfs_image_bytes")),
           "| ratio 32-bit / 64-bit (core, .mpy) | %s | |" % _fmt(h32.get("ratio_32_64")),
           "| live heap, core gateway after the scenario, .mpy | %s | %s |"
           % (_kb(_dig(h32, "core_state", "live_bytes")),
              _kb(_dig(fp, "core_state", "live_bytes"))),
           "| of it interned names (core, .mpy): names, bytes | %s | %s |"
           % (_names(h32.get("core_state")), _names(fp.get("core_state"))),
           "| names that still fit before the next name pool; its size | %s | %s |"
           % (_room(h32.get("core_state")), _room(fp.get("core_state")))]
    if "http_rps" not in fp:
        out.append("| .mpy bundle on the flash | %d bytes (%d files) | |"
                   % (fp["mpy_bundle_bytes"], fp["bundle_files"]))
        return _with_modules(out, fp)
    rps = fp["http_rps"]
    q = fp["queue_op_us"]
    out += ["| heap high-water during the batches (at %d KB) | | %s KB |"
            % (fp["http_rps_heap_kb"], _fmt(fp["heap_high_water_kb"])),
            "| .mpy bundle on the flash | | %d bytes (%d files) |"
            % (fp["mpy_bundle_bytes"], fp["bundle_files"]),
            "| GET /health per second: smsgate / minimal microdot | | %s / %s |"
            % (_fmt(_dig(rps, "smsgate_get_health", "rps")),
               _fmt(_dig(rps, "microdot_get_health", "rps"))),
            "| POST /messages per second: smsgate / minimal microdot | | %s / %s |"
            % (_fmt(_dig(rps, "smsgate_post_messages", "rps")),
               _fmt(_dig(rps, "microdot_post_messages", "rps"))),
            "| web page: bytes sent, first visit / next visit (gzip) | | %s / %s |"
            % (_fmt(_dig(fp, "web_page", "page_bytes")),
               _fmt(_dig(fp, "web_page", "second_visit_page_bytes"))),
            "| heap high-water added by a browser session (at %d KB) | | %s KB |"
            % (HEAP_KB, _fmt(_dig(fp, "web_page", "delta_high_water_kb")))]
    for op in ("put", "get", "update"):
        out.append("| queue %s at depth 10 / 100 / 1000 (µs, %s) | | %s |"
                   % (op, fp.get("queue_op_fs"),
                      " / ".join(_fmt(_dig(q, d, op)) for d in ("10", "100", "1000"))))
    return _with_modules(out, fp)


def _kb(n) -> str:
    return "-" if n is None else "%.1f KB" % (n / 1024)


def _names(st: dict | None) -> str:
    st = st or {}
    return "-" if "names" not in st else "%d, %s" % (st["names"], _kb(st["names_bytes"]))


def _room(st: dict | None) -> str:
    st = st or {}
    return "-" if "names_room" not in st else "%d; %s" % (st["names_room"],
                                                          _kb(st["next_pool_bytes"]))


def _with_modules(out: list, fp: dict) -> str:
    if fp.get("module_heap"):
        out += ["", "Live heap each module adds when imported (bytes, after a collection; "
                "dependencies first; core `yes`: in the core gateway's sys.modules after the "
                "scenario, `boot` and `on use`: "
                "loaded for boot or for one use and forgotten again, not in the resident sum). "
                "A row includes the "
                "growth of MicroPython's interned-string pools, which double when full: the "
                "module that fills one pays for the next, so single rows can be a few KB off; "
                "the sums are exact:", "",
                footprint.module_table(fp["module_heap"])]
    return "\n".join(out)


def _machine_line(doc: dict) -> str:
    m = doc["machine"]
    h32 = doc["footprint"].get("heap32") or {}
    return ("Measured %s on %s (%s CPUs), %s; MicroPython %s (64-bit)%s; gammu-smsd: %s; "
            "smstools3: %s. Mode: %s." % (
                m["date"], m["cpu"], m["cpus"], m["platform"], m["micropython"],
                ", %s (32-bit)" % h32["interpreter"] if h32.get("interpreter") else "",
                m["gammu-smsd"], m["smstools3"], doc["mode"]))


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="a small batch (a few minutes)")
    mode.add_argument("--tiny", action="store_true", help="a minimal run (the harness test)")
    ap.add_argument("--footprint-only", action="store_true",
                    help="only the heap figures (smallest heaps, live heap per module)")
    ap.add_argument("--mp32", default=str(REPO / "build" / "mp32"),
                    help="the 32-bit builds of tools/build-micropython.sh")
    ap.add_argument("--out", default=str(REPO / "build" / "bench.json"))
    ap.add_argument("--model", default="sim800", choices=("sim800", "sim7600"))
    ap.add_argument("--sim-scale", type=float, default=0.05,
                    help="the simulator's time scale (boot and registration times)")
    opts = ap.parse_args(argv)
    opts.mode = "tiny" if opts.tiny else "quick" if opts.quick else "full"
    (opts.gsm, opts.ucs2, opts.on_air, opts.idle, opts.inbound, opts.rps_s, opts.heap_step,
     opts.queue_k) = PROFILES[opts.mode]
    return opts


def main(argv=None) -> int:
    opts = parse_args(argv)
    t0 = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="smsgate-bench-"))
    errors: list[str] = []
    try:
        doc = {"machine": machine(), "mode": opts.mode, "model": opts.model,
               "on_air_s": opts.on_air}
        if opts.footprint_only:
            doc["footprint"] = heap_figures(opts, work, errors)
        else:
            doc["systems"], extra = compare(opts, work, errors)
            doc["footprint"] = footprint_figures(opts, work, extra["heap_check"], errors)
            say("fleet: 1, 2, 3 boards ...")
            _guarded(doc, "fleet", lambda: fleet.measure(*FLEET[opts.mode], opts.sim_scale),
                     errors)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    doc["duration_s"] = round(time.monotonic() - t0, 1)
    doc["errors"] = errors
    out = Path(opts.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    md = (footprint_table(doc) + "\n\n" + _machine_line(doc) if opts.footprint_only
          else table(doc))
    out.with_suffix(".md").write_text(md + "\n")
    print(md)
    print("\nwritten: %s (%.0fs)" % (out, doc["duration_s"]))
    for e in errors:
        print("bench: FAILED %s" % e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
