"""Shared helpers for the simulator tests: an independent pyserial AT client and sim fixtures."""

from __future__ import annotations

import pytest
from simtest_helpers import ATClient

from smsgate.sim.harness import SimProcess

@pytest.fixture(scope="module", params=["sim800", "sim7600"])
def sim(request, tmp_path_factory):
    """One simulator process per model for the whole module."""
    with SimProcess(request.param, tmp_path_factory.mktemp(request.param)) as s:
        s.wait_ready()
        yield s


@pytest.fixture
def at(sim):
    """A fresh AT connection with echo off and CMEE=1, after any reboot has settled."""
    sim.wait_ready()
    client = ATClient(sim.link)
    client.sync()
    client.cmd(b"AT+CMEE=1")
    yield client
    client.close()
