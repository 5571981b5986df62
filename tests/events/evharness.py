"""Real servers for the webhook and MQTT tests: mosquitto, an HTTP(S) receiver that checks every
signature with CPython's hmac, and the MicroPython stand-in gateway (mpy_gw.py)."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
from helpers import tls_cert, wait_until  # noqa: F401 (tls_cert: a fixture)

from smsgate.runtime import REPO_ROOT, micropython_binary, micropython_env
from smsgate.virtual import free_port

HERE = Path(__file__).resolve().parent


def wait_for(cond, timeout: float = 10.0, what: str = "condition"):
    """Poll `cond()` every 20 ms until it is truthy; return its value or fail after `timeout`."""
    return wait_until(cond, timeout, what, every=0.02)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Mosquitto:
    """A mosquitto broker on 127.0.0.1 with persistence in a temp dir (restartable)."""

    def __init__(self, tmp: Path, tls_files: tuple[str, str] | None = None) -> None:
        self.port = free_port()
        self.dir = tmp
        self.tls = tls_files is not None
        self.conf = tmp / "mosquitto.conf"
        tls = "certfile %s\nkeyfile %s\n" % tls_files if tls_files else ""
        self.conf.write_text(
            "listener %d 127.0.0.1\n%sallow_anonymous true\npersistence true\n"
            "persistence_location %s/\nlog_dest file %s/mosquitto.log\n"
            % (self.port, tls, tmp, tmp)
            # as root, mosquitto would drop to its own user, which cannot write the temp dir
            + ("user root\n" if os.geteuid() == 0 else "")
        )
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(self.conf)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        # alive and listening: a port taken meanwhile by another test run would answer too
        wait_for(lambda: self.proc.poll() is not None or _port_open(self.port), 10,
                 "mosquitto to listen")
        assert self.proc.poll() is None, "mosquitto exited: %s" % self._log()

    def _log(self) -> str:
        try:
            return (self.dir / "mosquitto.log").read_text()[-2000:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: mosquitto saves its persistence file
            self.proc.wait(10)
        self.proc = None

    @property
    def url(self) -> str:
        return "%s://127.0.0.1:%d" % ("mqtts" if self.tls else "mqtt", self.port)


@pytest.fixture
def broker(tmp_path):
    b = Mosquitto(tmp_path)
    b.start()
    yield b
    b.stop()


class Receiver:
    """HTTP(S) webhook receiver: verifies X-Signature over body + X-Timestamp, records envelopes.

    `codes` is a list of status codes answered in turn (then 200); stop()/start() take it off
    and back on the same port (receiver down, then back).
    """

    def __init__(self, key: str | None, tls_files: tuple[str, str] | None = None) -> None:
        self.key = key
        self.tls_files = tls_files
        self.port = free_port()
        self.got: list[dict] = []
        self.bad_signatures = 0
        self.codes: list[int] = []
        self.delay = 0.0  # seconds to sit on each request before answering (a slow receiver)
        self.lock = threading.Lock()
        self.server: http.server.ThreadingHTTPServer | None = None

    def sign(self, body: bytes, ts: str) -> str:
        """The expected X-Signature: hex HMAC-SHA256 of the raw body followed by the timestamp."""
        return hmac.new(self.key.encode(), body + ts.encode(), hashlib.sha256).hexdigest()

    def _handler(self):
        rx = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                if rx.delay:
                    time.sleep(rx.delay)
                ts = self.headers.get("X-Timestamp", "")
                sig = self.headers.get("X-Signature")
                ok = rx.key is None or (
                    sig is not None
                    and abs(int(ts) - time.time()) < 300
                    and hmac.compare_digest(sig, rx.sign(body, ts))
                )
                with rx.lock:
                    code = rx.codes.pop(0) if rx.codes else 200
                    if not ok:
                        rx.bad_signatures += 1
                        code = 401
                    elif code < 300:
                        rx.got.append(json.loads(body))
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return H

    def start(self) -> None:
        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        if self.tls_files:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.tls_files)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self) -> str:
        return "%s://127.0.0.1:%d/hook" % ("https" if self.tls_files else "http", self.port)

    def ids(self, event: str | None = None) -> list[str]:
        with self.lock:
            return [g["id"] for g in self.got if event is None or g["event"] == event]


@pytest.fixture
def receiver():
    r = Receiver("test-signing-key")
    r.start()
    yield r
    r.stop()


class MpyGateway:
    """tests/events/mpy_gw.py on the MicroPython unix port, controlled through files."""

    def __init__(self, work: Path, cfg: dict, heap: str = "128K", mpy_dir: str | None = None):
        self.work = work
        self.cfg = cfg
        self.heap = heap
        self.mpy_dir = mpy_dir
        (work / "config.json").write_text(json.dumps(cfg))
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        (self.work / "ctl.jsonl").write_text("")
        (self.work / "state.json").unlink(missing_ok=True)
        cmd = [micropython_binary(), "-X", "heapsize=" + self.heap, str(HERE / "mpy_gw.py"),
               str(self.work / "config.json"), str(self.work)]
        if self.mpy_dir:
            cmd.append(self.mpy_dir)
        self.log = open(self.work / "mpy.log", "ab")
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=micropython_env(),
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        wait_for(lambda: self.state(), 15, "the MicroPython gateway to start")

    def send(self, **ctl) -> None:
        with open(self.work / "ctl.jsonl", "a") as f:
            f.write(json.dumps(ctl) + "\n")

    def state(self) -> dict:
        if self.proc and self.proc.poll() is not None:
            raise AssertionError("mpy_gw exited: " + (self.work / "mpy.log").read_text()[-2000:])
        try:
            return json.loads((self.work / "state.json").read_text())
        except (OSError, ValueError):
            return {}

    def submitted(self) -> list[dict]:
        p = self.work / "submitted.jsonl"
        return [json.loads(x) for x in p.read_text().splitlines()] if p.exists() else []

    def kill(self) -> None:
        """Power cut: SIGKILL, no goodbye."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()


@pytest.fixture
def mpy_gateway(tmp_path):
    made: list[MpyGateway] = []

    def make(cfg: dict, **kw) -> MpyGateway:
        work = tmp_path / ("gw%d" % len(made))
        work.mkdir(exist_ok=True)
        g = MpyGateway(work, cfg, **kw)
        made.append(g)
        return g

    yield make
    for g in made:
        g.kill()




os.environ.setdefault("PYTHONUNBUFFERED", "1")
