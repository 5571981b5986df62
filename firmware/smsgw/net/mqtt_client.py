# A small asyncio MQTT 3.1.1 client: CONNECT (with last will, user/password, persistent session),
# PUBLISH QoS 0/1 both ways (an inbound PUBACK may be deferred), SUBSCRIBE, UNSUBSCRIBE, PINGREQ,
# DISCONNECT. One reader task per connection. Opening it (TCP/TLS, CONNECT, CONNACK) is
# net/mqtt_connect.py's, loaded for each connection.
# Errors surface as OSError (or asyncio.TimeoutError); reconnecting is the caller's job (mqtt.py),
# so recovery lives in one layer. Spec clauses refer to MQTT 3.1.1 (OASIS, 2014).
import asyncio
import struct

from smsgw.tasks import cancel_and_wait

from micropython import const

DEFER = const(1)  # on_message's answer: "I will call puback(pid) myself"
MAX_PACKET = const(4096)  # longest inbound packet accepted; a longer one closes the connection
_PUBLISH = const(0x30)
_PUBACK = const(0x40)
_SUBSCRIBE = const(0x82)  # 3.8.1: the reserved flags are 0010
_SUBACK = const(0x90)
_UNSUBSCRIBE = const(0xA2)  # 3.10.1: the reserved flags are 0010
_UNSUBACK = const(0xB0)
_PINGREQ = const(0xC0)
_PINGRESP = const(0xD0)
_DISCONNECT = const(0xE0)


def _varlen(n):
    # 2.2.3 Remaining Length: 7 bits per byte, high bit = more
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def _str(s):
    if isinstance(s, str):
        s = s.encode()
    return struct.pack("!H", len(s)) + s


def packet(kind, body):
    """One MQTT packet: fixed header byte `kind`, remaining length, `body`."""
    return bytes([kind]) + _varlen(len(body)) + body


def publish_packet(topic, msg, qos=0, retain=False, pid=0, dup=False):
    """PUBLISH (3.3)."""
    kind = _PUBLISH | (qos << 1) | (1 if retain else 0) | (0x08 if dup else 0)
    body = _str(topic) + (struct.pack("!H", pid) if qos else b"")
    if isinstance(msg, str):
        msg = msg.encode()
    return packet(kind, body + msg)


