# codec: the SMS PDU codec (GSM-7/UCS-2, TP fields, user data, concatenation); pure, host-shared.
# Two sides that a board loads apart: encoding (submit, tpud, tpfields, gsm7) while it sends,
# decoding (pdu, tpread, gsm7read) while it receives. Here: what both sides use.
import binascii

DIGITS = "0123456789*#abc"  # BCD semi-octets 0..14 (3GPP TS 23.040 9.1.2.3)


def hexu(b):
    """Upper-case hex of bytes (what AT+CMGS is given and +CMGL shows)."""
    return binascii.hexlify(b).decode().upper()


def release():
    """Forget both sides' modules (~12 KB of code on a 32-bit board) until the next encode or
    decode imports them again: the sender once a message is encoded, the inbox once a PDU is
    read, the outbox whenever it has nothing to send. concat stays: the inbox keeps a
    Reassembler."""
    import sys

    if "smsgw.codec.gsm7" in sys.modules or "smsgw.codec.gsm7read" in sys.modules:
        from smsgw import forget

        for name in ("submit", "tpud", "tpfields", "gsm7", "pdu", "tpread", "gsm7read", "data"):
            forget("smsgw.codec." + name)
