# SMS PDU decoding (3GPP TS 23.040) as SIM800/SIM7600 show PDUs in PDU mode (AT+CMGF=0):
# SMS-DELIVER, SMS-SUBMIT and SMS-STATUS-REPORT. Pure: hex str in, dict out; malformed input
# raises one PduError(reason, pos) where pos is the octet offset in the PDU as given (SMSC field
# included). Encoding is submit.py's.
from smsgw.codec import hexu
from smsgw.codec import tpread as tr
from smsgw.errors import PduError


def _ts(buf, pos, d, key, what):
    """d[key] = the ISO timestamp at pos, or d[key + "_raw"] = its hex when not BCD."""
    v = tr.timestamp(buf, pos, what)
    if v is None:
        d[key + "_raw"] = hexu(buf[pos : pos + 7])
    else:
        d[key] = v


def _read_vp(buf, pos, vpf, d):
    if vpf == 2:  # relative
        tr.need(buf, pos, 1, "TP-VP")
        d["vp"] = tr.vp_seconds(buf[pos])
        return pos + 1
    if vpf == 3:  # absolute
        _ts(buf, pos, d, "vp", "TP-VP")
        return pos + 7
    if vpf == 1:  # enhanced (9.2.3.12.3)
        tr.need(buf, pos, 7, "TP-VP")
        fmt = buf[pos] & 7
        if fmt == 1:
            d["vp"] = tr.vp_seconds(buf[pos + 1])
        elif fmt == 2:
            d["vp"] = buf[pos + 1]
        elif fmt == 3:
            h, m, s = (tr.bcd2(buf[pos + i]) for i in (1, 2, 3))
            d["vp"] = h * 3600 + m * 60 + s if min(h, m, s) >= 0 else hexu(buf[pos : pos + 7])
        else:
            d["vp"] = hexu(buf[pos : pos + 7])
        return pos + 7
    return pos


def _deliver(buf, pos, fo, d):
    d["type"] = "deliver"
    pos = tr.read_address(buf, pos + 1, d, "TP-OA")
    tr.need(buf, pos, 2, "TP-PID/TP-DCS")
    d["pid"] = buf[pos]
    d["dcs"] = buf[pos + 1]
    alphabet, comp = tr.parse_dcs(buf[pos + 1], d)
    _ts(buf, pos + 2, d, "scts", "TP-SCTS")
    return tr.read_user_data(buf, pos + 9, alphabet, comp, fo & 0x40, d)


def _submit(buf, pos, fo, d):
    d["type"] = "submit"
    tr.need(buf, pos + 1, 1, "TP-MR")
    d["mr"] = buf[pos + 1]
    d["srr"] = bool(fo & 0x20)
    pos = tr.read_address(buf, pos + 2, d, "TP-DA")
    tr.need(buf, pos, 2, "TP-PID/TP-DCS")
    d["pid"] = buf[pos]
    d["dcs"] = buf[pos + 1]
    alphabet, comp = tr.parse_dcs(buf[pos + 1], d)
    pos = _read_vp(buf, pos + 2, (fo >> 3) & 3, d)
    return tr.read_user_data(buf, pos, alphabet, comp, fo & 0x40, d)


def _status_report(buf, pos, fo, d):
    d["type"] = "status_report"
    tr.need(buf, pos + 1, 1, "TP-MR")
    d["mr"] = buf[pos + 1]
    pos = tr.read_address(buf, pos + 2, d, "TP-RA")
    _ts(buf, pos, d, "scts", "TP-SCTS")
    _ts(buf, pos + 7, d, "discharge", "TP-DT")
    tr.need(buf, pos + 14, 1, "TP-ST")
    d["status"] = buf[pos + 14]
    pos += 15
    if pos >= len(buf):
        return pos
    pi = buf[pos]  # TP-PI (9.2.3.27): which optional fields follow
    pos += 1
    if pi & 0x80:  # extension bit set: fields we do not know follow; stop here
        return len(buf)
    if pi & 1:
        tr.need(buf, pos, 1, "TP-PID")
        d["pid"] = buf[pos]
        pos += 1
    alphabet, comp = 0, False
    if pi & 2:
        tr.need(buf, pos, 1, "TP-DCS")
        d["dcs"] = buf[pos]
        alphabet, comp = tr.parse_dcs(buf[pos], d)
        pos += 1
    if pi & 4:
        pos = tr.read_user_data(buf, pos, alphabet, comp, fo & 0x40, d)
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
    buf = tr.unhex(pdu_hex)
    d = {}
    pos = 0
    if smsc:
        n = buf[0]
        if n > 11:
            raise PduError("bad SMSC length", 0)
        tr.need(buf, 1, n, "SMSC address")
        if n > 1:
            toa = buf[1]
            num = tr.digits(buf, 2, (n - 1) * 2)
            d["smsc"] = "+" + num if (toa >> 4) & 7 == 1 else num
        pos = 1 + n
    tr.need(buf, pos, 1, "first octet")
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
