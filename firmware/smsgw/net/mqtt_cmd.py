# The MQTT bridge's send commands (net/mqtt.py, loaded for each command and forgotten after
# it): the payloads of <base>/send (JSON) and <base>/ha/send (Home Assistant's "+number:
# message"), the id a QoS 1 command without one gets, and the answer on <base>/send/result.
import json

from micropython import const

_ID_CHAIN = const(16)  # messages one packet id + payload may name (command_id)


def parse_command(raw):
    """A send command (JSON bytes) -> outbox body; raises ValueError with the reason."""
    try:
        cmd = json.loads(raw)
    except ValueError:
        raise ValueError("not JSON") from None
    if not isinstance(cmd, dict):
        raise ValueError("not a JSON object")
    to = cmd.get("phoneNumbers", cmd.get("to"))
    if isinstance(to, str):
        to = [to]
    text = cmd.get("text")
    if not isinstance(to, list) or not to or not all(isinstance(n, str) for n in to):
        raise ValueError("phoneNumbers (or to) must be a number or a list of numbers")
    if not isinstance(text, str) or not text:
        raise ValueError("text must be a non-empty string")
    body = {"phoneNumbers": to, "textMessage": {"text": text}}
    if cmd.get("id") is not None:
        body["id"] = cmd["id"]
    return body


def parse_ha_text(raw):
    """Home Assistant text entity payload "+number: message" -> outbox body (ValueError)."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    num, sep, msg = text.partition(":")
    num, msg = num.strip(), msg.strip()
    if not sep or not num or not msg or not all(c in "+0123456789 " for c in num):
        raise ValueError('expected "+number: message"')
    return {"phoneNumbers": [num.replace(" ", "")], "textMessage": {"text": msg}}


def command_id(pid, dup, payload, known):
    """The outbox id of a QoS 1 send command that carries none.

    Derived from the packet id and the payload, so the broker's redelivery of a PUBLISH we
    took but could not acknowledge (DUP set, same packet id, MQTT 3.1.1 4.4) names the same
    message and the outbox answers its status instead of sending it again. A new PUBLISH (DUP
    clear) meeting an older message of the same packet id and payload (the 16-bit ids wrap, a
    broker restart starts them over) takes the next free ".n"; a DUP names the newest one.

    Args:
        pid: the packet id (1..65535); dup: the DUP flag; payload: the raw bytes;
        known: fn(id) -> True when the outbox has that message.
    """
    import binascii
    import hashlib

    base = "mq%d-%s" % (pid, binascii.hexlify(hashlib.sha256(payload).digest()[:6]).decode())
    newest, cand = None, base
    for n in range(1, _ID_CHAIN):
        if not known(cand):
            break
        newest, cand = cand, "%s.%d" % (base, n)
    return newest if dup and newest is not None else cand


async def handle(bridge, parse, msg, pid, dup):
    """One send command for MqttBridge `bridge`: parse(msg) -> outbox body, submitted; the
    outcome {"id", "status", "state", "message"} queued for <base>/send/result."""
    rid = None
    try:
        body = parse(msg)
        if body.get("id") is None and pid and bridge.known is not None:
            body["id"] = command_id(pid, dup, msg, bridge.known)
        rid = body.get("id")
        res = bridge.submit(body) if bridge.submit else (503, {"message": "no outbox"})
        if hasattr(res, "send"):  # a coroutine (submit may be async): the checker cannot tell
            res = await res  # pyright: ignore[reportGeneralTypeIssues]
        status, obj = res
        out = {"id": obj.get("id", rid), "status": status, "state": obj.get("state"),
               "message": obj.get("message")}
    except ValueError as exc:
        out = {"id": rid, "status": 400, "state": None, "message": str(exc)}
    except Exception as exc:  # the outbox failed: answer it, keep the connection
        from smsgw import log

        log.exc("mqtt send command", exc)
        out = {"id": rid, "status": 500, "state": None, "message": str(exc)}
    bridge._put(bridge.base + "/send/result", json.dumps(out))
