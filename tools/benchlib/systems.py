"""The three systems behind one small interface, each on its own simulated modem.

`start()` boots the system and waits until it has handed over a warm-up inbound SMS (proof
that its modem init is over and its receive path runs); `stage(messages)` prepares a batch
without sending anything; `release(staged)` starts sending it (the batch clock runs from
there); `received()` lists the inbound texts handed over so far; `stop()`.
"""

from __future__ import annotations

import time
from pathlib import Path

from benchlib import common, peers

WARMUP_TEXT = "warm-up inbound"


class System:
    name = ""

    def __init__(self, workdir: Path, model: str, sim_scale: float) -> None:
        self.dir = Path(workdir)
        self.model = model
        self.sim_scale = sim_scale
        self.sim = None
        self.startup_s = None

    def start(self, timeout: float = 90.0) -> None:
        self.sim = common.start_sim(self.model, self.dir / "sim", self.sim_scale)
        t0 = time.monotonic()
        try:
            self._start()
            self.sim.send_sms(common.SENDER, WARMUP_TEXT)
            common.poll(lambda: WARMUP_TEXT in self.received(), timeout, 0.05,
                        "%s warm-up inbound" % self.name)
        except BaseException as exc:
            detail = self.diagnostics()
            self.stop()
            raise RuntimeError("%s did not start: %s\n%s" % (self.name, exc, detail)) from None
        self.startup_s = time.monotonic() - t0

    def stop(self) -> None:
        try:
            self._stop()
        finally:
            if self.sim is not None:
                self.sim.stop()
                self.sim = None

    def _start(self) -> None:
        raise NotImplementedError

    def _stop(self) -> None:
        raise NotImplementedError

    def diagnostics(self) -> str:
        return ""


class Smsgate(System):
    """The real firmware bundle on the virtual board (MicroPython unix port)."""

    name = "smsgate"

    def __init__(self, workdir: Path, model: str, sim_scale: float, heap: str = "256K",
                 config: dict | None = None) -> None:
        super().__init__(workdir, model, sim_scale)
        self.heap = heap
        self.config = config or {}
        self.gw = None

    def _start(self) -> None:
        from smsgate.virtual import VirtualGateway

        # Firmware defaults for the timings that drive idle traffic (sweep every 60 s, probe
        # every 30 s); the modem's own times unscaled, as on a board.
        cfg = {"inbox": {"sweep_ms": 60000}}
        cfg.update(self.config)
        self.gw = VirtualGateway(self.model, data_dir=self.dir / "flash", heap=self.heap,
                                 attach=self.sim.link, config=cfg, fw_scale=1.0)
        self.gw.start(wait=True, timeout=60)

    def _stop(self) -> None:
        if self.gw is not None:
            self.gw.stop()
            self.gw = None

    def diagnostics(self) -> str:
        return self.gw.console_text()[-3000:] if self.gw else ""

    def stage(self, messages: list[dict]) -> list[dict]:
        return [{"textMessage": {"text": m["text"]}, "phoneNumbers": [m["to"]],
                 "withDeliveryReport": False} for m in messages]

    def release(self, staged: list[dict]) -> None:
        for body in staged:
            status, resp, _ = self.gw.api("POST", "/messages", body)
            if status != 202:
                raise RuntimeError("POST /messages -> %s %s" % (status, resp))

    def received(self) -> list[str]:
        status, items, _ = self.gw.api("GET", "/inbox?limit=500", timeout=5)
        return [m.get("contentPreview", "") for m in items] if status == 200 else []

    def heap_check(self) -> dict:
        """The firmware's own heap figures: /health `memory:heap` ([now, high-water] bytes)."""
        doc = self.gw.health() or {}
        return doc.get("checks", {}).get("memory:heap", {})


class Peer(System):
    """A peer daemon (gammu-smsd or smstools3)."""

    daemon_cls = peers.Daemon

    def __init__(self, workdir: Path, model: str, sim_scale: float) -> None:
        super().__init__(workdir, model, sim_scale)
        self.daemon = None

    def _start(self) -> None:
        self.daemon = self.daemon_cls(self.dir, self.sim.link)
        self.daemon.start()

    def _stop(self) -> None:
        if self.daemon is not None:
            self.daemon.stop()

    def diagnostics(self) -> str:
        return self.daemon.log_tail() if self.daemon else ""

    def stage(self, messages: list[dict]) -> list[Path]:
        return self.daemon.stage(messages)

    def release(self, staged: list[Path]) -> None:
        self.daemon.release(staged)

    def received(self) -> list[str]:
        if not self.daemon.alive():
            raise RuntimeError("%s exited: %s" % (self.name, self.daemon.log_tail()))
        return self.daemon.received()


class GammuSmsd(Peer):
    name = "gammu-smsd"
    daemon_cls = peers.GammuSmsd


class Smstools3(Peer):
    name = "smstools3"
    daemon_cls = peers.Smstools3


ALL = (Smsgate, GammuSmsd, Smstools3)
