# SMS PDU codec (3GPP TS 23.040) as SIM800/SIM7600 speak it in PDU mode (AT+CMGF=0):
# encode SMS-SUBMIT (split into concatenated parts) and decode SMS-DELIVER, SMS-SUBMIT and
# SMS-STATUS-REPORT. Pure: hex str in, dict out; malformed input raises one PduError(reason, pos)
# where pos is the octet offset in the PDU as given (SMSC field included).
from smsgw import gsm7
from smsgw import tpfields as tf
from smsgw.errors import PduError

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


_MAX_PARTS = const(255)  # TP-UDH concatenation counts parts in one octet
_GSM7_MAX = const(160)  # septets of user data in one TPDU (3GPP TS 23.040 9.2.3.16)
_OCTET_MAX = const(140)  # octets of user data in one TPDU
_ESC = const(0x1B)
_ENCODINGS = ("gsm7", "8bit", "ucs2")


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


def user_data_parts(text, ref=0, ref_bits=8):
    """Split `text` into the minimal number of TP-UD payloads.

    Returns:
        (encoding, dcs, [(udhi, udl, ud_bytes), ...]).
    Raises:
        PduError: when more than 255 parts would be needed.
    """
    if ref_bits not in (8, 16):
        raise ValueError("ref_bits must be 8 or 16")
    udh_len = 6 if ref_bits == 8 else 7  # UDHL octet + concatenation IE
    sept = gsm7.to_septets(text)
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


def encode_submit(number, text, srr=False, ref=0, ref_bits=8, validity_s=None, smsc=None, mr=0):
    """Encode an SMS-SUBMIT, split into concatenated parts when long.

    Args:
        number: recipient, "+<digits>" international, "<digits>" or alphanumeric.
        text: message text (GSM-7 when every character fits, else UCS-2).
        srr: request a status report (TP-SRR).
        ref: concatenation reference; ref_bits: 8 or 16.
        validity_s: relative validity period in seconds, or None for no TP-VP.
        smsc: SMSC number, or None for `00` (the modem's stored SMSC).
        mr: TP-MR of every part (modems put their own counter there and answer +CMGS: <mr>).
    Returns:
        (encoding, [(hex, tpdu_len), ...]): upper-case hex starting with the SMSC field;
        tpdu_len is the octet count AT+CMGS wants (without the SMSC field).
    Raises:
        ValueError: bad number or argument; PduError: text needs more than 255 parts.
    """
    encoding, dcs, parts = user_data_parts(text, ref, ref_bits)
    head = tf.smsc_field(smsc)
    da = tf.address(number)
    vp = b"" if validity_s is None else bytes((tf.relative_vp(validity_s),))
    out = []
    for udhi, udl, ud in parts:
        fo = 0x01 | (0x10 if vp else 0) | (0x20 if srr else 0) | (0x40 if udhi else 0)
        tpdu = bytes((fo, mr & 0xFF)) + da + bytes((0, dcs)) + vp + bytes((udl,)) + ud
        out.append((tf.hexu(head + tpdu), len(tpdu)))
    return encoding, out


def _user_data(buf, pos, alphabet, compressed, udhi, d):
    """Parse TP-UDL and TP-UD at pos into d (udh, text or data, encoding)."""
    tf.need(buf, pos, 1, "TP-UDL")
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
        udh = tf.parse_udh(buf, p + 1, p + hdr, d)
        for ie in udh.get("other", ()):
            if ie["iei"] == 0x24 or ie["iei"] == 0x25:  # national language tables 9.2.3.24.15
                shifts |= ie["iei"] - 0x23
    d["encoding"] = _ENCODINGS[alphabet] if not compressed else "8bit"
    if compressed:  # 3GPP TS 23.042 compression: we hand the octets over as data
        d["compressed"] = True
    if alphabet == 0 and not compressed:
        hsept = (hdr * 8 + 6) // 7
        sept = gsm7.unpack(memoryview(buf)[p + hdr : p + n_oct], udl - hsept, hsept * 7 - hdr * 8)
        text, unknown = gsm7.septets_to_text(sept, shifts & 1, shifts & 2)
    elif alphabet == 2 and not compressed:
        text, unknown = gsm7.ucs2_to_text(buf[p + hdr : p + n_oct])
    else:
        d["data"] = tf.hexu(buf[p + hdr : p + n_oct])
        return p + n_oct
    d["text"] = text
    if unknown:
        d["unknown_septets" if alphabet == 0 else "unknown_units"] = unknown
    return p + n_oct


def _ts(buf, pos, d, key, what):
    """d[key] = the ISO timestamp at pos, or d[key + "_raw"] = its hex when not BCD."""
    v = tf.timestamp(buf, pos, what)
    if v is None:
        d[key + "_raw"] = tf.hexu(buf[pos : pos + 7])
    else:
        d[key] = v


