# codec: the SMS PDU codec (GSM-7/UCS-2, TP fields, user data, concatenation); pure, host-shared.


def release():
    """Forget the encoder's and decoder's modules (~12 KB of code on a 32-bit board) until the
    next encode or decode imports them again: the outbox calls it when it has nothing to send,
    the inbox when it has nothing to store. concat stays: the inbox keeps a Reassembler."""
    import sys

    if "smsgw.codec.gsm7" in sys.modules:  # the others import it: none is loaded without it
        from smsgw import forget

        for name in ("pdu", "tpud", "tpfields", "gsm7", "data"):
            forget("smsgw.codec." + name)
