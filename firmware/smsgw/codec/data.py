# Data SMS (android-sms-gateway's dataMessage): 8-bit TP-UD addressed to an application port
# (3GPP TS 23.040 9.2.3.24.4, IEI 0x05: 16-bit destination + origin port), split into
# concatenated parts (IEI 0x00) above one SMS. Imported only when a data message is sent.
from smsgw.errors import PduError

_OCTETS = 140  # TP-UD octets per SMS
DCS_8BIT = 0x04


def check(dm):
    """A request's dataMessage {"data": base64, "port": 0..65535} -> the stored fields.

    Raises:
        ValueError: with the client-facing reason.
    """
    import binascii

    port = dm.get("port") if isinstance(dm, dict) else None
    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
        raise ValueError("dataMessage.port: an integer 0..65535")
    data = dm.get("data")
    try:
        raw = binascii.a2b_base64(data) if isinstance(data, str) else b""
    except ValueError:
        raw = b""
    if not isinstance(data, str) or not raw:
        raise ValueError("dataMessage.data: non-empty base64")
    if len(raw) > 1024:
        raise ValueError("dataMessage.data: at most 1024 bytes")
    return {"data": data, "port": port}


def data_parts(b64, port, ref=0):
    """(encoding, dcs, [(udhi, udl, ud), ...]) for submit.encode_submit(ud=...): the base64
    payload `b64` to `port` (origin port = the same), 8-bit, concatenated (8-bit ref) when long."""
    import binascii

    raw = binascii.a2b_base64(b64)
    ports = bytes((5, 4, port >> 8, port & 0xFF, port >> 8, port & 0xFF))
    room = _OCTETS - 1 - len(ports)
    if len(raw) > room:
        room -= 5  # the concatenation IE
    n = max(1, (len(raw) + room - 1) // room)
    if n > 255:
        raise PduError("data needs more than 255 parts")
    parts = []
    for seq in range(1, n + 1):
        ie = ports if n == 1 else bytes((0, 3, ref & 0xFF, n, seq)) + ports
        ud = bytes((len(ie),)) + ie + raw[(seq - 1) * room:seq * room]
        parts.append((True, len(ud), ud))
    return "8bit", DCS_8BIT, parts
