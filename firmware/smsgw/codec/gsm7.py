# GSM 03.38 / 3GPP TS 23.038 alphabets, written: text to the 7-bit default alphabet with its
# extension table, septet packing (with UDH fill bits), and UCS-2 as UTF-16BE (surrogate pairs
# for emoji). Reading them back is gsm7read.py's. Pure: runs unchanged on CPython and MicroPython.
from micropython import const


_ESC = const(0x1B)

# Lookup tables (3GPP TS 23.038 6.2.1 and 6.2.1.1, the default alphabet and its extension
# table), checked against the readable tables by tests/codec/test_codec_vectors.py; literals,
# so importing builds nothing:
# _ASCII: ASCII code -> septet (0x80 | code for an extension character, 0xFF for none);
# _NA_CPS/_NA_SEPT: the non-ASCII characters' code points and septets (same encoding).
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


def ucs2_units(text):
    """Number of UTF-16 units `text` takes (2 for a character above U+FFFF)."""
    n = 0
    for c in text.encode():
        if c & 0xC0 != 0x80:
            n += 2 if c >= 0xF0 else 1
    return n
