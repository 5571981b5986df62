"""What every system of the comparison shares: the batch, the checks on what reached the
network, polling with a deadline, and the simulator started the same way for each system."""

from __future__ import annotations

import collections
import time
from pathlib import Path
from typing import Callable

from smsgate.sim.harness import SimProcess

DEST = "+4915112345678"
SENDER = "+4917055501"
# 3 UCS-2 parts: more than 134 and at most 201 UTF-16 units (67 per part with the concat UDH).
_UCS2_BODY = "Привет из бенчмарка, часть текста для трёх частей UCS-2. "  # 57 characters


def batch(tag: str, n_gsm: int, n_ucs2: int) -> list[dict]:
    """The messages one batch sends: `n_gsm` single-part GSM-7 and `n_ucs2` 3-part UCS-2.

    Each text carries `tag` and its index, so runs never mix and duplicates show.
    """
    out = []
    for i in range(n_gsm):
        out.append({"to": DEST, "text": "bench %s gsm %d: hello from the batch" % (tag, i),
                    "parts": 1, "encoding": "gsm7"})
    for i in range(n_ucs2):
        text = ("%s u%d " % (tag, i)) + _UCS2_BODY * 3
        out.append({"to": DEST, "text": text[:180], "parts": 3, "encoding": "ucs2"})
    return out


def parts_of(messages: list[dict]) -> int:
    return sum(m["parts"] for m in messages)


def is_complete(entry: dict) -> bool:
    """Every part of the message reached the network.

    The simulator's own flag stays false when a sender reuses a concatenation reference of
    a group it completed moments before (it takes that for a late repeat); gammu-smsd-inject
    does this (the same reference in every run), so parts are counted here as well.
    """
    return bool(entry.get("complete")) or entry.get("parts", 0) >= entry.get("total", 1) > 1


def concat_ref(hexpdu: str):
    from smsgw.codec import pdu

    return ((pdu.decode(hexpdu).get("udh") or {}).get("concat") or {}).get("ref")


def compare_sent(messages: list[dict], sent: list[dict]) -> dict:
    """Lost and duplicated messages: what was submitted against the simulator's `/sent`.

    A message is lost when no complete copy reached the network, duplicated for each extra
    complete copy; incomplete multipart groups are counted apart, and so are multipart
    messages that reuse the concatenation reference of an earlier one to the same number
    (a handset may merge or drop them).
    """
    done = [s for s in sent if is_complete(s)]
    want = collections.Counter((m["to"], m["text"]) for m in messages)
    got = collections.Counter((s["to"], s["text"]) for s in done)
    lost = sum(max(0, n - got[k]) for k, n in want.items())
    dup = sum(max(0, got[k] - n) for k, n in want.items())
    foreign = sum(n for k, n in got.items() if k not in want)
    incomplete = len(sent) - len(done)
    refs = [(s["to"], concat_ref(s["pdus"][0])) for s in done if s.get("total", 1) > 1]
    return {"lost": lost, "duplicated": dup, "unexpected": foreign, "incomplete": incomplete,
            "concat_ref_reused": len(refs) - len(set(refs))}


def poll(cond: Callable[[], object], timeout: float, every: float = 0.01,
         what: str = "") -> object:
    """Call `cond` until it returns something true; TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > deadline:
            raise TimeoutError("%s: not done after %.1fs" % (what or "wait", timeout))
        time.sleep(every)


def start_sim(model: str, tmpdir: Path, time_scale: float) -> SimProcess:
    """The simulated modem every system talks to (registered, SMS-ready)."""
    sim = SimProcess(model, tmpdir, time_scale=time_scale).start()
    try:
        sim.wait_ready(30)
    except BaseException:
        sim.stop()
        raise
    return sim


def commands(sim: SimProcess) -> int:
    """AT command lines the simulator has parsed so far."""
    return sim.status()["counters"]["commands"]
