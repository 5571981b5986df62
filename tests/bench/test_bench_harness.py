"""`tools/bench.py` runs end to end on a tiny batch and writes `bench.json` in the documented
shape. Figures are never asserted (shared machines are noisy); only that each was measured."""

from __future__ import annotations

import json
import numbers
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SYSTEM_KEYS = ("at_per_part", "idle_at_per_min", "inbound_latency_s", "batch_s", "lost",
               "duplicated")
FOOTPRINT_KEYS = ("min_heap_kb", "heap_high_water_kb", "mpy_bundle_bytes", "http_rps",
                  "queue_op_us", "web_page")


def _number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "bench.py"), "--tiny",
                           "--out", str(out)], cwd=REPO, capture_output=True, text=True,
                          timeout=400, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out, proc.stdout


def test_bench_writes_json_in_the_documented_shape(bench):
    out, _ = bench
    doc = json.loads(out.read_text())
    assert isinstance(doc["machine"], dict) and doc["machine"]["cpus"]
    assert sorted(doc["systems"]) == ["gammu-smsd", "smsgate", "smstools3"]
    for name, row in doc["systems"].items():
        for key in SYSTEM_KEYS:
            assert key in row, (name, key)
        for key in ("at_per_part", "idle_at_per_min", "inbound_latency_s"):
            assert _number(row[key]), (name, key, row[key])
        assert isinstance(row["lost"], int) and isinstance(row["duplicated"], int)
        assert len(row["batch_s"]) == 2, row["batch_s"]  # on-air delay zero and realistic
        assert all(v is None or _number(v) for v in row["batch_s"].values())
    fp = doc["footprint"]
    for key in FOOTPRINT_KEYS:
        assert key in fp, key
    assert _number(fp["min_heap_kb"]) and _number(fp["mpy_bundle_bytes"])
    assert _number(fp["heap_high_water_kb"])
    core = fp["core_state"]  # the core's live heap and interned names after its scenario
    assert _number(core["live_bytes"]) and core["names_bytes"] < core["live_bytes"], core
    assert core["names"] > 500 and core["names_room"] >= 0 and core["next_pool_bytes"] > 512
    for key in ("smsgate_get_health", "smsgate_post_messages", "microdot_get_health",
                "microdot_post_messages"):
        assert _number(fp["http_rps"][key]["rps"]), key
    assert sorted(fp["queue_op_us"]) == ["10", "100", "1000"]
    for depth, ops in fp["queue_op_us"].items():
        assert all(_number(ops[op]) for op in ("put", "get", "update")), (depth, ops)
    web = fp["web_page"]
    assert 0 < web["second_visit_page_bytes"] < web["page_bytes"] <= 24 * 1024, web
    assert _number(web["delta_high_water_kb"]) and web["first_visit_requests"] > 3
    fleet = doc["fleet"]  # the same batch through 1, 2 and 3 boards of a fleet
    assert [r["boards"] for r in fleet["runs"]] == [1, 2, 3]
    assert all(_number(r["seconds"]) and r["twice"] == 0 for r in fleet["runs"])
    assert sorted(fleet["speedup"]) == ["2", "3"] and all(map(_number, fleet["speedup"].values()))


def test_bench_prints_and_writes_the_table(bench):
    out, stdout = bench
    md = out.with_suffix(".md").read_text()
    assert md.splitlines()[0].startswith("| ") and "smstools3" in md.splitlines()[0]
    assert "smallest heap" in md and "Measured " in md and "web page" in md
    assert "next name pool" in md
    assert "speed-up over one board" in md
    assert md.strip() in stdout
