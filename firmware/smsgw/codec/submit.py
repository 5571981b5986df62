# SMS-SUBMIT encoding (3GPP TS 23.040 9.2.2.2) as SIM800/SIM7600 take it in PDU mode
# (AT+CMGF=0): a text (or prepared user data) split into concatenated parts, each as the hex
# AT+CMGS is given. Pure; decoding is pdu.py's.
from smsgw.codec import hexu
from smsgw.codec import tpfields as tf
from smsgw.codec.tpud import user_data_parts


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
        out.append((hexu(head + tpdu), len(tpdu)))
    return encoding, out
