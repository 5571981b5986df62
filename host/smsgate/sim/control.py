"""The control HTTP API (127.0.0.1, JSON in/out): inject SMS, calls and faults, read what was sent.

A deliberately small HTTP/1.1 server on asyncio streams (one request per connection,
`Connection: close`); bodies are limited to 64 KiB.
"""

from __future__ import annotations

import asyncio
import json

from smsgate.sim.faults import FaultError

MAX_BODY = 65536
REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 404: "Not Found",
           405: "Method Not Allowed", 409: "Conflict", 413: "Payload Too Large"}


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Control:
    """Routes of the control API for one modem."""

    def __init__(self, modem) -> None:
        self.m = modem
        self.server: asyncio.base_events.Server | None = None
        self.port = 0

    async def start(self, port: int) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self.server:
            self.server.close()
            await self.server.wait_closed()

    async def _client(self, reader, writer) -> None:
        try:
            status, payload = await self._handle(reader)
        except HttpError as exc:
            status, payload = exc.status, {"error": exc.message}
        except (ConnectionError, asyncio.IncompleteReadError):
            writer.close()
            return
        body = json.dumps(payload).encode()
        head = "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" \
               "Connection: close\r\n\r\n" % (status, REASONS.get(status, "Error"), len(body))
        try:
            writer.write(head.encode() + body)
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _handle(self, reader) -> tuple[int, object]:
        request = (await reader.readline()).decode("latin-1").split()
        if len(request) < 2:
            raise HttpError(400, "bad request line")
        method, path = request[0].upper(), request[1].split("?")[0].rstrip("/") or "/"
        length = 0
        while True:
            line = (await reader.readline()).decode("latin-1").strip()
            if not line:
                break
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip() or 0)
        if length > MAX_BODY:
            raise HttpError(413, "body larger than %d bytes" % MAX_BODY)
        raw = await reader.readexactly(length) if length else b""
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError as exc:
                raise HttpError(400, "bad JSON: %s" % exc) from None
        return self.route(method, path, body)

    def route(self, method: str, path: str, body) -> tuple[int, object]:
        """Dispatch one request; returns (status, JSON payload)."""
        handler = ROUTES.get((method, path))
        if handler is None:
            if any(p == path for _, p in ROUTES):
                raise HttpError(405, "%s not allowed on %s" % (method, path))
            raise HttpError(404, "no route %s" % path)
        if body is not None and not isinstance(body, dict):
            raise HttpError(400, "body must be a JSON object")
        try:
            return handler(self.m, body or {})
        except FaultError as exc:
            raise HttpError(400, str(exc)) from None
        except (ValueError, TypeError, KeyError) as exc:
            raise HttpError(400, "bad request: %s" % exc) from None


def _need_str(body: dict, key: str) -> str:
    v = body.get(key)
    if not isinstance(v, str):
        raise HttpError(400, "'%s' (string) is required" % key)
    return v


def post_sms(m, body):
    if "data" in body:  # {"from", "data": base64, "port"}: a data SMS to an application port
        port = body.get("port")
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise HttpError(400, "'port' must be 0..65535")
        try:
            parts = m.network.inject_data(_need_str(body, "from"), _need_str(body, "data"), port)
        except ValueError as exc:
            raise HttpError(400, "'data': %s" % exc) from None
        return 202, {"parts": parts, "held": len(m.network.held)}
    sender, text = _need_str(body, "from"), _need_str(body, "text")
    cls = body.get("class")
    if cls is not None and cls not in (0, 1, 2, 3):
        raise HttpError(400, "'class' must be 0..3")
    kind = body.get("sender_type", "number")
    if kind not in ("number", "alphanumeric"):
        raise HttpError(400, "'sender_type' must be number or alphanumeric")
    parts = m.network.inject_sms(sender, text, cls, body.get("encoding"), kind == "alphanumeric")
    return 202, {"parts": parts, "held": len(m.network.held)}


def get_sent(m, body):
    return 200, m.network.sent_list()


def delete_sent(m, body):
    m.network.sent.clear()
    return 200, {"cleared": True}


def post_fault(m, body):
    return 200, m.faults.inject(body)


def post_call(m, body):
    try:
        m.network.start_call(body.get("from", ""))
    except ValueError as exc:
        raise HttpError(409, str(exc)) from None
    return 202, {"ringing": True}


def post_hangup(m, body):
    return 200, {"hung_up": m.network.hangup()}


def get_log(m, body):
    return 200, m.transcript


def delete_log(m, body):
    m.transcript.clear()
    return 200, {"cleared": True}


def get_storage(m, body):
    return 200, m.network.storage()


NETWORK_KEYS = {"report_delay_s": float, "report_status": int, "rssi": int,
                "send_latency_s": float, "ussd_text": str, "ussd_delay_s": float,
                "ussd_menu": bool, "smsc": str, "operator": str, "tz_quarters": int,
                "sends_time": bool}


def post_network(m, body):
    net = m.network
    for key, value in body.items():
        if key == "registered":
            stat = (1 if value else 0) if isinstance(value, bool) else int(value)
            net.set_target(stat)
        elif key in NETWORK_KEYS:
            setattr(net, key, NETWORK_KEYS[key](value))
        else:
            raise HttpError(400, "unknown network key %r" % key)
    return 200, {k: getattr(net, k) for k in NETWORK_KEYS} | {"registered": m.registered}


def post_power(m, body):
    on = body.get("on")
    if not isinstance(on, bool):
        raise HttpError(400, "'on' (true/false) is required")
    if on:
        m.power_on()
    elif m.powered:
        m.power_off()
    return 200, {"powered": m.powered}


def post_pwrkey(m, body):
    """A PWRKEY press of `ms` milliseconds: on when off and long enough; off when on and
    held for the off time (as the board's pwrkey_pulse would do on hardware)."""
    ms = body.get("ms")
    if isinstance(ms, bool) or not isinstance(ms, (int, float)) or ms < 0:
        raise HttpError(400, "'ms' (milliseconds) is required")
    p = m.profile
    if not m.powered and ms >= p["pwrkey_on_ms"]:
        m.power_on()
    elif m.powered and ms >= p["pwrkey_off_ms"]:
        m.power_off(p["pwrkey_off_urc"])
    return 200, {"powered": m.powered}


def post_dtr(m, body):
    level = body.get("level")
    if level not in (0, 1):
        raise HttpError(400, "'level' (0 or 1) is required")
    m.set_dtr(level)
    return 200, {"dtr": m.dtr}


def get_status(m, body):
    return 200, m.status()


ROUTES = {
    ("POST", "/sms"): post_sms, ("GET", "/sent"): get_sent, ("DELETE", "/sent"): delete_sent,
    ("POST", "/fault"): post_fault, ("POST", "/call"): post_call,
    ("POST", "/hangup"): post_hangup, ("GET", "/log"): get_log, ("DELETE", "/log"): delete_log,
    ("GET", "/storage"): get_storage, ("POST", "/network"): post_network,
    ("POST", "/power"): post_power, ("GET", "/status"): get_status, ("POST", "/dtr"): post_dtr,
    ("POST", "/pwrkey"): post_pwrkey,
}
