# TP-Status meanings (3GPP TS 23.040 9.2.3.15) for the reason of a failed delivery; imported
# only when a status report fails a message.
_PERMANENT = ("remote procedure error", "incompatible destination", "connection rejected by SME",
              "not obtainable", "quality of service not available", "no interworking available",
              "SM validity period expired", "SM deleted by originating SME",
              "SM deleted by SC administration", "SM does not exist")
_GAVE_UP = ("congestion", "SME busy", "no response from SME", "service rejected",
            "quality of service not available", "error in SME")


def reason(why):
    """The journal's "delivery failed: TP-ST <n>" with the meaning of n appended."""
    try:
        return "%s (%s)" % (why, meaning(int(why.split()[-1])))
    except ValueError:
        return why


def meaning(st):
    """Short text of a TP-ST value (>= 64: the SC gave up)."""
    if 64 <= st < 64 + len(_PERMANENT):
        return "permanent error: " + _PERMANENT[st - 64]
    if 96 <= st < 96 + len(_GAVE_UP):
        return "temporary error, SC stopped trying: " + _GAVE_UP[st - 96]
    if st >= 96:
        return "temporary error, SC stopped trying"
    return "permanent error"
