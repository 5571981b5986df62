"""The fleet tests' harness: a mosquitto broker (tests/events' evharness) and virtual boards,
each with its own simulated modem and flash, in one group."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "events"))

from evharness import broker  # noqa: E402,F401 (a fixture)

from smsgate.virtual import VirtualGateway  # noqa: E402

GROUP = "g1"
LATENCY_S = "0.3"  # the simulator's seconds from ^Z to +CMGS: about a third of a second a part


def board_config(broker_url: str, device: str, prefixes=(), weight: int = 3) -> dict:
    """A fleet board's config; device "": no device.id (the IMEI's deviceId is used)."""
    return {"device": {"id": device},
            "mqtt": {"url": broker_url, "discovery": False, "reconnect_max_s": 1,
                     "keepalive_s": 10, "status_interval_s": 5,
                     "fleet": {"group": GROUP, "prefixes": list(prefixes), "weight": weight}}}


class Fleet:
    """Virtual boards in one group; `boards[name]` is a VirtualGateway (flash kept)."""

    def __init__(self, mqtt_broker, tmp: Path) -> None:
        self.broker, self.tmp = mqtt_broker, tmp
        self.boards: dict[str, VirtualGateway] = {}

    def add(self, name: str, prefixes=(), weight: int = 3, imei: str | None = None,
            device: str | None = None) -> VirtualGateway:
        """A board; `imei`: its simulated modem's; `device`: its device.id (default `name`)."""
        sim_args = ("--send-latency", LATENCY_S)
        if imei:
            from smsgate.sim.profiles import SIM800

            ident = dict(SIM800["identity"], CGSN=imei)
            sim_args += ("--set", "identity=" + json.dumps(ident))
        cfg = board_config(self.broker.url, name if device is None else device, prefixes,
                           weight)
        gw = VirtualGateway(config=cfg, data_dir=self.tmp / name, heap="512K",
                            sim_args=sim_args)
        self.boards[name] = gw
        return gw

    def start(self) -> None:
        for gw in self.boards.values():
            gw.start(wait=False)
        for gw in self.boards.values():
            gw.wait_ready(90)

    def sent(self) -> dict[str, list[dict]]:
        """Each board's simulator /sent."""
        return {n: gw.sim.sent() for n, gw in self.boards.items()}

    def stop(self) -> None:
        for gw in self.boards.values():
            gw.stop()


@pytest.fixture
def fleet(broker, tmp_path):  # noqa: F811 (the imported fixture, by name)
    f = Fleet(broker, tmp_path)
    yield f
    f.stop()
