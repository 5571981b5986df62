# Mobile-terminated PDU encoders (3GPP TS 23.040 9.2.2.1 SMS-DELIVER, 9.2.2.3 SMS-STATUS-REPORT):
# what a network hands the modem. Host side: the modem simulator and tests; built on the
# firmware's field codecs (smsgw.codec), which never need it.
import time

from smsgw.codec import hexu
from smsgw.codec import tpfields as tf
from smsgw.codec import tpud


def _ts_octets(ts):
    """7 semi-octet swapped TP-SCTS octets from (Y, M, D, h, m, s[, tz_quarter_hours]) or None
    (now, UTC)."""
    if ts is None:
        ts = time.gmtime()[:6]
    if len(ts) < 6:
        raise ValueError("timestamp needs (year, month, day, hour, minute, second[, tz])")
    tz = ts[6] if len(ts) > 6 else 0
    if not -79 <= tz <= 79:
        raise ValueError("time zone out of range (quarter hours)")
    out = bytearray(7)
    for i, v in enumerate((ts[0] % 100, ts[1], ts[2], ts[3], ts[4], ts[5], abs(tz))):
        out[i] = ((v % 10) << 4) | (v // 10)
    if tz < 0:
        out[6] |= 0x08  # 3GPP TS 23.040 9.2.3.11: sign bit of the time zone
    return bytes(out)


def encode_deliver(
    sender, text, scts=None, smsc=None, ref=0, ref_bits=8, pid=0, ucs2=False, msg_class=None
):
    """Encode SMS-DELIVER PDU(s), split with a concatenation UDH when long.

    Args:
        sender: "+<digits>" international, "<digits>" or alphanumeric (up to 11 characters).
        text: message text (GSM-7 when it fits, else UCS-2).
        scts: (Y, M, D, h, m, s[, tz quarter hours]) or None for the current UTC time.
        smsc: SMSC number for the prefix, or None for `00`.
        ref, ref_bits: concatenation reference and its size (8 or 16).
        pid: TP-PID; ucs2: force UCS-2; msg_class: None or 0..3 (TP-DCS message class).
    Returns:
        [hex, ...] upper-case, each with the SMSC prefix.
    """
    encoding, dcs, parts = tpud.user_data_parts(text, ref, ref_bits, ucs2, msg_class)
    head = tf.smsc_field(smsc)
    oa = tf.address(sender)
    ts = _ts_octets(scts)
    out = []
    for udhi, udl, ud in parts:
        fo = 0x04 | (0x40 if udhi else 0)  # MTI 00, TP-MMS: no more messages waiting
        out.append(hexu(head + bytes((fo,)) + oa + bytes((pid, dcs)) + ts + bytes((udl,)) + ud))
    return out


def encode_status_report(mr, recipient, status=0, scts=None, discharge=None, smsc=None):
    """Encode an SMS-STATUS-REPORT PDU (no optional TP-PI fields).

    Args:
        mr: TP-MR of the submitted message; recipient: its TP-DA.
        status: TP-ST (0 delivered, 0x20.. temporary, 0x40.. / 0x60.. permanent failures).
        scts, discharge: timestamps as for encode_deliver (None = now).
        smsc: SMSC number for the prefix, or None for `00`.
    Returns:
        the upper-case hex PDU.
    """
    head = tf.smsc_field(smsc)
    fo = 0x06  # MTI 10, TP-MMS; TP-SRQ 0: report of an SMS-SUBMIT
    body = bytes((fo, mr & 0xFF)) + tf.address(recipient)
    body += _ts_octets(scts) + _ts_octets(discharge) + bytes((status & 0xFF,))
    return hexu(head + body)
