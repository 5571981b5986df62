# An MQTT connection's opening for net/mqtt_client.py's MQTTClient.connect: the TCP (or TLS)
# connect, CONNECT and its CONNACK. Loaded for a connection and forgotten once it is made or
# failed (net/mqtt.py's _CONNECTING), with the URL's form and the TCP connect.
import asyncio
import struct

from smsgw.net import dns
from smsgw.net.mqtt_client import _str, packet

from micropython import const

_CONNECT = const(0x10)
_CONNACK = const(0x20)


def connect_packet(client_id, keepalive, user=None, password=None, will=None, clean=True):
    """CONNECT (3.1). `will` is (topic, message, retain, qos) or None."""
    flags = 0x02 if clean else 0
    payload = _str(client_id)
    if will:
        topic, msg, retain, qos = will
        flags |= 0x04 | (qos << 3) | (0x20 if retain else 0)
        payload += _str(topic) + _str(msg)
    if user is not None:
        flags |= 0x80
        payload += _str(user)
        if password is not None:
            flags |= 0x40
            payload += _str(password)
    head = _str("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive)
    return packet(_CONNECT, head + payload)


async def open_session(c):
    """MQTTClient.connect's work on the client `c`: returns session_present."""
    from smsgw.net.tcp import connect

    ctx = None
    if c.tls:
        from smsgw.net.tls import context

        ctx = context(c.ca)
    # closed by close() (the bridge's caller) whatever happens from here on
    c._reader, c._writer = await connect(dns.resolve(c.host), c.port, ctx, c.host)
    await c._send(connect_packet(c.client_id, c.keepalive, c.user, c.password, c.will, c.clean))
    kind, body = await c._read_packet()
    if kind != _CONNACK or len(body) != 2:
        raise OSError("no CONNACK")
    if body[1]:  # 3.2.2.3 return code: 1..5 refused
        raise OSError("CONNACK %d" % body[1])
    c._task = asyncio.create_task(c._read_loop())
    return bool(body[0] & 1)
