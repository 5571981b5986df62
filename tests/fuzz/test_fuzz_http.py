"""Fuzz the HTTP API of the running virtual gateway with raw requests: malformed request lines,
headers, lengths, bodies and JSON. Each must get a well-formed answer that is not a 500 (an
unhandled exception) or no answer at all only when the request itself was cut; the gateway must
stay up (same interpreter, /health answers) after every input."""

from __future__ import annotations

import base64
import json
import socket
import time

import pytest
from fuzzkit import fuzz_settings, tally
from hypothesis import given
from hypothesis import strategies as st

from smsgate.virtual import VirtualGateway

USER, PASSWORD = "sms", "fuzz-secret-1"
AUTH = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
ROUTES = [("POST", "/message"), ("POST", "/messages"), ("GET", "/messages/fz-1"),
          ("DELETE", "/message/fz-2"), ("GET", "/messages"), ("GET", "/inbox"),
          ("GET", "/health"), ("GET", "/"), ("GET", "/webhooks"), ("POST", "/webhooks"),
          ("GET", "/webhooks/dead"), ("POST", "/webhooks/dead/replay"),
          ("DELETE", "/webhooks/w1")]
PATHS = sorted({p for _, p in ROUTES}) + ["/nope", "/messages/", "//message"]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
_TEXT = st.text(st.characters(min_codepoint=1, max_codepoint=0x2FF), max_size=40)
_BYTES = st.binary(max_size=60)


def _json_value():
    leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                     st.floats(allow_nan=False), _TEXT)
    return st.recursive(leaf, lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(_TEXT, kids, max_size=4)), max_leaves=12)


@st.composite
def message_body(draw):
    """A /message body with some fields replaced by anything (wrong types, sizes, numbers)."""
    body = {"id": "fz-%d" % draw(st.integers(0, 10**6)),
            "textMessage": {"text": draw(st.text(max_size=400))},
            "phoneNumbers": ["+1555%07d" % draw(st.integers(0, 9999999))]}
    for key in draw(st.lists(st.sampled_from(
            ["id", "textMessage", "phoneNumbers", "withDeliveryReport", "priority", "ttl",
             "validUntil", "simNumber", "dataMessage", "isEncrypted", "deviceId"]), max_size=2)):
        body[key] = draw(_json_value())
    return json.dumps(body).encode()


def _rarely(draw, p: int = 8) -> bool:
    """True about once in `p` draws: each part of a request is broken only now and then, so
    that most requests get past the parser to the handlers."""
    return draw(st.sampled_from([False] * (p - 1) + [True]))  # False: the simplest value


@st.composite
def request(draw):
    """(raw request bytes, whether the request is complete as sent)."""
    method, path = draw(st.sampled_from(ROUTES))
    if _rarely(draw):
        method = draw(st.one_of(st.sampled_from(METHODS), _TEXT.map(lambda t: t.replace(" ", ""))))
    if _rarely(draw):
        path = draw(st.sampled_from(PATHS))
    if _rarely(draw, 4):
        path = draw(st.one_of(
            st.builds(lambda p, q: p + q, st.sampled_from(PATHS), _TEXT),
            st.builds(lambda p, n: p + "?limit=%s&offset=%s" % n,
                      st.sampled_from(["/inbox", "/messages", "/webhooks/dead"]),
                      st.tuples(st.one_of(_TEXT, st.integers().map(str)),
                                st.one_of(_TEXT, st.integers().map(str))))))
    version = "HTTP/1.1"
    if _rarely(draw):
        version = draw(st.sampled_from(["HTTP/1.0", "HTTP/9.9", "", "HTTP/", "http/1.1"]))
    eol = "\n" if _rarely(draw, 12) else "\r\n"
    body = b""
    if method in ("POST", "PUT", "PATCH") or _rarely(draw):
        body = draw(st.one_of(message_body(), message_body(), _json_value().map(
            lambda v: json.dumps(v).encode()), _BYTES))
    headers = []
    if not _rarely(draw, 10):
        headers.append(("Authorization", AUTH))
    if body and not _rarely(draw, 6):
        headers.append(("Content-Type", "application/json"))
    length = "right"
    if _rarely(draw, 5):
        length = draw(st.sampled_from(["none", "less", "more", "junk", "negative", "huge"]))
    if length != "none":
        n = {"right": len(body), "less": max(0, len(body) - 3), "more": len(body) + 10,
             "negative": -5, "huge": 10**12}.get(length)
        headers.append(("Content-Length", "x%s" % len(body) if n is None else str(n)))
    if _rarely(draw, 3):
        for _ in range(draw(st.integers(1, 3))):
            name = draw(st.one_of(st.sampled_from(
                ["Host", "Connection", "Transfer-Encoding", "Expect", "Authorization", "Cookie",
                 "Content-Length", "Content-Type"]), _TEXT.map(lambda t: t.replace(":", ""))))
            headers.append((name, draw(_TEXT)))
    if _rarely(draw, 20):
        headers.append(("X-Long", "a" * draw(st.integers(1000, 9000))))
    head = "%s %s %s" % (method, path, version) + eol
    head += "".join("%s: %s%s" % (k, v, eol) for k, v in headers) + eol
    raw = head.encode("utf-8", "surrogatepass") + body
    if _rarely(draw, 30):  # cut off anywhere
        return raw[:draw(st.integers(0, len(raw)))], False
    return raw, length in ("right", "none")


