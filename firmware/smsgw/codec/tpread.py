# TPDU fields read back (3GPP TS 23.040 9.1.2, 9.2.3): hex in, addresses, timestamps, validity
# period, data coding scheme, user data header and TP-UD (text or data); for pdu.py (decode) and
# the simulator. Malformed input raises PduError(reason, pos), pos the octet's offset.
import binascii

from smsgw.codec import DIGITS, gsm7read, hexu
from smsgw.errors import PduError

from micropython import const


MAX_OCTETS = const(200)  # input limit: 12 (SMSC) + 164 (largest TPDU) + slack
_GSM7_MAX = const(160)  # septets of user data in one TPDU (3GPP TS 23.040 9.2.3.16)
_OCTET_MAX = const(140)  # octets of user data in one TPDU
_TON_NAMES = ("unknown", "international", "national")
_MW_TYPES = ("voicemail", "fax", "email", "other")
_ENCODINGS = ("gsm7", "8bit", "ucs2")


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
            out.append(DIGITS[v])
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
        sept = gsm7read.unpack(buf[pos + 2 : pos + 2 + octets], n * 4 // 7)
        d["number"] = gsm7read.septets_to_text(sept)[0]
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


def read_user_data(buf, pos, alphabet, compressed, udhi, d):
    """Parse TP-UDL and TP-UD at pos into d (udh, text or data, encoding)."""
    need(buf, pos, 1, "TP-UDL")
    udl = buf[pos]
    p = pos + 1
    if alphabet == 0 and not compressed:
        if udl > _GSM7_MAX:
            raise PduError("UDL %d above 160 septets" % udl, pos)
        n_oct = (udl * 7 + 7) // 8
    else:
        if udl > _OCTET_MAX:
            raise PduError("UDL %d above 140 octets" % udl, pos)
        n_oct = udl
    if p + n_oct > len(buf):
        raise PduError("UDL larger than the user data", pos)
    hdr = 0
    shifts = 0  # bit 0: national single shift, bit 1: national locking shift
    if udhi and udl:
        udhl = buf[p]
        hdr = udhl + 1
        if hdr > n_oct or (alphabet == 0 and not compressed and hdr * 8 > udl * 7):
            raise PduError("UDHL past the end of the user data", p)
        udh = parse_udh(buf, p + 1, p + hdr, d)
        for ie in udh.get("other", ()):
            if ie["iei"] == 0x24 or ie["iei"] == 0x25:  # national language tables 9.2.3.24.15
                shifts |= ie["iei"] - 0x23
    d["encoding"] = _ENCODINGS[alphabet] if not compressed else "8bit"
    if compressed:  # 3GPP TS 23.042 compression: we hand the octets over as data
        d["compressed"] = True
    if alphabet == 0 and not compressed:
        hsept = (hdr * 8 + 6) // 7
        sept = gsm7read.unpack(memoryview(buf)[p + hdr : p + n_oct], udl - hsept,
                               hsept * 7 - hdr * 8)
        text, unknown = gsm7read.septets_to_text(sept, shifts & 1 != 0, shifts & 2 != 0)
    elif alphabet == 2 and not compressed:
        text, unknown = gsm7read.ucs2_to_text(buf[p + hdr : p + n_oct])
    else:
        d["data"] = hexu(buf[p + hdr : p + n_oct])
        return p + n_oct
    d["text"] = text
    if unknown:
        d["unknown_septets" if alphabet == 0 else "unknown_units"] = unknown
    return p + n_oct