class MQTTClient:
    """One connection to a broker.

    Args:
        client_id, host, port, user, password: as in CONNECT; keepalive: seconds (the caller
        pings with ping()); will: (topic, message, retain, qos); tls: wrap in TLS (certificate
        not verified unless `ca`, the path of a DER CA certificate, is given); clean: clean
        session flag (False keeps QoS 1 subscriptions queued at the broker while we are away);
        on_message: async fn(topic str, msg bytes, retained bool, pid int, dup bool), awaited
            before PUBACK (pid 0 for QoS 0; dup: the broker's redelivery, 3.3.1.1); when it
            returns DEFER the handler acknowledges later itself with puback(pid) (it may then
            publish QoS 1 first: the reader, which reads that PUBACK, is not held up).
    """

    # typed for the checker (bare: no code on MicroPython); the streams are net/mqtt_connect's
    wake: "asyncio.Event | None"
    _reader: "asyncio.StreamReader | None"
    _writer: "asyncio.StreamWriter | None"

    def __init__(self, client_id, host, port=1883, user=None, password=None, keepalive=60,
                 will=None, tls=False, clean=False, on_message=None, ca=None):
        self.client_id = client_id
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.keepalive = keepalive
        self.will = will
        self.tls = tls
        self.ca = ca
        self.clean = clean
        self.on_message = on_message
        self._reader = self._writer = None
        self._task = None
        self._pid = 0
        self._acks = {}  # pid -> Event, for SUBACK and PUBACK
        self._refused = {}  # pid -> True for a SUBACK with failure code 0x80
        self._lock = asyncio.Lock()
        self.dead = asyncio.Event()  # set when the connection is gone
        self.wake = None  # optional Event the owner also wants set when the connection dies
        self.error = None

    async def connect(self, timeout_s=10):
        """Open the connection, CONNECT, wait for CONNACK. Returns session_present.

        Raises:
            OSError (refused, broker said no: "CONNACK <code>") or asyncio.TimeoutError.
        """
        # net/mqtt_connect.py's: the bridge forgets it once connected (mqtt.py's _CONNECTING)
        from smsgw.net.mqtt_connect import open_session

        return await asyncio.wait_for(open_session(self), timeout_s)

    async def _send(self, pkt):
        if self._writer is None:
            raise OSError("not connected")
        async with self._lock:
            self._writer.write(pkt)
            await self._writer.drain()

    async def _read_packet(self):
        r = self._reader
        head = await r.readexactly(1)
        n = shift = 0
        for _ in range(4):
            b = (await r.readexactly(1))[0]
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        else:  # 2.2.3: at most 4 bytes
            raise OSError("bad remaining length")
        if n > MAX_PACKET:
            raise OSError("packet too long: %d" % n)
        body = await r.readexactly(n) if n else b""
        return head[0], body

    def _next_pid(self):
        self._pid = self._pid % 65535 + 1
        return self._pid

    async def publish(self, topic, msg, retain=False, qos=0, timeout_s=10):
        """PUBLISH; with qos=1 returns once PUBACK arrives (raises asyncio.TimeoutError)."""
        if qos == 0:
            await self._send(publish_packet(topic, msg, 0, retain))
            return
        pid = self._next_pid()
        ev = asyncio.Event()
        self._acks[pid] = ev
        try:
            await self._send(publish_packet(topic, msg, 1, retain, pid))
            await self._await(ev, timeout_s)
        finally:
            self._acks.pop(pid, None)

    async def subscribe(self, topic, qos=1, timeout_s=10):
        """SUBSCRIBE to one topic filter and wait for SUBACK."""
        pid = self._next_pid()
        ev = asyncio.Event()
        self._acks[pid] = ev
        try:
            await self._send(packet(_SUBSCRIBE, struct.pack("!H", pid) + _str(topic) +
                                    bytes([qos])))
            await self._await(ev, timeout_s)
        finally:
            self._acks.pop(pid, None)
        if self._refused.pop(pid, None):  # 3.9.3 return code 0x80: the broker said no
            raise OSError("SUBACK refused %s" % topic)

    async def unsubscribe(self, topic, timeout_s=10):
        """UNSUBSCRIBE from one topic filter and wait for UNSUBACK."""
        pid = self._next_pid()
        ev = asyncio.Event()
        self._acks[pid] = ev
        try:
            await self._send(packet(_UNSUBSCRIBE, struct.pack("!H", pid) + _str(topic)))
            await self._await(ev, timeout_s)
        finally:
            self._acks.pop(pid, None)

    async def puback(self, pid):
        """Acknowledge the QoS 1 PUBLISH `pid` whose on_message answered DEFER."""
        await self._send(packet(_PUBACK, struct.pack("!H", pid)))

    async def _await(self, ev, timeout_s):
        # the reader sets every waiting Event when the connection dies, so this wakes at once
        await asyncio.wait_for(ev.wait(), timeout_s)
        if self.dead.is_set():
            raise OSError("connection lost: %s" % self.error)

    async def ping(self):
        """PINGREQ; the reader notes PINGRESP (see `last_rx`)."""
        await self._send(bytes([_PINGREQ, 0]))

    async def _read_loop(self):
        try:
            while True:
                kind, body = await asyncio.wait_for(self._read_packet(),
                                                    self.keepalive * 1.5 + 1)
                await self._dispatch(kind, body)
        except Exception as exc:  # whatever the broker sent (MemoryError too) ends the connection
            self.error = "%s %s" % (type(exc).__name__, exc)
        finally:  # whatever ended the reader (even a cancel), the connection is unusable now
            self._die()

    def _die(self):
        self.dead.set()
        if self.wake is not None:
            self.wake.set()
        for ev in self._acks.values():
            ev.set()

    async def _dispatch(self, kind, body):
        t = kind & 0xF0
        if t == _PUBLISH:
            qos = (kind >> 1) & 3
            tlen = struct.unpack("!H", body[:2])[0]
            topic = body[2 : 2 + tlen].decode()
            pos = 2 + tlen
            pid = 0
            if qos:
                pid = struct.unpack("!H", body[pos : pos + 2])[0]
                pos += 2
            later = None
            if self.on_message:
                later = await self.on_message(topic, body[pos:], bool(kind & 1), pid,
                                              bool(kind & 8))
            if qos and later != DEFER:  # acknowledged after the handler took it (at-least-once)
                await self.puback(pid)
        elif t in (_PUBACK, _SUBACK, _UNSUBACK):
            pid = struct.unpack("!H", body[:2])[0]
            if t == _SUBACK and body[2:3] == b"\x80":
                self._refused[pid] = True
            ev = self._acks.get(pid)
            if ev:
                ev.set()
        # PINGRESP needs nothing: any packet read resets the reader's deadline

    async def close(self, graceful=True):
        """DISCONNECT (when graceful: the broker then does not send the will) and close."""
        await cancel_and_wait(self._task)
        self._task = None
        w = self._writer
        self._writer = None
        if w is None:
            return
        try:
            if graceful:
                w.write(bytes([_DISCONNECT, 0]))
                await w.drain()
            w.close()
            await w.wait_closed()
        except OSError:  # the socket may already be dead; closing is best effort
            pass
        self._die()