def _exchange(port: int, raw: bytes, timeout: float = 15.0) -> bytes | None:
    """Send `raw`, close our side, read the whole answer (None: reset by the gateway)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(raw)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the gateway answered and closed before reading everything: read that
        out = b""
        try:
            while len(out) < 1 << 20:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except ConnectionResetError:
            return out or None
        return out


@pytest.fixture(scope="module")
def gateway():
    with VirtualGateway(model="sim800", password=PASSWORD, heap="240K",
                        sim_args=("--report-delay", "0.2")) as gw:
        yield gw


@fuzz_settings(150)
@given(req=request())
def test_http_api_answers_any_request_and_stays_up(gateway, req):
    raw, complete = req
    t = tally("http")
    t["inputs"] += 1
    t.setdefault("answers", {})
    boots = gateway.board.boots
    problem = None
    try:
        answer = _exchange(gateway.port, raw)
    except OSError as e:
        answer, problem = None, "no connection: %r" % e
    if problem is None and answer:
        line = answer.split(b"\r\n", 1)[0].split(b" ")
        if len(line) < 2 or not line[0].startswith(b"HTTP/1.") or not line[1].isdigit():
            problem = "malformed answer: %r" % answer[:80]
        elif int(line[1]) >= 500 and int(line[1]) != 503:
            problem = "answered %s: %r" % (line[1].decode(), answer[-200:])
        elif line[1] == b"503" and b"out of memory" in answer and len(raw) < 16384:
            # a 240K heap holds a 16 KB request: the request broke the parser, not the heap
            problem = "out of memory on a %d-byte request" % len(raw)
        else:
            code = line[1].decode()
            t["answers"][code] = t["answers"].get(code, 0) + 1
    elif problem is None and complete:
        problem = "no answer to a complete request"
    health = None
    deadline = time.monotonic() + 30
    while health is None and time.monotonic() < deadline:
        health = gateway.health()
    if health is None or gateway.board.boots != boots:
        problem = "gateway down or reset (boots %d -> %d)" % (boots, gateway.board.boots)
    if problem:
        sig = problem[:30]
        t["crashes"].setdefault(sig, {"problem": problem, "request": raw[:600].decode(
            "latin-1")})
        if "reset" in problem:  # keep fuzzing a live gateway
            gateway.wait_ready(60)


def test_no_crash_in_the_http_campaign():
    """Reported separately so that the campaign's budget runs in full before failing."""
    crashes = tally("http")["crashes"]
    assert tally("http")["inputs"] > 0
    assert not crashes, json.dumps(list(crashes.values())[:5], indent=1)
