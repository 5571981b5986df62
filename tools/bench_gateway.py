#!/usr/bin/env python3
"""Gateway figures on the virtual board (the real firmware against the simulated modem).

- POST -> AT+CMGS latency: time from the HTTP POST to `AT+CMGS` on the modem line, from the
  simulator's /log timestamps (its clock is aligned with ours by an inbound-SMS marker).
- AT commands per sent SMS: commands the simulator received during a burst / messages.
- Flash writes per sent SMS (single part, no delivery report): the store's write counter.
- Heap high-water: the firmware samples gc.mem_alloc() every 50 ms (GET /health
  checks."memory:heap" = [now, high-water]); also reported after a queue of --depth messages.
- POST latency at queue depth 10, 100, 1000 (sender held back: the network is deregistered).

Last run (2026-11-25, 2-core VM, unix port 64-bit, firmware .mpy, heap 256K, sim time scale
0.05, both models alike): POST -> AT+CMGS median 1.8 ms (p90 1.9, max 4.2; n=20); 1.0 AT
command per single-part SMS (only AT+CMGS); 4.15 flash writes per SMS; live heap after gc
155 KB at boot, 175 KB after the burst, 177-180 KB with 1,000 messages queued; POST at queue
depth 10 / 100 / 1000: 1.6 / 1.7 / 2.0 ms. Smallest heap for all e2e tests: 200K (192K fails).

Usage: .venv/bin/python tools/bench_gateway.py [--model sim800] [--n 20] [--heap 256K]
       [--depth 1000] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "host"))

from smsgate.virtual import VirtualGateway  # noqa: E402


def _align(gw) -> float:
    """host_monotonic - sim_t offset, from an inbound SMS whose URC time we bracket."""
    before = len(gw.sim.log())
    t0 = time.monotonic()
    gw.sim.send_sms("+15550001111", "clock marker")
    t1 = time.monotonic()
    for entry in gw.sim.log()[before:]:
        if entry["dir"] == "tx" and ("+CMTI" in entry["data"] or "+CMT:" in entry["data"]):
            return (t0 + t1) / 2 - entry["t"]
    raise RuntimeError("no URC for the clock marker in the simulator log")


def _body(i: int, text: str) -> dict:
    return {"id": "bench-%d" % i, "textMessage": {"text": text}, "phoneNumbers": ["+15551000%03d"
            % i], "withDeliveryReport": False}


def latency_and_at(gw, n: int) -> dict:
    """POST -> AT+CMGS (one message at a time, idle queue) and AT commands per SMS (burst)."""
    offset = _align(gw)
    lat = []
    for i in range(n):
        start = len(gw.sim.log())
        t = time.monotonic()
        st = gw.api("POST", "/message", _body(i, "latency %d" % i))[0]
        assert st == 202, st
        gw.wait_state("bench-%d" % i, ("Sent", "Delivered", "Failed"))
        for e in gw.sim.log()[start:]:
            if e["dir"] == "rx" and e["data"].startswith("AT+CMGS"):
                lat.append((e["t"] + offset - t) * 1000)
                break
    time.sleep(0.5)
    start = len(gw.sim.log())
    writes0 = gw.health()["counters"]["store_writes"]
    for i in range(n, 2 * n):
        assert gw.api("POST", "/message", _body(i, "burst %d" % i))[0] == 202
    for i in range(n, 2 * n):
        gw.wait_state("bench-%d" % i, ("Sent", "Delivered", "Failed"), timeout=60)
    writes = gw.health()["counters"]["store_writes"] - writes0
    cmds = [e for e in gw.sim.log()[start:] if e["dir"] == "rx" and e["data"].startswith("AT")]
    per = {}
    for e in cmds:
        name = e["data"].strip().split("=")[0].split("?")[0]
        per[name] = per.get(name, 0) + 1
    return {
        "post_to_cmgs_ms": {"median": round(statistics.median(lat), 1),
                            "p90": round(sorted(lat)[int(len(lat) * 0.9) - 1], 1),
                            "max": round(max(lat), 1), "n": len(lat)},
        "at_per_sms": round(len(cmds) / n, 2),
        "flash_writes_per_sms": round(writes / n, 2),
        "at_commands_in_burst": per,
    }


def heap(gw) -> dict:
    now, peak = gw.health()["checks"]["memory:heap"]["observedValue"]
    return {"in_use_kb": round(now / 1024, 1), "high_water_kb": round(peak / 1024, 1)}


def depth_latency(gw, depth: int) -> dict:
    """POST latency (ms) when `depth` messages are already queued (the sender is held back)."""
    gw.sim.network(registered=False)
    gw.sim.fault("zombie")  # the modem stops answering: nothing leaves the queue
    time.sleep(1.0)
    marks = sorted({10, 100, 1000, depth} & set(range(1, depth + 1)))
    out = {}
    for i in range(depth):
        t = time.monotonic()
        st = gw.api("POST", "/message", _body(10000 + i, "depth %d" % i))[0]
        ms = (time.monotonic() - t) * 1000
        if st != 202:
            out["stopped_at"] = {"depth": i, "status": st}
            break
        if i + 1 in marks:
            samples = [ms]
            for _ in range(4):  # a few more at the same depth: GET is the same-cost read
                t = time.monotonic()
                gw.api("GET", "/messages/bench-%d" % (10000 + i))
                samples.append((time.monotonic() - t) * 1000)
            out[str(i + 1)] = {"post_ms": round(ms, 1),
                               "get_ms": round(statistics.median(samples[1:]), 1)}
    out["heap_after"] = heap(gw)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="sim800", choices=("sim800", "sim7600"))
    ap.add_argument("--n", type=int, default=20, help="messages per phase")
    ap.add_argument("--heap", default="256K")
    ap.add_argument("--depth", type=int, default=1000, help="queue depth phase (0: skip)")
    ap.add_argument("--json", help="also write the figures to this file")
    a = ap.parse_args(argv)
    cfg = {"queue": {"max_messages": max(100, a.depth + 10), "max_stored": max(400, a.depth + 50)}}
    res = {"model": a.model, "heap": a.heap}
    with VirtualGateway(a.model, heap=a.heap, config=cfg, sim_scale=0.05) as gw:
        res["boot_heap"] = heap(gw)
        res.update(latency_and_at(gw, a.n))
        res["heap_after_burst"] = heap(gw)
        if a.depth:
            res["depth"] = depth_latency(gw, a.depth)
    print(json.dumps(res, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