def _read_vp(buf, pos, vpf, d):
    if vpf == 2:  # relative
        tf.need(buf, pos, 1, "TP-VP")
        d["vp"] = tf.vp_seconds(buf[pos])
        return pos + 1
    if vpf == 3:  # absolute
        _ts(buf, pos, d, "vp", "TP-VP")
        return pos + 7
    if vpf == 1:  # enhanced (9.2.3.12.3)
        tf.need(buf, pos, 7, "TP-VP")
        fmt = buf[pos] & 7
        if fmt == 1:
            d["vp"] = tf.vp_seconds(buf[pos + 1])
        elif fmt == 2:
            d["vp"] = buf[pos + 1]
        elif fmt == 3:
            h, m, s = (tf.bcd2(buf[pos + i]) for i in (1, 2, 3))
            d["vp"] = h * 3600 + m * 60 + s if min(h, m, s) >= 0 else tf.hexu(buf[pos : pos + 7])
        else:
            d["vp"] = tf.hexu(buf[pos : pos + 7])
        return pos + 7
    return pos


def _deliver(buf, pos, fo, d):
    d["type"] = "deliver"
    pos = tf.read_address(buf, pos + 1, d, "TP-OA")
    tf.need(buf, pos, 2, "TP-PID/TP-DCS")
    d["pid"] = buf[pos]
    d["dcs"] = buf[pos + 1]
    alphabet, comp = tf.parse_dcs(buf[pos + 1], d)
    _ts(buf, pos + 2, d, "scts", "TP-SCTS")
    return _user_data(buf, pos + 9, alphabet, comp, fo & 0x40, d)


def _submit(buf, pos, fo, d):
    d["type"] = "submit"
    tf.need(buf, pos + 1, 1, "TP-MR")
    d["mr"] = buf[pos + 1]
    d["srr"] = bool(fo & 0x20)
    pos = tf.read_address(buf, pos + 2, d, "TP-DA")
    tf.need(buf, pos, 2, "TP-PID/TP-DCS")
    d["pid"] = buf[pos]
    d["dcs"] = buf[pos + 1]
    alphabet, comp = tf.parse_dcs(buf[pos + 1], d)
    pos = _read_vp(buf, pos + 2, (fo >> 3) & 3, d)
    return _user_data(buf, pos, alphabet, comp, fo & 0x40, d)


def _status_report(buf, pos, fo, d):
    d["type"] = "status_report"
    tf.need(buf, pos + 1, 1, "TP-MR")
    d["mr"] = buf[pos + 1]
    pos = tf.read_address(buf, pos + 2, d, "TP-RA")
    _ts(buf, pos, d, "scts", "TP-SCTS")
    _ts(buf, pos + 7, d, "discharge", "TP-DT")
    tf.need(buf, pos + 14, 1, "TP-ST")
    d["status"] = buf[pos + 14]
    pos += 15
    if pos >= len(buf):
        return pos
    pi = buf[pos]  # TP-PI (9.2.3.27): which optional fields follow
    pos += 1
    if pi & 0x80:  # extension bit set: fields we do not know follow; stop here
        return len(buf)
    if pi & 1:
        tf.need(buf, pos, 1, "TP-PID")
        d["pid"] = buf[pos]
        pos += 1
    alphabet, comp = 0, False
    if pi & 2:
        tf.need(buf, pos, 1, "TP-DCS")
        d["dcs"] = buf[pos]
        alphabet, comp = tf.parse_dcs(buf[pos], d)
        pos += 1
    if pi & 4:
        pos = _user_data(buf, pos, alphabet, comp, fo & 0x40, d)
    return pos


def decode(pdu_hex, smsc=True):
    """Decode an SMS-DELIVER, SMS-SUBMIT or SMS-STATUS-REPORT PDU.

    Args:
        pdu_hex: the PDU in hex, as +CMGL/+CMGR/+CMT/+CDS show it.
        smsc: True when the PDU starts with the SMSC field (modems do), False for a bare TPDU.
    Returns:
        dict with the keys type, smsc, number, number_type, pid, dcs, encoding, class, text,
        data, udh, scts, discharge, status, mr, vp, srr (absent ones omitted), plus
        unknown_septets / unknown_units (replaced characters) and mwi when present.
    Raises:
        PduError(reason, pos): malformed input; pos is the offending octet's offset.
    """
    buf = tf.unhex(pdu_hex)
    d = {}
    pos = 0
    if smsc:
        n = buf[0]
        if n > 11:
            raise PduError("bad SMSC length", 0)
        tf.need(buf, 1, n, "SMSC address")
        if n > 1:
            toa = buf[1]
            num = tf.digits(buf, 2, (n - 1) * 2)
            d["smsc"] = "+" + num if (toa >> 4) & 7 == 1 else num
        pos = 1 + n
    tf.need(buf, pos, 1, "first octet")
    fo = buf[pos]
    mti = fo & 3
    if mti == 0:
        _deliver(buf, pos, fo, d)
    elif mti == 1:
        _submit(buf, pos, fo, d)
    elif mti == 2:
        _status_report(buf, pos, fo, d)
    else:
        raise PduError("reserved message type", pos)
    return d
