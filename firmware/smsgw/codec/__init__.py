# codec: the SMS PDU codec (GSM-7/UCS-2, TP fields, user data, concatenation); pure, host-shared.
# Two sides that a board loads apart: encoding (submit, tpud, tpfields, gsm7) while it sends,
# decoding (pdu, tpread, gsm7read) while it receives. Here: what both sides use.
import binascii

DIGITS = "0123456789*#abc"  # BCD semi-octets 0..14 (3GPP TS 23.040 9.1.2.3)


def hexu(b):
    """Upper-case hex of bytes (what AT+CMGS is given and +CMGL shows)."""
    return binascii.hexlify(b).decode().upper()


def decode(h):
    """pdu.decode(h) with the decoding half loaded for this PDU only: it leaves the heap (this
    package too) as soon as the PDU is read, since storing or pairing what it says needs the
    room. Raises PduError as pdu.decode does."""
    from smsgw.codec import pdu

    try:
        return pdu.decode(h)
    finally:
        release()


def release():
    """Forget both sides' modules (~12 KB of code on a 32-bit board) and this package until the
    next encode or decode imports them again: the sender once a message is encoded, decode()
    once a PDU is read, the outbox whenever it has nothing to send. concat stays: the inbox
    keeps a Reassembler. Callers import this function when they call it: a module that kept
    it would keep the package's globals (and this code) in the heap."""
    import sys

    from smsgw import forget

    if "smsgw.codec.gsm7" in sys.modules or "smsgw.codec.gsm7read" in sys.modules:
        for name in ("submit", "tpud", "tpfields", "gsm7", "pdu", "tpread", "gsm7read", "data"):
            forget("smsgw.codec." + name)
    forget("smsgw.codec")
