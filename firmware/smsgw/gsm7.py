# GSM 03.38 / 3GPP TS 23.038 alphabets: the 7-bit default alphabet with its extension table,
# septet packing (with UDH fill bits), and UCS-2 as UTF-16BE (surrogate pairs for emoji).
# Pure: bytes and str in, bytes and tuples out; runs unchanged on CPython and MicroPython.
try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


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


def to_septets(text):
    """Map text to GSM-7 septet values.

    Args:
        text: the message text.
    Returns:
        bytes of septet values (an extension character takes ESC 0x1B + its code), or None
        when some character is in neither table.
    """
    out = bytearray()
    for ch in text:
        i = _BASIC.find(ch) if ch != "\x1b" else -1
        if i >= 0:
            out.append(i)
            continue
        i = _EXT_CHARS.find(ch)
        if i < 0:
            return None
        out.append(_ESC)
        out.append(_EXT_CODES[i])
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
    parts = []
    unknown = 0
    n = len(septets)
    i = 0
    while i < n:
        s = septets[i] & 0x7F
        i += 1
        if s != _ESC:
            if locking_shift:
                unknown += 1
                parts.append(REPLACEMENT)
            else:
                parts.append(_BASIC[s])
            continue
        j = -1 if (i >= n or single_shift) else _EXT_CODES.find(bytes((septets[i] & 0x7F,)))
        if j < 0:
            unknown += 1
            parts.append(REPLACEMENT)
        else:
            parts.append(_EXT_CHARS[j])
        i += 1
    return "".join(parts), unknown


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
    for ch in text:
        c = ord(ch)
        if c > 0xFFFF:
            c -= 0x10000
            hi = 0xD800 | (c >> 10)
            lo = 0xDC00 | (c & 0x3FF)
            out.append(hi >> 8)
            out.append(hi & 0xFF)
            out.append(lo >> 8)
            out.append(lo & 0xFF)
        else:
            out.append(c >> 8)
            out.append(c & 0xFF)
    return bytes(out)


def ucs2_to_text(data):
    """Decode UCS-2/UTF-16BE bytes; lone surrogates and an odd last octet become REPLACEMENT.

    Returns:
        (text, unknown_count).
    """
    parts = []
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
                parts.append(chr(0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00)))
                continue
        if 0xD800 <= c <= 0xDFFF:
            unknown += 1
            parts.append(REPLACEMENT)
        else:
            parts.append(chr(c))
    if len(data) & 1:
        unknown += 1
        parts.append(REPLACEMENT)
    return "".join(parts), unknown


def ucs2_units(text):
    """Number of UTF-16 units `text` takes (2 for a character above U+FFFF)."""
    n = 0
    for ch in text:
        n += 2 if ord(ch) > 0xFFFF else 1
    return n
