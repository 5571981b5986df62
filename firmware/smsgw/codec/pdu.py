# SMS PDU codec (3GPP TS 23.040) as SIM800/SIM7600 speak it in PDU mode (AT+CMGF=0):
# encode SMS-SUBMIT (split into concatenated parts) and decode SMS-DELIVER, SMS-SUBMIT and
# SMS-STATUS-REPORT. Pure: hex str in, dict out; malformed input raises one PduError(reason, pos)
# where pos is the octet offset in the PDU as given (SMSC field included).
from smsgw.codec import tpfields as tf
from smsgw.errors import PduError
from smsgw.codec.tpud import read_user_data, user_data_parts


def encode_submit(
    number,
    text,
    srr=False,
    ref=0,
    ref_bits=8,
    validity_s=None,
    smsc=None,
    mr=0,
    ucs2=False,
    msg_class=None,
    ud=None,
):
    """Encode an SMS-SUBMIT, split into concatenated parts when long.

    Args:
        number: recipient, "+<digits>" international, "<digits>" or alphanumeric.
        text: message text (GSM-7 when every character fits, else UCS-2).
        srr: request a status report (TP-SRR).
        ref: concatenation reference; ref_bits: 8 or 16.
        validity_s: relative validity period in seconds, or None for no TP-VP.
        smsc: SMSC number, or None for `00` (the modem's stored SMSC).
        mr: TP-MR of every part (modems put their own counter there and answer +CMGS: <mr>).
        ucs2: force UCS-2; msg_class: None or 0..3 (0 = flash SMS), see tpud.user_data_parts.
        ud: (encoding, dcs, parts) prepared elsewhere (codec.data.data_parts); text unused.
    Returns:
        (encoding, [(hex, tpdu_len), ...]): upper-case hex starting with the SMSC field;
        tpdu_len is the octet count AT+CMGS wants (without the SMSC field).
    Raises:
        ValueError: bad number or argument; PduError: text needs more than 255 parts.
    """
    encoding, dcs, parts = ud or user_data_parts(text, ref, ref_bits, ucs2, msg_class)
    head = tf.smsc_field(smsc)
    da = tf.address(number)
    vp = b"" if validity_s is None else bytes((tf.relative_vp(validity_s),))
    out = []
    for udhi, udl, ud in parts:
        fo = 0x01 | (0x10 if vp else 0) | (0x20 if srr else 0) | (0x40 if udhi else 0)
        tpdu = bytes((fo, mr & 0xFF)) + da + bytes((0, dcs)) + vp + bytes((udl,)) + ud
        out.append((tf.hexu(head + tpdu), len(tpdu)))
    return encoding, out


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
    return read_user_data(buf, pos + 9, alphabet, comp, fo & 0x40, d)


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
    return read_user_data(buf, pos, alphabet, comp, fo & 0x40, d)


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
        pos = read_user_data(buf, pos, alphabet, comp, fo & 0x40, d)
    return pos


def decode(pdu_hex, smsc=True):
    """Decode an SMS-DELIVER, SMS-SUBMIT or SMS-STATUS-REPORT PDU.

    Args:
        pdu_hex: the PDU in hex, as +CMGL/+CMGR/+CMT/+CDS show it.
        smsc: True when the PDU starts with the SMSC field (modems do), False for a bare TPDU.
    Returns:
        dict with the keys type, smsc, number, number_type, pid, dcs, encoding, class, text,
        data, udh, scts, discharge, status, mr, vp, srr (absent ones omitted), plus when
        present: unknown_septets / unknown_units (characters shown as U+FFFD), mwi,
        compressed, scts_raw / discharge_raw (a timestamp that is not BCD, as hex).
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
