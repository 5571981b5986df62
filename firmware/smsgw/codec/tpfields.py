# TPDU field codecs (3GPP TS 23.040 9.1.2, 9.2.3): addresses, timestamps, validity period,
# data coding scheme, user data header; shared by pdu.py (messages) and pdu_mt.py. Kept apart
# from pdu.py so each module compiles within a small MicroPython heap.
import binascii

from smsgw.codec import gsm7
from smsgw.errors import PduError

from micropython import const


MAX_OCTETS = const(200)  # input limit: 12 (SMSC) + 164 (largest TPDU) + slack
_DIGITS = "0123456789*#abc"  # BCD semi-octets 0..14 (3GPP TS 23.040 9.1.2.3)
_TOA_INTL = const(0x91)  # TON 1 international, NPI 1 ISDN
_TOA_UNKNOWN = const(0x81)  # TON 0 unknown, NPI 1 ISDN: what phones send for a plain number
_TOA_ALNUM = const(0xD0)  # TON 5 alphanumeric (3GPP TS 23.040 9.1.2.5)
_TON_NAMES = ("unknown", "international", "national")
_MW_TYPES = ("voicemail", "fax", "email", "other")


def hexu(b):
    """Upper-case hex of bytes (what AT+CMGS is given and +CMGL shows)."""
    return binascii.hexlify(b).decode().upper()


