"""A broker's redelivery of `ha/send` never sends an SMS twice, on the virtual board.

A scripted broker (MQTT 3.1.1, enough of it) plays what a real one does when the PUBACK of a
QoS 1 command is lost: the connection drops after the gateway took the command, and on the
reconnect (persistent session) the same PUBLISH comes again with DUP set. The Home Assistant
text entity's payload has no id: the gateway derives one from the packet id and payload."""

from __future__ import annotations

import json
import socket
import struct
import threading

from helpers import wait_until
from smsgate.virtual import VirtualGateway

DEV = "redeliv"
BASE = "smsgate/" + DEV
TEXT = "+15551230009: pump 2 restarted"


def _varlen(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n % 128, n // 128
        out.append(b | (128 if n else 0))
        if not n:
            return bytes(out)


def _publish(topic: str, payload: bytes, pid: int, dup: bool) -> bytes:
    body = struct.pack("!H", len(topic)) + topic.encode() + struct.pack("!H", pid) + payload
    return bytes((0x32 | (0x08 if dup else 0),)) + _varlen(len(body)) + body


class ScriptedBroker(threading.Thread):
    """Connection 1: deliver the command (pid 7), drop the line once it is acknowledged.
    Connection 2: session present; redeliver it (DUP), then a new PUBLISH with the same packet
    id and payload (ids wrap): that one is a new message."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.srv = socket.create_server(("127.0.0.1", 0))
        self.port = self.srv.getsockname()[1]
        self.acks: list[int] = []  # connection number of each PUBACK for pid 7
        self.results: list[dict] = []  # what the gateway published on send/result
        self.send_new = threading.Event()  # the test says when the new PUBLISH goes
        self.stop = False

    def run(self) -> None:
        self.srv.settimeout(0.5)
        n = 0
        while not self.stop:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                continue
            n += 1
            try:
                self._serve(conn, n)
            except OSError:
                pass
            finally:
                conn.close()

    def _read(self, conn: socket.socket) -> tuple[int, bytes] | None:
        head = conn.recv(1)  # may time out (the caller polls): nothing consumed yet
        if not head:
            return None
        conn.settimeout(20)  # the rest of a packet: never give up half-way (a busy machine)
        try:
            return self._rest(conn, head)
        finally:
            conn.settimeout(0.5)

    def _rest(self, conn: socket.socket, head: bytes) -> tuple[int, bytes] | None:
        n, shift = 0, 0
        while True:
            b = conn.recv(1)[0]
            n |= (b & 127) << shift
            shift += 7
            if not b & 128:
                break
        body = b""
        while len(body) < n:
            chunk = conn.recv(n - len(body))
            if not chunk:
                return None
            body += chunk
        return head[0], body

    def _serve(self, conn: socket.socket, n: int) -> None:
        conn.settimeout(0.5)
        pkt = None
        while pkt is None and not self.stop:
            try:
                pkt = self._read(conn)
            except socket.timeout:
                continue
        if pkt is None or pkt[0] != 0x10:
            return
        conn.sendall(bytes((0x20, 2, 1 if n > 1 else 0, 0)))  # CONNACK (session present)
        if n > 1:
            conn.sendall(_publish(BASE + "/ha/send", TEXT.encode(), 7, True))
        new_sent = False
        while not self.stop:
            if n > 1 and not new_sent and self.send_new.is_set():
                new_sent = True
                conn.sendall(_publish(BASE + "/ha/send", TEXT.encode(), 7, False))
            try:
                pkt = self._read(conn)
            except socket.timeout:
                continue
            if pkt is None:
                return
            kind, body = pkt
            if kind >> 4 == 8:  # SUBSCRIBE: grant QoS 1
                conn.sendall(b"\x90\x03" + body[:2] + b"\x01")
                if n == 1 and body.endswith(b"/ha/send\x01"):
                    conn.sendall(_publish(BASE + "/ha/send", TEXT.encode(), 7, False))
            elif kind >> 4 == 3:  # the gateway publishes: acknowledge QoS 1
                tlen = struct.unpack("!H", body[:2])[0]
                topic = body[2 : 2 + tlen].decode()
                qos = (kind >> 1) & 3
                if topic == BASE + "/send/result":
                    self.results.append(json.loads(body[2 + tlen + (2 if qos else 0) :]))
                if qos:
                    conn.sendall(b"\x40\x02" + body[2 + tlen : 4 + tlen])
            elif kind >> 4 == 4 and struct.unpack("!H", body[:2])[0] == 7:  # PUBACK of ours
                self.acks.append(n)
                if n == 1:
                    return  # the line drops: as if this PUBACK was lost on the way
            elif kind >> 4 == 12:  # PINGREQ
                conn.sendall(b"\xd0\x00")


def _messages(gw) -> int:
    status, body, headers = gw.api("GET", "/messages?limit=50")
    assert status == 200, body
    return len(body)


def test_ha_send_redelivered_by_the_broker_is_sent_once():
    broker = ScriptedBroker()
    broker.start()
    cfg = {"device": {"id": DEV}, "mqtt": {"url": "mqtt://127.0.0.1:%d" % broker.port,
                                           "discovery": False, "reconnect_max_s": 1}}
    try:
        with VirtualGateway(config=cfg, heap="512K") as gw:
            # taken on connection 1 (the line then drops), redelivered with DUP on connection 2
            wait_until(lambda: broker.acks == [1, 2], 60, "the redelivery acknowledged")
            assert _messages(gw) == 1  # the DUP named the same message: nothing new
            broker.send_new.set()
            wait_until(lambda: len(broker.acks) == 3, 60, "the new PUBLISH acknowledged")
            assert _messages(gw) == 2  # same packet id and payload, not a DUP: a new message
            wait_until(lambda: len(broker.results) == 3, 30, "three send/result answers")
            ids = [r["id"] for r in broker.results]
            assert ids[0] == ids[1] != ids[2] and ids[2] == ids[0] + ".1", broker.results
            assert all(r["status"] == 202 for r in broker.results), broker.results
            wait_until(lambda: len([s for s in gw.sim.sent()
                                    if s["text"] == "pump 2 restarted"]) == 2, 60,
                       "the two messages at the simulator")
            for i in ids[::2]:
                gw.wait_state(i, ("Sent", "Delivered"), timeout=30)
            sent = [s for s in gw.sim.sent() if s["text"] == "pump 2 restarted"]
            assert len(sent) == 2, sent
    finally:
        broker.stop = True
        broker.join(5)
        broker.srv.close()
