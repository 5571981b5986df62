# GSM 03.38 / 3GPP TS 23.038 alphabets, read back: septet unpacking, the 7-bit default alphabet
# and its extension table to text, UCS-2 (UTF-16BE, surrogate pairs joined) to text; for tpread
# (decoding). Writing them is gsm7.py's. Pure: runs unchanged on CPython and MicroPython.
from micropython import const


_ESC = const(0x1B)
REPLACEMENT = "\ufffd"  # shown for a septet or UTF-16 unit we cannot map

# Lookup tables (3GPP TS 23.038 6.2.1 and 6.2.1.1), checked against the readable tables by
# tests/codec/test_codec_vectors.py; literals, so importing builds nothing:
# _U8: each default septet's UTF-8 bytes in a 2-byte slot (all are below U+0800);
# _EXT_CODES/_EXT_CPS: the extension table's codes and their code points.
_EXT_CODES = b"\x0a\x14\x28\x29\x2f\x3c\x3d\x3e\x40\x65"
_U8 = bytes.fromhex(
    "4000C2A32400C2A5C3A8C3A9C3B9C3ACC3B2C3870A00C398C3B80D00C385C3A5"
    "CE945F00CEA6CE93CE9BCEA9CEA0CEA8CEA3CE98CE9E0000C386C3A6C39FC389"
    "2000210022002300C2A4250026002700280029002A002B002C002D002E002F00"
    "30003100320033003400350036003700380039003A003B003C003D003E003F00"
    "C2A14100420043004400450046004700480049004A004B004C004D004E004F00"
    "50005100520053005400550056005700580059005A00C384C396C391C39CC2A7"
    "C2BF6100620063006400650066006700680069006A006B006C006D006E006F00"
    "70007100720073007400750076007700780079007A00C3A4C3B6C3B1C3BCC3A0"
)
_EXT_CPS = (12, 94, 123, 125, 92, 91, 126, 93, 124, 8364)


def _utf8_append(out, cp):
    if cp < 0x80:
        out.append(cp)
    elif cp < 0x800:
        out.append(0xC0 | (cp >> 6))
        out.append(0x80 | (cp & 0x3F))
    elif cp < 0x10000:
        out.append(0xE0 | (cp >> 12))
        out.append(0x80 | ((cp >> 6) & 0x3F))
        out.append(0x80 | (cp & 0x3F))
    else:
        out.append(0xF0 | (cp >> 18))
        out.append(0x80 | ((cp >> 12) & 0x3F))
        out.append(0x80 | ((cp >> 6) & 0x3F))
        out.append(0x80 | (cp & 0x3F))


def septets_to_text(septets, single_shift=False, locking_shift=False):
    """Map septet values back to text.

    Args:
        septets: bytes of septet values (0..127).
        single_shift: a national single-shift table is announced in the UDH (3GPP TS 23.040
            9.2.3.24.15): escaped characters come from it and show as replacements, since we
            carry the default tables only.
        locking_shift: a national locking-shift table is announced (9.2.3.24.16): every
            unescaped septet comes from it and shows as a replacement.
    Returns:
        (text, unknown_count): unknown escape codes (a replacement for the pair), a dangling
        ESC and national-table characters become REPLACEMENT and are counted.
    """
    out = bytearray()
    unknown = 0
    n = len(septets)
    i = 0
    while i < n:
        s = septets[i] & 0x7F
        i += 1
        if s != _ESC:
            if locking_shift:
                unknown += 1
                _utf8_append(out, 0xFFFD)
            else:
                out.append(_U8[2 * s])
                if _U8[2 * s + 1]:
                    out.append(_U8[2 * s + 1])
            continue
        cp = 0xFFFD
        if i < n and not single_shift:
            x = septets[i] & 0x7F
            for k in range(len(_EXT_CODES)):
                if _EXT_CODES[k] == x:
                    cp = _EXT_CPS[k]
                    break
        if cp == 0xFFFD:
            unknown += 1
        _utf8_append(out, cp)
        i += 1
    return str(out, "utf-8"), unknown


def unpack(octets, n_septets, fill_bits=0):
    """Unpack `n_septets` septets from packed octets (the inverse of `pack`).

    Args:
        octets: the packed bytes; must hold at least (n_septets * 7 + fill_bits + 7) // 8.
        n_septets: how many septets to read.
        fill_bits: bits to skip before the first septet.
    Returns:
        bytes of septet values.
    Raises:
        ValueError: when `octets` is too short.
    """
    if (n_septets * 7 + fill_bits + 7) // 8 > len(octets):
        raise ValueError("not enough octets")
    out = bytearray(n_septets)
    bit = fill_bits
    for k in range(n_septets):
        o = bit >> 3
        sh = bit & 7
        v = octets[o] >> sh
        if sh > 1:
            v |= octets[o + 1] << (8 - sh)
        out[k] = v & 0x7F
        bit += 7
    return bytes(out)


def ucs2_to_text(data):
    """Decode UCS-2/UTF-16BE bytes; lone surrogates and an odd last octet become REPLACEMENT.

    Returns:
        (text, unknown_count).
    """
    out = bytearray()
    unknown = 0
    n = len(data) & ~1
    i = 0
    while i < n:
        c = (data[i] << 8) | data[i + 1]
        i += 2
        if 0xD800 <= c <= 0xDBFF and i < n:
            lo = (data[i] << 8) | data[i + 1]
            if 0xDC00 <= lo <= 0xDFFF:
                i += 2
                c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00)
        if 0xD800 <= c <= 0xDFFF:
            unknown += 1
            c = 0xFFFD
        _utf8_append(out, c)
    if len(data) & 1:
        unknown += 1
        _utf8_append(out, 0xFFFD)
    return str(out, "utf-8"), unknown
