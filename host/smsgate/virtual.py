"""`VirtualGateway`: the real firmware on a virtual board wired to a simulated modem.

One line for tests and benchmarks::

    with VirtualGateway(model="sim800") as gw:
        status, body, headers = gw.api("POST", "/message", {...})
        gw.sim.wait_sent(1)

The board's flash is `data_dir` (kept when given: a restart keeps the queue). The simulator's
pty is made visible on the flash as `/modem.pty` (the board mounts its flash at `/`).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

MODEM_LINK = "modem.pty"  # on the flash; a symlink to the simulator's pty
# --board -> (modem model, board wiring the ESP32 stand-ins read from <flash>/.wiring.json,
# inputs the board sees at power-on): the LilyGO boards' UART 1 pins, the T-Call's IP5306 on
# I2C (0x75), the T-SIM7600's STATUS line (GPIO 34, high while the modem runs).
BOARDS = {
    "unix": ("sim800", None, {}),
    "tcall-sim800l": ("sim800", {"uart1": {"tx": 27, "rx": 26, "port": "/" + MODEM_LINK},
                                 "i2c": [0x75]}, {}),
    "t-sim7600": ("sim7600", {"uart1": {"tx": 27, "rx": 26, "port": "/" + MODEM_LINK},
                              "i2c": []}, {34: 1}),
}
LAB_SSID = "smsgate-lab"  # the access point an ESP32 virtual board joins


class GatewayError(RuntimeError):
    """The virtual gateway did not come up (its console log is in the message)."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gateway_config(
    model: str, port: int, user: str, password: str, extra: dict | None = None,
    time_scale: float = 1.0, board: str = "unix", wifi: dict | None = None,
) -> dict:
    """The config.json of a virtual board (validated with the firmware's own config module).

    `wifi`: the network an ESP32 board joins ({"ssid", "password"}; `extra` may override it,
    e.g. with empty values for an unconfigured board).
    """
    from smsgw import config

    base = {
        "board": board.replace("-", "_"),
        "api": {"user": user, "password": password, "port": port, "host": "127.0.0.1"},
        "modem": {"model": model, "port": "/" + MODEM_LINK, "time_scale": time_scale},
        "queue": {"dir": "/data", "backoff_ms": 500},
        "inbox": {"sweep_ms": 5000},
        "log": {"path": "/log.txt"},
    }
    if wifi:
        base["wifi"] = dict(wifi)
    cfg = config.merge(base, extra or {})
    config.validate(config.merge(config.DEFAULTS, cfg))
    return cfg


