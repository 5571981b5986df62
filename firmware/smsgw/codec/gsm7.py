# GSM 03.38 / 3GPP TS 23.038 alphabets: the 7-bit default alphabet with its extension table,
# septet packing (with UDH fill bits), and UCS-2 as UTF-16BE (surrogate pairs for emoji).
# Pure: bytes and str in, bytes and tuples out; runs unchanged on CPython and MicroPython.
from micropython import const


_ESC = const(0x1B)
REPLACEMENT = "\ufffd"  # shown for a septet or UTF-16 unit we cannot map

# 3GPP TS 23.038 6.2.1: the default alphabet, indexed by septet value (0x1B is the escape).
_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# 3GPP TS 23.038 6.2.1.1: the extension table, as (code, character) pairs in two strings.
_EXT_CODES = b"\x0a\x14\x28\x29\x2f\x3c\x3d\x3e\x40\x65"
_EXT_CHARS = "\f^{}\\[~]|€"


# Lookup tables (3GPP TS 23.038 6.2.1), generated from _BASIC/_EXT_CHARS and checked against
# them by tests/codec/test_codec_vectors.py; literals, so importing builds nothing:
# _ASCII: ASCII code -> septet (0x80 | code for an extension character, 0xFF for none);
# _NA_CPS/_NA_SEPT: the non-ASCII characters' code points and septets (same encoding);
# _U8: each default septet's UTF-8 bytes in a 2-byte slot (all are below U+0800).
_NONE = const(0xFF)
_ASCII = bytes.fromhex(
    "FFFFFFFFFFFFFFFFFFFF0AFF8A0DFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
    "202122230225262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F"
    "004142434445464748494A4B4C4D4E4F505152535455565758595ABCAFBE9411"
    "FF6162636465666768696A6B6C6D6E6F707172737475767778797AA8C0A9BDFF"
)
_NA_CPS = (
    163, 165, 232, 233, 249, 236, 242, 199, 216, 248, 197, 229, 916, 934, 915, 923, 937, 928,
    936, 931, 920, 926, 198, 230, 223, 201, 164, 161, 196, 214, 209, 220, 167, 191, 228, 246,
    241, 252, 224, 8364,
)  # fmt: skip
_NA_SEPT = bytes.fromhex(
    "01030405060708090B0C0E0F1012131415161718191A1C1D1E1F24405B5C5D5E5F607B7C7D7E7FE5"
)
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


def _cp_at(b, i):
    """Code point of the UTF-8 sequence starting at b[i] (b is valid UTF-8: a str's bytes)."""
    c = b[i]
    if c < 0xE0:
        return ((c & 0x1F) << 6) | (b[i + 1] & 0x3F)
    if c < 0xF0:
        return ((c & 0x0F) << 12) | ((b[i + 1] & 0x3F) << 6) | (b[i + 2] & 0x3F)
    return (
        ((c & 0x07) << 18)
        | ((b[i + 1] & 0x3F) << 12)
        | ((b[i + 2] & 0x3F) << 6)
        | (b[i + 3] & 0x3F)
    )


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


def _seq_len(c):
    """Length of the UTF-8 sequence whose lead byte is c."""
    return 1 if c < 0x80 else 2 if c < 0xE0 else 3 if c < 0xF0 else 4


def _code_points(text):
    """The code points of `text`, read from its UTF-8 bytes (iterating the str itself would
    allocate a one-character string per character on MicroPython)."""
    b = text.encode()
    i = 0
    n = len(b)
    while i < n:
        c = b[i]
        if c < 0x80:
            yield c
            i += 1
        else:
            yield _cp_at(b, i)
            i += _seq_len(c)


def to_septets(text):
    """Map text to GSM-7 septet values.

    Args:
        text: the message text.
    Returns:
        bytes of septet values (an extension character takes ESC 0x1B + its code), or None
        when some character is in neither table.
    """
    out = bytearray()
    for cp in _code_points(text):
        if cp < 0x80:
            v = _ASCII[cp]
        else:
            v = _NONE
            for k in range(len(_NA_CPS)):
                if _NA_CPS[k] == cp:
                    v = _NA_SEPT[k]
                    break
        if v == _NONE:
            return None
        if v & 0x80:
            out.append(_ESC)
            v &= 0x7F
        out.append(v)
    return bytes(out)


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


def pack(septets, fill_bits=0):
    """Pack septets into octets, LSB first (3GPP TS 23.038 6.1.2.1.1).

    Args:
        septets: bytes of septet values.
        fill_bits: zero bits before the first septet (0..6), to align after a UDH.
    Returns:
        the packed bytes.
    """
    out = bytearray((len(septets) * 7 + fill_bits + 7) // 8)
    acc = 0
    nbits = fill_bits
    o = 0
    for s in septets:
        acc |= (s & 0x7F) << nbits
        nbits += 7
        if nbits >= 8:
            out[o] = acc & 0xFF
            o += 1
            acc >>= 8
            nbits -= 8
    if nbits > 0:
        out[o] = acc & 0xFF
    return bytes(out)


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


def to_ucs2(text):
    """Encode text as UCS-2/UTF-16BE: characters above U+FFFF become surrogate pairs.

    Returns:
        the big-endian bytes (2 per UTF-16 unit).
    """
    out = bytearray()
    for cp in _code_points(text):
        if cp > 0xFFFF:
            cp -= 0x10000
            hi = 0xD800 | (cp >> 10)
            cp = 0xDC00 | (cp & 0x3FF)
            out.append(hi >> 8)
            out.append(hi & 0xFF)
        out.append(cp >> 8)
        out.append(cp & 0xFF)
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


def ucs2_units(text):
    """Number of UTF-16 units `text` takes (2 for a character above U+FFFF)."""
    n = 0
    for c in text.encode():
        if c & 0xC0 != 0x80:
            n += 2 if c >= 0xF0 else 1
    return n
