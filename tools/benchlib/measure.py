"""The per-system measurements, all judged from the simulator and the system's hand-over point.

- idle_at_per_min: AT commands the simulator parsed per minute while nothing happens
  (all systems idle side by side, each on its own simulator, during the same window);
- inbound_latency_s: from `POST /sms` to the simulator (the SMS reaches the modem: stored and
  announced at once) until the text shows in the system's inbox (their inbox folder, our
  `GET /inbox`), polled every 10 ms; mean over a few messages sent at random phases;
- batch_s: wall time from releasing the batch until the network has every message complete,
  once with the on-air delay at zero and once at a realistic value;
- at_per_part: AT commands parsed during the zero-delay batch divided by the parts sent
  (at_per_part_net also subtracts the system's idle rate over that time);
- lost / duplicated: submitted messages against the simulator's `/sent`, over both batches
  (after a grace period, so a late duplicate is seen).
"""

from __future__ import annotations

import random
import statistics
import time

from benchlib import common

GRACE_S = 1.0


def idle_rates(systems: list, window_s: float) -> dict[str, float]:
    """AT commands per minute of each (already started, idle) system over the same window."""
    before = {s.name: common.commands(s.sim) for s in systems}
    t0 = time.monotonic()
    time.sleep(window_s)
    dt = time.monotonic() - t0
    return {s.name: round((common.commands(s.sim) - before[s.name]) * 60.0 / dt, 2)
            for s in systems}


def inbound_latency(system, n: int, rng: random.Random) -> list[float]:
    """Seconds from the SMS reaching the modem to the system handing it over, `n` times."""
    out = []
    for i in range(n):
        time.sleep(rng.uniform(0.0, 1.1))  # sample the peers' polling phase
        text = "inbound %d for the latency probe" % i
        t0 = time.monotonic()
        system.sim.send_sms(common.SENDER, text)
        common.poll(lambda: text in system.received(), 30.0, 0.01,
                    "%s inbound %d" % (system.name, i))
        out.append(time.monotonic() - t0)
    return out


def run_batch(system, tag: str, n_gsm: int, n_ucs2: int, on_air_s: float) -> dict:
    """Send one batch with `on_air_s` per part; returns time, AT commands, loss figures."""
    sim = system.sim
    sim.network(send_latency_s=on_air_s)
    sim.clear_sent()
    messages = common.batch(tag, n_gsm, n_ucs2)
    staged = system.stage(messages)
    parts = common.parts_of(messages)
    timeout = 60.0 + parts * (on_air_s + 2.0)
    c0 = common.commands(sim)
    t0 = time.monotonic()
    system.release(staged)

    def done():
        sent = sim.sent()
        return len([s for s in sent if common.is_complete(s)]) >= len(messages)

    try:
        common.poll(done, timeout, 0.02, "%s batch %s" % (system.name, tag))
        elapsed = time.monotonic() - t0
    except TimeoutError:
        elapsed = None  # lost messages: counted below
    c1 = common.commands(sim)
    time.sleep(GRACE_S)
    check = common.compare_sent(messages, sim.sent())
    return dict(check, batch_s=None if elapsed is None else round(elapsed, 3),
                commands=c1 - c0, parts=parts, messages=len(messages))


def measure_system(system, idle_at_per_min: float, opts) -> dict:
    """Inbound latency, then the two batches; the figures of one row of the table."""
    rng = random.Random(8)
    lat = inbound_latency(system, opts.inbound, rng)
    zero = run_batch(system, "z", opts.gsm, opts.ucs2, 0.0)
    slow = run_batch(system, "d", opts.gsm, opts.ucs2, opts.on_air)
    idle_cmds = idle_at_per_min * (zero["batch_s"] or 0.0) / 60.0
    return {
        "at_per_part": round(zero["commands"] / zero["parts"], 2),
        "at_per_part_net": round(max(0.0, zero["commands"] - idle_cmds) / zero["parts"], 2),
        "idle_at_per_min": idle_at_per_min,
        "inbound_latency_s": round(statistics.mean(lat), 4),
        "inbound_latency_max_s": round(max(lat), 4),
        "batch_s": {"on_air_0s": zero["batch_s"], "on_air_%gs" % opts.on_air: slow["batch_s"]},
        "lost": zero["lost"] + slow["lost"],
        "duplicated": zero["duplicated"] + slow["duplicated"],
        "incomplete": zero["incomplete"] + slow["incomplete"],
        "unexpected": zero["unexpected"] + slow["unexpected"],
        "concat_ref_reused": zero["concat_ref_reused"] + slow["concat_ref_reused"],
        "startup_s": round(system.startup_s, 2),
        "batch": {"messages": zero["messages"], "parts": zero["parts"]},
    }
