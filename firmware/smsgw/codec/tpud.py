# TP-UD written (3GPP TS 23.040 9.2.3.24): text split into the minimal number of concatenated
# payloads; for submit.py and the simulator's pdu_mt.py. Reading TP-UD back is tpread.py's.
from smsgw.codec import gsm7
from smsgw.errors import PduError

from micropython import const


_MAX_PARTS = const(255)  # TP-UDH concatenation counts parts in one octet
_GSM7_MAX = const(160)  # septets of user data in one TPDU (3GPP TS 23.040 9.2.3.16)
_OCTET_MAX = const(140)  # octets of user data in one TPDU
_ESC = const(0x1B)


def _chunks(units, limit, unit_size, is_lead):
    """Greedy split of `units` (bytes, `unit_size` bytes each) into runs of at most `limit`
    units, never ending a run on a lead unit (ESC or high surrogate). Greedy in order gives
    the minimal number of runs."""
    n = len(units) // unit_size
    out = []
    start = 0
    while start < n:
        end = min(start + limit, n)
        if end < n and is_lead(units, (end - 1) * unit_size):
            end -= 1
        out.append((start * unit_size, end * unit_size))
        start = end
    return out or [(0, 0)]


def _is_esc(b, i):
    return b[i] == _ESC


def _is_high_surrogate(b, i):
    return 0xD8 <= b[i] <= 0xDB


def _concat_ie(ref, total, seq, ref_bits):
    if ref_bits == 16:  # 3GPP TS 23.040 9.2.3.24.8
        return bytes((6, 0x08, 4, (ref >> 8) & 0xFF, ref & 0xFF, total, seq))
    return bytes((5, 0x00, 3, ref & 0xFF, total, seq))  # 9.2.3.24.1


def user_data_parts(text, ref=0, ref_bits=8, ucs2=False, msg_class=None):
    """Split `text` into the minimal number of TP-UD payloads.

    Args:
        text: the message; GSM-7 when every character fits (unless `ucs2`), else UCS-2.
        ref, ref_bits: concatenation reference and its size (8 or 16) when split.
        ucs2: force UCS-2.
        msg_class: None, or 0..3 (TP-DCS with a message class, 3GPP TS 23.038 4; 0 = flash).
    Returns:
        (encoding, dcs, [(udhi, udl, ud_bytes), ...]).
    Raises:
        ValueError: bad ref_bits or msg_class; PduError: more than 255 parts needed.
    """
    if ref_bits not in (8, 16):
        raise ValueError("ref_bits must be 8 or 16")
    udh_len = 6 if ref_bits == 8 else 7  # UDHL octet + concatenation IE
    if msg_class is not None and msg_class not in (0, 1, 2, 3):
        raise ValueError("msg_class must be 0..3")
    sept = None if ucs2 else gsm7.to_septets(text)
    if sept is not None:
        encoding, dcs, units, size, is_lead = "gsm7", 0x00, sept, 1, _is_esc
        single = _GSM7_MAX
        fill = (7 - (udh_len * 8) % 7) % 7
        multi = _GSM7_MAX - (udh_len * 8 + fill) // 7
    else:
        units = gsm7.to_ucs2(text)
        encoding, dcs, size, is_lead = "ucs2", 0x08, 2, _is_high_surrogate
        single = _OCTET_MAX // 2
        multi = (_OCTET_MAX - udh_len) // 2
    if len(units) > _MAX_PARTS * multi * size:  # cheap bound before splitting
        raise PduError("message needs more than 255 parts")
    if msg_class is not None:
        dcs |= 0x10 | msg_class
    runs = _chunks(units, single, size, is_lead)
    if len(runs) > 1:
        runs = _chunks(units, multi, size, is_lead)
    total = len(runs)
    if total > _MAX_PARTS:
        raise PduError("message needs %d parts, more than 255" % total)
    parts = []
    for seq, (a, b) in enumerate(runs, 1):
        udh = _concat_ie(ref, total, seq, ref_bits) if total > 1 else b""
        if size == 1:
            f = (7 - (len(udh) * 8) % 7) % 7 if udh else 0
            udl = (len(udh) * 8 + f) // 7 + (b - a)
            ud = udh + gsm7.pack(units[a:b], f)
        else:
            ud = udh + units[a:b]
            udl = len(ud)
        parts.append((bool(udh), udl, ud))
    return encoding, dcs, parts
