"""Test harness: run the simulator as a subprocess (`SimProcess`) or in a thread (`SimThread`).

Both offer the same control helpers (`send_sms`, `sent`, `fault`, `log`, ...), talking to the
control API over HTTP with urllib, so tests see the simulator exactly as any client would.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from smsgate.procs import end_process


class SimError(RuntimeError):
    """The simulator did not start, or the control API answered an error."""


class _ControlClient:
    """Helpers over the control API; subclasses set `control_url` and `link`."""

    control_url: str = ""
    link: str = ""

    def request(self, method: str, path: str, body: object = None, timeout: float = 10.0):
        """One control call; returns the decoded JSON. Raises SimError on an HTTP error."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.control_url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise SimError("%s %s -> %d %s" % (method, path, exc.code, exc.read().decode()))

    def send_sms(self, from_: str, text: str, **kw) -> dict:
        """Deliver an inbound SMS (kw: class_=0..3 -> "class", encoding="ucs2")."""
        body = {"from": from_, "text": text}
        if "class_" in kw:
            body["class"] = kw.pop("class_")
        body.update(kw)
        return self.request("POST", "/sms", body)

    def sent(self) -> list[dict]:
        return self.request("GET", "/sent")

    def clear_sent(self) -> None:
        self.request("DELETE", "/sent")

    def send_data(self, from_: str, data_b64: str, port: int) -> dict:
        """Deliver an inbound data SMS (8-bit, to application `port`)."""
        return self.request("POST", "/sms", {"from": from_, "data": data_b64, "port": port})

    def fault(self, kind: str, **kw) -> dict:
        return self.request("POST", "/fault", dict(kw, kind=kind))

    def call(self, from_: str) -> dict:
        return self.request("POST", "/call", {"from": from_})

    def hangup(self) -> dict:
        return self.request("POST", "/hangup", {})

    def log(self) -> list[dict]:
        return self.request("GET", "/log")

    def storage(self) -> dict:
        return self.request("GET", "/storage")

    def network(self, **kw) -> dict:
        return self.request("POST", "/network", kw)

    def power(self, on: bool) -> dict:
        return self.request("POST", "/power", {"on": on})

    def pwrkey(self, ms: float) -> dict:
        """Press the modem's PWRKEY for `ms` milliseconds (on when off, off when held)."""
        return self.request("POST", "/pwrkey", {"ms": ms})

    def dtr(self, level: int) -> dict:
        """Drive the modem's DTR input (AT+CSCLK=1 sleep control)."""
        return self.request("POST", "/dtr", {"level": level})

    def status(self) -> dict:
        return self.request("GET", "/status")

    def wait_sent(self, n: int, timeout: float = 10.0) -> list[dict]:
        """Wait until `n` complete logical messages were sent; returns the list.

        Raises:
            TimeoutError: fewer than `n` after `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            sent = [s for s in self.sent() if s.get("complete")]
            if len(sent) >= n:
                return sent
            if time.monotonic() > deadline:
                raise TimeoutError("%d of %d messages sent after %.1fs" % (len(sent), n, timeout))
            time.sleep(0.05)

    def wait_ready(self, timeout: float = 10.0) -> dict:
        """Wait until the modem is SMS-ready and registered (after boot or a reboot)."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.status()
            if st["sms_ready"] and st["registered"] in (1, 5):
                return st
            if time.monotonic() > deadline:
                raise TimeoutError("modem not ready after %.1fs: %s" % (timeout, st))
            time.sleep(0.02)


class SimProcess(_ControlClient):
    """`python -m smsgate sim modem ...` as a subprocess, as a context manager.

    Args:
        model: "sim800" or "sim7600".
        tmpdir: folder for the pty symlink (`ttyV0`) and the log file.
        number, pin, time_scale: passed to the simulator.
        extra_args: more CLI arguments (e.g. ("--report-delay", "0.1")).
    """

    def __init__(self, model: str = "sim800", tmpdir: str | os.PathLike = ".",
                 number: str = "+15550009999", pin: str | None = None,
                 time_scale: float = 0.02, extra_args=(), start_timeout: float = 15.0) -> None:
        self.model = model
        self.tmpdir = Path(tmpdir)
        self.link = str(self.tmpdir / "ttyV0")
        self.log_path = self.tmpdir / ("sim-%s.log" % model)
        self.args = [sys.executable, "-m", "smsgate", "sim", "modem", "--model", model,
                     "--link", self.link, "--control", "0", "--number", number,
                     "--time-scale", str(time_scale), *extra_args]
        if pin is not None:
            self.args += ["--pin", pin]
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None

    def start(self) -> SimProcess:
        self.tmpdir.mkdir(parents=True, exist_ok=True)
        out = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        finally:
            out.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SimError("simulator exited %s: %s" % (self.proc.returncode,
                                                           self.log_path.read_text()))
            found = re.search(r"control: (http://\S+)", self.log_path.read_text())
            if found and os.path.exists(self.link):
                self.control_url = found.group(1)
                self.status()
                return self
            time.sleep(0.02)
        self.stop()
        raise SimError("simulator did not start in %.0fs" % self.start_timeout)

    def stop(self) -> int | None:
        """SIGTERM, wait (kill after 5 s); returns the exit status."""
        return end_process(self.proc)

    def __enter__(self) -> SimProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class SimThread(_ControlClient):
    """The simulator in a background thread of this process (no subprocess start cost).

    Same arguments as `SimProcess` plus any `Modem` keyword (send_latency_s, ...).
    """

    def __init__(self, model: str = "sim800", tmpdir: str | os.PathLike = ".",
                 number: str = "+15550009999", pin: str | None = None,
                 time_scale: float = 0.02, tcp: int | None = None, **modem_kw) -> None:
        self.tmpdir = Path(tmpdir)
        self.link = str(self.tmpdir / "ttyV0")
        self._kw = dict(model=model, number=number, pin=pin, time_scale=time_scale, **modem_kw)
        self._tcp = tcp
        self.loop: asyncio.AbstractEventLoop | None = None
        self.sim = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> SimThread:
        self.tmpdir.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name="sim", daemon=True)
        self._thread.start()
        if not self._ready.wait(15):
            raise SimError("simulator thread did not start")
        if self._error:
            raise SimError("simulator thread failed: %r" % self._error)
        return self

    def _run(self) -> None:
        from smsgate.sim.serve import Simulator

        self.loop = asyncio.new_event_loop()
        try:
            self.sim = Simulator(link=self.link, control=0, tcp=self._tcp, **self._kw)
            self.loop.run_until_complete(self.sim.start())
            self.control_url = "http://127.0.0.1:%d" % self.sim.control_port
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.sim.stop())
        self.loop.close()

    @property
    def modem(self):
        return self.sim.modem

    def stop(self) -> None:
        if self.loop and self._thread and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)

    def __enter__(self) -> SimThread:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