class VirtualGateway:
    """Simulated modem + virtual board running the firmware bundle, as a context manager.

    Args:
        model: "sim800" or "sim7600" (None: the board's modem).
        board: "unix" (the unix port with the host's network and clock) or an ESP32 board,
            "tcall-sim800l" / "t-sim7600": its real board module on the virtual board's ESP32
            personality (machine/network/ntptime stand-ins, RTC from 2000, watchdog), joining
            the access point `wifi_ap` (see `set_wifi`).
        http_port: API port (0: a free one).
        data_dir: the board's flash (None: a fresh temporary folder, removed at stop()).
        heap: MicroPython heap (`-X heapsize`).
        user, password: API credentials (password None: a random one).
        attach: pty link of an already running simulator (then no simulator is started).
        config: extra config merged into config.json (validated).
        sim_scale: the simulator's time scale; fw_scale: the firmware's modem time scale.
        sim_args: extra `smsgate sim modem` arguments.
        frozen: the MicroPython binary has the firmware frozen in (firmware/manifest.py): no
            .mpy goes on the flash (smsgate.bundle).
        romfs: the compiled modules in the board's ROMFS partition, mounted at /rom
            (smsgate.bundle.romfs_image); no .mpy goes on the flash.
        wifi_ap: the access point's initial state (ESP32 boards; defaults: up, SSID
            LAB_SSID, a random password that config.json's wifi section also gets).
    """

    def __init__(
        self, model: str | None = None, http_port: int = 0,
        data_dir: str | os.PathLike | None = None,
        heap: str = "256K", user: str = "sms", password: str | None = None,
        attach: str | None = None, config: dict | None = None, sim_scale: float = 0.05,
        fw_scale: float = 0.2, sim_args: tuple = (), repl_link: str | None = None,
        install: bool | None = None, frozen: bool = False, board: str = "unix",
        wifi_ap: dict | None = None, romfs: bool = False,
    ) -> None:
        if board not in BOARDS:
            raise ValueError("board must be one of %s" % ", ".join(BOARDS))
        self.board_name = board
        self.model = model or BOARDS[board][0]
        self.esp32 = board != "unix"
        self.wifi_ap = {"up": True, "ssid": LAB_SSID, "password": secrets.token_urlsafe(9),
                        "rssi": -58, "ntp": True}
        self.wifi_ap.update(wifi_ap or {})
        self.port = http_port or free_port()
        self._tmp = Path(tempfile.mkdtemp(prefix="smsgate-virtual-"))
        self._own_data = data_dir is None
        self.data_dir = Path(data_dir) if data_dir else self._tmp / "flash"
        self.heap = heap
        self.user = user
        # the board's generator (smsgw.password): never a '-' first, which `smsgate ota
        # --password ...` would read as an option (token_urlsafe's did, 1 in 64)
        from smsgw.password import new_password

        self.password = password or new_password()
        self.attach = attach
        self.extra = config or {}
        self.sim_scale = sim_scale
        self.fw_scale = fw_scale
        self.sim_args = tuple(sim_args)
        self.repl_link = repl_link  # D: the board's REPL on a pty link (mpremote connect LINK)
        # None: install the host's firmware only on a flash without one (a given --data keeps
        # what it runs, e.g. an over-the-air update); True: install it anyway
        self.install = install
        self.frozen = frozen
        self.romfs = romfs
        self.sim = None
        self.board = None
        self.console = self._tmp / "console.log"

    # -- life cycle ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.port

    def start(self, wait: bool = True, timeout: float = 60.0) -> "VirtualGateway":
        """Start the simulator (unless attached), install the bundle, boot the board."""
        from smsgate import bundle

        if self.board is not None:  # a second board would share the flash and the port
            raise GatewayError("the virtual board is running already: stop() it first")

        link = self.attach
        if link is None:
            from smsgate.sim.harness import SimProcess

            self.sim = SimProcess(self.model, self._tmp / "sim", time_scale=self.sim_scale,
                                  extra_args=self.sim_args).start()
            link = self.sim.link
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.install or not (self.data_dir / "main.py").exists():
            bundle.install_to_dir(self.board_name, self.data_dir, frozen=self.frozen,
                                  romfs=self.romfs)
            # the installed root tree is what boots, not a slot an update left behind
            (self.data_dir / "fw" / "state").unlink(missing_ok=True)
        self._link_modem(link)
        self._write_config()
        if self.esp32:
            self._wire()
        self.board = self._new_board().start()
        if wait:
            self.wait_ready(timeout)
        return self

    def _new_board(self):
        from smsgate.vboard import VirtualBoard

        return VirtualBoard(self.data_dir, heap=self.heap, log=self.console,
                            repl_link=self.repl_link,
                            personality="esp32" if self.esp32 else "unix")

    def _wire(self) -> None:
        """The ESP32 board's world: its PCB wiring, its input levels, the access point."""
        from smsgate.board_control import PinFiles

        _, wiring, inputs = BOARDS[self.board_name]
        (self.data_dir / ".wiring.json").write_text(json.dumps(wiring))
        files = PinFiles(self.data_dir)
        if inputs:
            files.set_inputs(inputs)
        files.set_wifi(**self.wifi_ap)

    def set_wifi(self, **changes: Any) -> dict:
        """Change the access point the ESP32 board can join (up, password, ssid, rssi, ntp)."""
        from smsgate.board_control import PinFiles

        self.wifi_ap.update(changes)
        return PinFiles(self.data_dir).set_wifi(**changes)

    def wifi(self) -> dict:
        """{"ap": the access point, "board": what the board's radio does}."""
        from smsgate.board_control import PinFiles

        return PinFiles(self.data_dir).wifi()

    def sockets(self) -> dict:
        """The ESP32 board's lwIP sockets: {"open", "max", "peak", "refused"} ({} before any)."""
        from smsgate.board_control import PinFiles

        return PinFiles(self.data_dir).sockets()

    def _link_modem(self, link: str) -> None:
        dest = self.data_dir / MODEM_LINK
        if dest.is_symlink() or dest.exists():
            dest.unlink()
        # Point at the simulator's own link, not the /dev/pts/N behind it: when the simulator
        # stops, its link goes and the board gets ENOENT, instead of opening whatever pty the
        # kernel hands that number to next (another board's REPL, seen in parallel test runs).
        os.symlink(os.path.abspath(link), dest)

    def _write_config(self) -> None:
        path = self.data_dir / "config.json"
        old = {}
        if path.exists():
            old = json.loads(path.read_text())
        from smsgw import config

        wifi = None
        if self.esp32:
            wifi = {"ssid": self.wifi_ap["ssid"], "password": self.wifi_ap["password"]}
        ours = gateway_config(self.model, self.port, self.user, self.password, self.extra,
                              self.fw_scale, self.board_name, wifi)
        path.write_text(json.dumps(config.merge(old, ours), indent=1))

    def restart_board(self, kill: bool = True, wait: bool = True, timeout: float = 60.0) -> None:
        """Power-cycle the board (kill: SIGKILL = power cut), keeping its flash."""
        if self.board is not None:
            self.board.kill() if kill else self.board.stop()
        self.board = self._new_board().start()
        if wait:
            self.wait_ready(timeout)

    def kill_board(self) -> None:
        """Cut the board's power (SIGKILL): nothing is flushed."""
        if self.board is not None:
            self.board.kill()
            self.board = None

    def stop(self) -> None:
        """Stop the board and the simulator; remove the temporary folder."""
        if self.board is not None:
            self.board.stop()
            self.board = None
        if self.sim is not None:
            self.sim.stop()
            self.sim = None
        shutil.rmtree(self._tmp, ignore_errors=True)  # the flash survives when it was given

    def __enter__(self) -> "VirtualGateway":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- API client ----------------------------------------------------------------------------
    def api(self, method: str, path: str, body: Any = None, auth: bool | tuple = True,
            raw: bytes | None = None, timeout: float = 10.0) -> tuple[int, Any, dict]:
        """One HTTP call to the gateway: (status, decoded JSON or None, headers)."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if auth:
            user, pw = auth if isinstance(auth, tuple) else (self.user, self.password)
            token = base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
            req.add_header("Authorization", "Basic " + token)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, payload, headers = resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as exc:
            status, payload, headers = exc.code, exc.read(), dict(exc.headers)
        try:
            decoded = json.loads(payload) if payload else None
        except ValueError:
            decoded = payload.decode(errors="replace")
        return status, decoded, headers

    def health(self) -> dict | None:
        """The /health document, or None when there is no answer or it is cut short (a board
        near its heap limit can close the connection mid-body: http.client.IncompleteRead)."""
        try:
            return self.api("GET", "/health", timeout=3)[1]
        except (OSError, urllib.error.URLError, http.client.HTTPException):
            return None

    def checks(self) -> dict:
        """The /health document's checks by name ({} while there is none: no answer, or a
        body cut short or not JSON)."""
        doc = self.health()
        checks = doc.get("checks") if isinstance(doc, dict) else None
        return checks if isinstance(checks, dict) else {}

    def firmware_exec(self, code: str) -> str:
        """Run `code` in the running firmware's interpreter over the board's REPL (needs
        `repl_link`) and return what it printed. mpremote's `resume` stops the gateway with
        Ctrl-C without a soft reset, so the code sees the firmware's own modules and objects;
        the board then waits at its REPL (restart_board() boots it again)."""
        if not self.repl_link:
            raise RuntimeError("firmware_exec needs a VirtualGateway with repl_link")
        out = subprocess.run([sys.executable, "-m", "mpremote", "connect", self.repl_link,
                              "resume", "exec", code], capture_output=True, text=True,
                             timeout=120, stdin=subprocess.DEVNULL)
        if out.returncode:
            raise RuntimeError("mpremote: %s" % out.stderr.strip())
        return out.stdout

    def firmware_modules(self) -> set[str]:
        """The modules the running firmware has in sys.modules (firmware_exec)."""
        return set(self.firmware_exec("import sys; print(' '.join(sorted(sys.modules)))")
                   .split())

    def wait_ready(self, timeout: float = 60.0) -> dict:
        """Wait until the API answers and the modem check passes."""
        deadline = time.monotonic() + timeout
        doc = None
        while time.monotonic() < deadline:
            doc = self.health()
            if isinstance(doc, dict) and doc.get("checks", {}).get("modem", {}).get("status") \
                    == "pass":
                return doc
            if self.board is not None and not self.board.alive:
                break
            time.sleep(0.1)
        raise GatewayError("gateway not ready after %.0fs (health %s); console:\n%s"
                           % (timeout, doc, self.console_text()[-3000:]))

    def console_text(self) -> str:
        try:
            return self.console.read_text(errors="replace")
        except OSError:
            return ""

    def wait_state(self, msg_id: str, states: tuple | str, timeout: float = 20.0) -> dict:
        """Poll GET /messages/{id} until its state is one of `states`; returns the status."""
        states = (states,) if isinstance(states, str) else tuple(states)
        deadline = time.monotonic() + timeout
        body = None
        while time.monotonic() < deadline:
            status, body, _ = self.api("GET", "/messages/" + msg_id)
            if status == 200 and body["state"] in states:
                return body
            time.sleep(0.1)
        raise TimeoutError("message %s not in %s after %.0fs: %s"
                           % (msg_id, states, timeout, body))
