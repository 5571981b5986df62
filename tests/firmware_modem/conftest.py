"""Fixtures: the simulator (SimProcess) and the MicroPython agent running the real firmware
modem stack (boards.unix, at, modem, supervisor) against its pty."""

from __future__ import annotations

import pytest
from modem_agent import Agent, agent_config

from smsgate.sim.harness import SimProcess


@pytest.fixture
def make_pair(tmp_path_factory):
    """make_pair(model, start_agent=True, **agent_over) -> (sim, agent); both stopped after."""
    made = []

    def make(model: str, start_agent: bool = True, sim_args=(), sim_pin=None, **over):
        tmp = tmp_path_factory.mktemp(model)
        sim = SimProcess(
            model, tmp, pin=sim_pin, extra_args=("--report-delay", "0.05", *sim_args)
        ).start()
        made.append(sim)
        ag = None
        if start_agent:
            ag = Agent(agent_config(model, sim.link, str(tmp), **over), tmp / "agent.log")
            made.append(ag)
        return sim, ag

    yield make
    for thing in reversed(made):
        thing.stop()


@pytest.fixture(scope="module", params=["sim800", "sim7600"])
def pair(request, tmp_path_factory):
    """A simulator and a started agent shared by a module's tests, per model."""
    model = request.param
    tmp = tmp_path_factory.mktemp(model)
    sim = SimProcess(model, tmp, extra_args=("--report-delay", "0.05")).start()
    ag = Agent(agent_config(model, sim.link, str(tmp)), tmp / "agent.log")
    try:
        st = ag.call("wait_ready", ms=10000)
        assert "error" not in st, (st, ag.log())
        yield model, sim, ag
    finally:
        ag.stop()
        sim.stop()