def _bcd(digits):
    """Semi-octet swapped BCD with an F filler (3GPP TS 23.040 9.1.2.3)."""
    out = bytearray((len(digits) + 1) // 2)
    for i, ch in enumerate(digits):
        v = _DIGITS.find(ch)
        if v < 0:
            raise ValueError("bad digit %r in number" % ch)
        out[i >> 1] |= v << 4 if i & 1 else v
    if len(digits) & 1:
        out[-1] |= 0xF0
    return bytes(out)


def address(number):
    """TP-DA/TP-OA/TP-RA field: length in semi-octets, type of address, value.

    "+digits" is international, plain digits (0-9 * #) TON unknown/ISDN, anything else
    alphanumeric (GSM-7 packed, at most 11 characters).

    Raises:
        ValueError: empty, too long, "+" with non-digits, or a name GSM-7 cannot carry.
    """
    if not number:
        raise ValueError("empty number")
    if number[0] == "+":
        if not _is_digits(number[1:]):
            raise ValueError("bad international number %r" % number)
        digits = number[1:]
        toa = _TOA_INTL
    elif _is_digits(number):
        digits = number
        toa = _TOA_UNKNOWN
    else:
        sept = gsm7.to_septets(number)
        if sept is None or len(sept) > 11:
            raise ValueError("bad alphanumeric address %r" % number)
        value = gsm7.pack(sept)
        return bytes(((len(sept) * 7 + 3) // 4, _TOA_ALNUM)) + value
    if len(digits) > 20:
        raise ValueError("number too long")
    return bytes((len(digits), toa)) + _bcd(digits)


def _is_digits(s):
    if not s:
        return False
    for ch in s:
        if "0123456789*#".find(ch) < 0:  # a/b/c would clash with alphanumeric names
            return False
    return True


def smsc_field(smsc):
    """The SMSC prefix: `00` (use the stored SMSC) or length, type of address, BCD."""
    if not smsc:
        return b"\x00"
    intl = smsc[0] == "+"
    digits = smsc[1:] if intl else smsc
    if not _is_digits(digits) or len(digits) > 20:
        raise ValueError("bad SMSC number %r" % smsc)
    bcd = _bcd(digits)
    return bytes((len(bcd) + 1, _TOA_INTL if intl else _TOA_UNKNOWN)) + bcd


def relative_vp(seconds):
    """TP-VP relative octet for a validity period (3GPP TS 23.040 9.2.3.12.1), rounded up to
    the next representable period and capped at 63 weeks."""
    if seconds <= 0:
        raise ValueError("validity must be positive")
    m = (seconds + 59) // 60
    if m <= 720:  # 0..143: (VP + 1) x 5 minutes, up to 12 hours
        return max(0, (m + 4) // 5 - 1)
    if m <= 1440:  # 144..167: 12 hours + (VP - 143) x 30 minutes
        return 143 + (m - 720 + 29) // 30
    d = (m + 1439) // 1440
    if d <= 30:  # 168..196: (VP - 166) days
        return max(168, d + 166)
    w = (d + 6) // 7  # 197..255: (VP - 192) weeks
    return min(255, max(197, w + 192))


def vp_seconds(v):
    """Seconds for a TP-VP relative octet (3GPP TS 23.040 9.2.3.12.1)."""
    if v <= 143:
        return (v + 1) * 300
    if v <= 167:
        return 43200 + (v - 143) * 1800
    if v <= 196:
        return (v - 166) * 86400
    return (v - 192) * 604800


def unhex(s):
    """PDU hex (str or bytes; surrounding whitespace ignored) -> bytes, or PduError."""
    if isinstance(s, str):
        s = s.encode()
    s = s.strip()
    if len(s) > 2 * MAX_OCTETS:
        raise PduError("PDU longer than %d octets" % MAX_OCTETS, MAX_OCTETS)
    if not s:
        raise PduError("empty PDU", 0)
    try:
        return binascii.unhexlify(s)
    except ValueError:  # binascii.Error on CPython is a ValueError
        pass
    for i in range(len(s)):
        c = s[i]
        if not (0x30 <= c <= 0x39 or 0x41 <= c <= 0x46 or 0x61 <= c <= 0x66):
            raise PduError("bad hex digit", i // 2)
    raise PduError("odd number of hex digits", len(s) // 2)


def need(buf, pos, n, what):
    if pos + n > len(buf):
        raise PduError("truncated %s" % what, pos)


def digits(buf, pos, n_digits):
    out = []
    for i in range(n_digits):
        v = buf[pos + (i >> 1)]
        v = v >> 4 if i & 1 else v & 0x0F
        if v < 15:
            out.append(_DIGITS[v])
    return "".join(out)


def read_address(buf, pos, d, what):
    """Parse an address field at pos into d["number"], d["number_type"]; returns new pos."""
    need(buf, pos, 2, what)
    n = buf[pos]
    if n > 20:
        raise PduError("bad %s length" % what, pos)
    toa = buf[pos + 1]
    octets = (n + 1) // 2
    need(buf, pos + 2, octets, what)
    ton = (toa >> 4) & 7
    if ton == 5:
        sept = gsm7.unpack(buf[pos + 2 : pos + 2 + octets], n * 4 // 7)
        d["number"] = gsm7.septets_to_text(sept)[0]
        d["number_type"] = "alphanumeric"
    else:
        num = digits(buf, pos + 2, n)
        d["number"] = "+" + num if ton == 1 else num
        d["number_type"] = _TON_NAMES[ton] if ton < 3 else "unknown"
    return pos + 2 + octets


def bcd2(v):
    """Two swapped BCD digits as a number, or -1 when a nibble is not a digit."""
    lo = v & 0x0F
    hi = v >> 4
    if lo > 9 or hi > 9:
        return -1
    return lo * 10 + hi


def timestamp(buf, pos, what):
    """7-octet TP-SCTS/TP-DT/absolute TP-VP as ISO 8601 with its own UTC offset, or None when
    a digit is not BCD (the message is still worth reading; the caller keeps the raw hex).

    Raises:
        PduError: fewer than 7 octets left.
    """
    need(buf, pos, 7, what)
    f = [bcd2(buf[pos + i]) for i in range(6)]
    z = buf[pos + 6]
    if -1 in f or z >> 4 > 9:
        return None
    q = (z & 0x07) * 10 + (z >> 4)  # quarter hours; bit 3 is the sign (9.2.3.11)
    year = f[0] + (1900 if f[0] >= 90 else 2000)
    return "%04d-%02d-%02dT%02d:%02d:%02d%s%02d:%02d" % (
        year,
        f[1],
        f[2],
        f[3],
        f[4],
        f[5],
        "-" if z & 0x08 else "+",
        q // 4,
        (q % 4) * 15,
    )


def parse_dcs(dcs, d):
    """Interpret TP-DCS (3GPP TS 23.038 4) into d; returns (alphabet 0/1/2, compressed)."""
    g = dcs >> 4
    if g < 8:  # general data coding (00xx) and automatic deletion (01xx)
        if dcs & 0x10:
            d["class"] = dcs & 3
        alpha = (dcs >> 2) & 3
        return (0 if alpha == 3 else alpha), bool(dcs & 0x20)
    if g == 15:  # data coding / message class
        d["class"] = dcs & 3
        return (1 if dcs & 4 else 0), False
    if g >= 12:  # message waiting indication groups (discard / store / store UCS-2)
        d["mwi"] = {"active": bool(dcs & 8), "kind": _MW_TYPES[dcs & 3], "store": g != 12}
        return (2 if g == 14 else 0), False
    return 0, False  # reserved groups 1000..1011: GSM-7 per 23.038


def parse_udh(buf, pos, end, d):
    """Parse the UDH information elements in buf[pos:end] into d["udh"]; returns udh dict."""
    udh = {}
    other = []
    while pos < end:
        if pos + 2 > end:
            raise PduError("truncated UDH element", pos)
        iei = buf[pos]
        n = buf[pos + 1]
        if pos + 2 + n > end:
            raise PduError("UDH element past the header", pos)
        v = buf[pos + 2 : pos + 2 + n]
        if iei == 0x00 and n == 3 and v[1] and v[2] and v[2] <= v[1]:
            udh["concat"] = {"ref": v[0], "total": v[1], "seq": v[2], "bits": 8}
        elif iei == 0x08 and n == 4 and v[2] and v[3] and v[3] <= v[2]:
            udh["concat"] = {"ref": (v[0] << 8) | v[1], "total": v[2], "seq": v[3], "bits": 16}
        elif iei == 0x04 and n == 2:
            udh["port"] = {"dst": v[0], "src": v[1], "bits": 8}
        elif iei == 0x05 and n == 4:
            udh["port"] = {"dst": (v[0] << 8) | v[1], "src": (v[2] << 8) | v[3], "bits": 16}
        else:
            other.append({"iei": iei, "data": hexu(v)})
        pos += 2 + n
    if other:
        udh["other"] = other
    d["udh"] = udh
    return udh
