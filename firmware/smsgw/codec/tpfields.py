# TPDU fields written (3GPP TS 23.040 9.1.2, 9.2.3.12): addresses, the SMSC prefix, the
# relative validity period; for submit.py and the simulator's pdu_mt.py. Reading them back is
# tpread.py's.
from smsgw.codec import DIGITS, gsm7

from micropython import const


_TOA_INTL = const(0x91)  # TON 1 international, NPI 1 ISDN
_TOA_UNKNOWN = const(0x81)  # TON 0 unknown, NPI 1 ISDN: what phones send for a plain number
_TOA_ALNUM = const(0xD0)  # TON 5 alphanumeric (3GPP TS 23.040 9.1.2.5)


def _bcd(digits):
    """Semi-octet swapped BCD with an F filler (3GPP TS 23.040 9.1.2.3)."""
    out = bytearray((len(digits) + 1) // 2)
    for i, ch in enumerate(digits):
        v = DIGITS.find(ch)
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
