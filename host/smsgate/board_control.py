"""Pin control of the virtual board: an HTTP port that plays the outside world's wires.

`boards/unix.py` (the firmware side) reads its inputs from `<flash>/.pins.json`
(`{"<gpio>": value}`, digital levels and ADC readings alike) and writes its outputs to
`<flash>/.outputs.json`. This module edits and reads those files for the host:

- `POST /pins/{pin}` `{"value": 0|1}`  sets a digital input level;
- `POST /adc/{pin}`  `{"value": N}`    sets an analog reading (0..65535);
- `GET /pins/{pin}`                    `{"pin", "value"}`: the level the firmware drives on an
  output (null when it never wrote it), plus `"input"`: what the host set;
- `GET /pins`                          `{"inputs": {...}, "outputs": {...}}`;
- `POST /wifi` `{"up": bool, "password": str, "ssid": str, "rssi": int, "ntp": bool,
  "join_ms": int, "scan_ms": int, "neighbours": [{"ssid", "rssi", "channel", "security":
  authmode number, "hidden": bool}]}` (any of them): changes the access point the board can
  join and the other networks its scan hears (ESP32 boards: `mpy/esp32/network.py` reads
  `<flash>/.wifi.json`); `GET /wifi` `{"ap": {...}, "board": {...}}`: that access point
  and what the board's radio does (station status, IP, hostname, its own setup AP);
- `GET /sockets` `{"open", "max", "peak", "refused"}` (ESP32 boards): the lwIP socket budget
  as `mpy/esp32/socket.py` counts it (`<flash>/.sockets.json`; `{}` before the first socket);
- `POST /freeze` `{}`: test hook, the board's Wi-Fi driver wedges in its next call (the event
  loop freezes; only a watchdog gets the board out).

Inputs are written atomically (temp file + rename) so the firmware never reads half a file.
Served on 127.0.0.1 only, from a thread (`BoardControl(data_dir, port).start()`).
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

INPUTS = ".pins.json"
OUTPUTS = ".outputs.json"
WIFI_AP = ".wifi.json"  # the access point (host -> board)
WIFI_BOARD = ".wifi_board.json"  # what the board's radio does (board -> host)
SOCKETS = ".sockets.json"  # the socket budget the board's lwIP stand-in counts (board -> host)
WIFI_KEYS = {"up": bool, "password": str, "ssid": str, "rssi": int, "ntp": bool,
             "join_ms": int, "scan_ms": int, "neighbours": list}
NEIGHBOUR_KEYS = {"ssid": str, "rssi": int, "channel": int, "security": int, "hidden": bool}
MAX_NEIGHBOURS = 64
MAX_BODY = 16384  # room for MAX_NEIGHBOURS
MAX_PIN = 63
MAX_ADC = 65535


class PinFiles:
    """The two pin files of one virtual board's flash folder."""

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.dir = Path(data_dir)
        self._lock = threading.Lock()

    def _load(self, name: str) -> dict[str, Any]:
        try:
            data = json.loads((self.dir / name).read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def inputs(self) -> dict[str, Any]:
        return self._load(INPUTS)

    def outputs(self) -> dict[str, Any]:
        return self._load(OUTPUTS)

    def set_input(self, pin: int, value: int) -> None:
        """Set an input (digital level or ADC reading) the firmware will read next."""
        with self._lock:
            data = self.inputs()
            data[str(pin)] = int(value)
            tmp = self.dir / (INPUTS + ".tmp")
            tmp.write_text(json.dumps(data))
            os.replace(tmp, self.dir / INPUTS)

    def output(self, pin: int) -> int | None:
        """The level the firmware last wrote on `pin`, or None."""
        v = self.outputs().get(str(pin))
        return None if v is None else int(v)

    def _store(self, name: str, data: dict[str, Any]) -> None:
        tmp = self.dir / (name + ".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.dir / name)

    def wifi(self) -> dict[str, Any]:
        """The access point the board can join, and what the board's radio does."""
        return {"ap": self._load(WIFI_AP), "board": self._load(WIFI_BOARD)}

    def set_wifi(self, **changes: Any) -> dict[str, Any]:
        """Change the access point (keys of WIFI_KEYS, plus `hang`); returns its new state."""
        with self._lock:
            data = self._load(WIFI_AP)
            data.update(changes)
            self._store(WIFI_AP, data)
            return data

    def sockets(self) -> dict[str, Any]:
        """The board's sockets: open now, the limit, the peak, how many were refused."""
        return self._load(SOCKETS)

    def set_inputs(self, values: dict[int, int]) -> None:
        """Set several inputs at once (board wiring at install: e.g. a STATUS line)."""
        with self._lock:
            data = self.inputs()
            data.update({str(k): int(v) for k, v in values.items()})
            self._store(INPUTS, data)


def _pin_of(path: str, prefix: str) -> int | None:
    rest = path[len(prefix) :]
    if not rest.isdigit() or int(rest) > MAX_PIN:
        return None
    return int(rest)


def _typed(obj: dict[str, Any], keys: dict[str, type]) -> bool:
    # every key known and of its type (a bool is not an int here)
    return all(k in keys and isinstance(v, keys[k])
               and not (keys[k] is int and isinstance(v, bool)) for k, v in obj.items())


def _neighbours_ok(ns: list[Any]) -> bool:
    return len(ns) <= MAX_NEIGHBOURS and all(
        isinstance(n, dict) and _typed(n, NEIGHBOUR_KEYS)
        and 0 < len(n.get("ssid", "x").encode()) <= 32 for n in ns)


class _Handler(BaseHTTPRequestHandler):
    files: PinFiles  # set on the subclass made per server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # quiet: tests and the CLI print what matters

    def _answer(self, status: int, obj: Any) -> None:
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/wifi":
            self._answer(200, self.files.wifi())
            return
        if path == "/sockets":
            self._answer(200, self.files.sockets())
            return
        if path == "/pins":
            self._answer(200, {"inputs": self.files.inputs(), "outputs": self.files.outputs()})
            return
        pin = _pin_of(path, "/pins/") if path.startswith("/pins/") else None
        if pin is None:
            self._answer(404, {"message": "not found"})
            return
        self._answer(200, {"pin": pin, "value": self.files.output(pin),
                           "input": self.files.inputs().get(str(pin))})

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        path = self.path.split("?", 1)[0].rstrip("/")
        if path in ("/wifi", "/freeze"):
            body = self._body()
            if body is None:
                return
            if path == "/freeze":
                self._answer(200, {"ap": self.files.set_wifi(hang=True)})
                return
            if not body or not _typed(body, WIFI_KEYS):
                self._answer(400, {"message": "body must set some of %s with their types"
                                   % ", ".join(sorted(WIFI_KEYS))})
                return
            if not _neighbours_ok(body.get("neighbours", [])):
                self._answer(400, {"message": "neighbours: at most %d objects with some of %s "
                                   "(ssid: 1..32 bytes)" % (MAX_NEIGHBOURS,
                                                            ", ".join(NEIGHBOUR_KEYS))})
                return
            self._answer(200, {"ap": self.files.set_wifi(**body)})
            return
        kind = "pins" if path.startswith("/pins/") else "adc" if path.startswith("/adc/") else None
        pin = _pin_of(path, "/%s/" % kind) if kind else None
        if pin is None:
            self._answer(404, {"message": "not found"})
            return
        value = self._value(kind)
        if value is None:
            return
        self.files.set_input(pin, value)
        self._answer(200, {"pin": pin, "value": value})

    def _body(self) -> dict[str, Any] | None:
        """The request's JSON object (answers 413/400 itself and returns None)."""
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            self._answer(413, {"message": "body larger than %d bytes" % MAX_BODY})
            return None
        try:
            body = json.loads(self.rfile.read(n) or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self._answer(400, {"message": "body must be a JSON object"})
            return None
        return body

    def _value(self, kind: str) -> int | None:
        body = self._body()
        if body is None:
            return None
        if "value" not in body:
            self._answer(400, {"message": 'body must be {"value": N}'})
            return None
        value = body["value"]
        lo, hi = (0, 1) if kind == "pins" else (0, MAX_ADC)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            self._answer(400, {"message": "value must be an integer %d..%d" % (lo, hi)})
            return None
        return value


class BoardControl:
    """The pin control server of one virtual board (a daemon thread).

    Args:
        data_dir: the board's flash folder (where `.pins.json` / `.outputs.json` live).
        port: TCP port on 127.0.0.1 (0 picks a free one; see `.port` / `.url`).
    """

    def __init__(self, data_dir: str | os.PathLike[str], port: int = 0) -> None:
        self.files = PinFiles(data_dir)
        handler = type("Handler", (_Handler,), {"files": self.files})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self._thread: threading.Thread | None = None

    def start(self) -> BoardControl:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="board-control")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> BoardControl:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
