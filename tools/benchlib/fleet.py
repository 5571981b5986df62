"""A fleet's throughput: the same batch through `smsgate fleet`'s dispatcher to 1, 2
and 3 virtual boards in one group behind mosquitto, each board with its own simulated modem
taking `on_air_s` per part. The wall time runs from the first publish to the last `Sent`; the
speed-up is the one-board time over the n-board time (ideal: n)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchlib.footprint import _Broker

from smsgate.fleet import Dispatcher, FleetLink, Job
from smsgate.virtual import VirtualGateway

GROUP = "bench"


def _boards(broker: _Broker, n: int, work: Path, on_air_s: float, sim_scale: float):
    out = []
    for i in range(n):
        cfg = {"device": {"id": "fb%d" % i},
               "mqtt": {"url": broker.url, "discovery": False, "reconnect_max_s": 1,
                        "keepalive_s": 10, "status_interval_s": 5,
                        "fleet": {"group": GROUP, "weight": 3}}}
        out.append(VirtualGateway(config=cfg, data_dir=work / ("fb%d" % i), heap="512K",
                                  sim_scale=sim_scale,
                                  sim_args=("--send-latency", str(on_air_s))))
    for gw in out:
        gw.start(wait=False)
    for gw in out:
        gw.wait_ready(120)
    return out


def _online(link: FleetLink, n: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(1 for b in link.members() if b.fleet.get("taking")) >= n:
            return
        time.sleep(0.1)
    raise RuntimeError("only %d of %d boards took fleet work" % (len(link.members()), n))


def run(n: int, messages: int, on_air_s: float, sim_scale: float = 0.05) -> dict:
    """One batch through `n` boards: {"boards", "messages", "seconds", "sent_by", "twice"}."""
    work = Path(tempfile.mkdtemp(prefix="smsgate-fleet-bench-"))
    broker = _Broker(work)
    boards = []
    link = None
    try:
        boards = _boards(broker, n, work, on_air_s, sim_scale)
        link = FleetLink(broker.url, GROUP)
        if not link.connected.wait(10):
            raise RuntimeError("no connection to mosquitto")
        _online(link, n)
        jobs = [Job("fb-%d-%d" % (n, i), "+4915550%04d" % i, "fleet bench %d" % i)
                for i in range(messages)]
        t0 = time.monotonic()
        if not Dispatcher(link, jobs).run(until=t0 + 60 + messages * (on_air_s + 2) * 2):
            raise RuntimeError("batch not finished: %s" % [j.state for j in jobs])
        seconds = time.monotonic() - t0
        on_air = [s["text"] for gw in boards for s in gw.sim.sent()]
        sent_by: dict[str, int] = {}
        for j in jobs:
            sent_by[j.device] = sent_by.get(j.device, 0) + 1
        return {"boards": n, "messages": messages, "seconds": round(seconds, 2),
                "sent_by": sent_by, "twice": len(on_air) - len(set(on_air))}
    finally:
        if link is not None:
            link.close()
        for gw in boards:
            gw.stop()
        broker.stop()


def measure(messages: int, on_air_s: float, sim_scale: float = 0.05) -> dict:
    """1, 2 and 3 boards: {"on_air_s", "runs": [...], "speedup": {"2": t1/t2, "3": t1/t3}}."""
    runs = [run(n, messages, on_air_s, sim_scale) for n in (1, 2, 3)]
    t1 = runs[0]["seconds"]
    return {"on_air_s": on_air_s, "runs": runs,
            "speedup": {str(r["boards"]): round(t1 / r["seconds"], 2) for r in runs[1:]}}
