"""The MicroPython agent (agent.py: the real boards.unix, at, modem and supervisor) as a
subprocess driven by JSON lines, for tests/firmware_modem."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path

from smsgate.runtime import REPO_ROOT, micropython_binary, micropython_env

AGENT = Path(__file__).with_name("agent.py")
HEAP = "192K"


def agent_config(model: str, link: str, data_dir: str, **over) -> dict:
    """Modem config with every firmware time scaled down to match the simulator's 0.02."""
    modem = {
        "model": model, "port": link, "time_scale": 0.05, "probe_ms": 300,
        "probe_every_ms": 300, "backoff_ms": 20, "backoff_max_ms": 200,
        "boot_timeout_ms": 3000, "reg_timeout_ms": 5000, "ready_timeout_ms": 5000,
        "poll_ms": 50, "cmgs_timeout_ms": 2000, "prompt_ms": 1000,
    }  # fmt: skip
    modem.update(over)
    return {"modem": modem, "data_dir": data_dir}


class Agent:
    """The MicroPython agent as a subprocess: `call(op, **kw)` -> reply dict."""

    def __init__(self, config: dict, log_path: Path) -> None:
        self.log_path = log_path
        cfg_path = log_path.with_suffix(".json")
        cfg_path.write_text(json.dumps(config))
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [micropython_binary(), "-X", "heapsize=" + HEAP, str(AGENT), str(cfg_path)],
            cwd=REPO_ROOT, env=micropython_env(), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._log,
        )  # fmt: skip
        self._lines: queue.Queue = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def call(self, op: str, timeout: float = 15.0, **kw) -> dict:
        """Send one request; wait for its reply line (AssertionError with the log if none)."""
        self.proc.stdin.write((json.dumps(dict(kw, op=op)) + "\n").encode())
        self.proc.stdin.flush()
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("agent: no reply to %s; log:\n%s" % (op, self.log())) from None
        if line is None:
            raise AssertionError("agent exited (%s); log:\n%s" % (self.proc.wait(5), self.log()))
        return json.loads(line)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_exit(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(5)
            except (subprocess.TimeoutExpired, BrokenPipeError):
                self.proc.kill()
                self.proc.wait(5)
        self.proc.stdout.close()
        self._log.close()
