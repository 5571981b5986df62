"""Fuzz campaigns (hypothesis): the budget and the tally (tests/fuzz/conftest.py prints it).

FUZZ_EXAMPLES sets the inputs per property (default: a small budget for the normal suite, run
with a fixed seed so that CI is reproducible); `make fuzz` raises it, draws fresh random inputs
(FUZZ_RANDOM=1) and sets FUZZ_REPORT, the JSON file where the tally goes: inputs tried and the
distinct crashes found, per campaign.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))
TALLY: dict[str, dict] = {}


def fuzz_settings(default: int):
    """hypothesis settings for one property: FUZZ_EXAMPLES or `default` inputs."""
    return settings(
        max_examples=EXAMPLES or default, deadline=None, database=None,
        derandomize=not os.environ.get("FUZZ_RANDOM"), print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                               HealthCheck.function_scoped_fixture],
    )


def tally(campaign: str) -> dict:
    """The counters of one campaign: {"inputs": n, "crashes": {signature: example}}."""
    return TALLY.setdefault(campaign, {"inputs": 0, "crashes": {}})


def pytest_terminal_summary(terminalreporter):
    if not TALLY:
        return
    doc = {name: dict(t, crashes=len(t["crashes"]), examples=list(t["crashes"].values()))
           for name, t in TALLY.items()}
    for name, t in doc.items():
        terminalreporter.write_line("fuzz %-5s inputs %6d  crashes %d  %s" % (
            name, t["inputs"], t["crashes"],
            " ".join("%s:%d" % kv for kv in sorted(t.get("answers", {}).items()))))
    out = os.environ.get("FUZZ_REPORT")
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(doc, indent=1) + "\n")
        terminalreporter.write_line("wrote %s" % out)
