# Send-request validation (android-sms-gateway's body), pure, CPython too; Outbox._parse loads it
# for one request and forgets it.
from smsgw import clock


def parse_body(b, max_text, max_rcpt, skip_check=False):
    """Validate a send request body; returns the stored message description (dict).

    `skip_check`: the request's skipPhoneValidation (any number the codec can address).
    Raises:
        ValueError: with the client-facing reason (HTTP 400).
    """
    if not isinstance(b, dict):
        raise ValueError("body must be a JSON object")
    if b.get("isEncrypted"):
        raise ValueError("isEncrypted: encrypted messages are not supported")
    if "mmsMessage" in b:
        raise ValueError("mmsMessage: MMS is not supported (textMessage or dataMessage)")
    tm, dm = b.get("textMessage"), b.get("dataMessage")
    if (tm is not None) + (dm is not None) + ("message" in b) > 1:
        raise ValueError("give one of textMessage, dataMessage, message")
    nums = b.get("phoneNumbers")
    if not isinstance(nums, list) or not nums or len(nums) > max_rcpt:
        raise ValueError("phoneNumbers: a list of 1..%d numbers is required" % max_rcpt)
    nums = [_number(n, skip_check) for n in nums]
    mid = b.get("id")
    if mid is None:
        mid = _new_id()
    elif not isinstance(mid, str) or not 0 < len(mid) <= 64:
        raise ValueError("id: a string of 1..64 characters")
    sim = b.get("simNumber")
    if sim is not None and sim != 1:
        raise ValueError("simNumber: this gateway has one SIM (1)")
    prio = b.get("priority", 0)
    if prio is None:
        prio = 0
    if not _is_int(prio) or not -128 <= prio <= 127:
        raise ValueError("priority: an integer -128..127")
    srr = b.get("withDeliveryReport", True)
    if not isinstance(srr, bool):
        raise ValueError("withDeliveryReport: a boolean")
    now = clock.now()  # None while the board's clock is unset
    meta = {"id": mid, "to": nums, "srr": srr, "prio": prio,
            "t": clock.unix() if now is None else now, "exp": _expiry(b, now)}
    # "ref" (concatenation reference): set by the outbox
    if now is None and b.get("ttl"):  # no expiry of our own: the SMSC's validity period alone
        meta["vp"] = b["ttl"]
    if dm is not None:
        from smsgw.codec.data import check

        meta.update(check(dm))
    else:
        text = tm.get("text") if isinstance(tm, dict) else b.get("message")
        if not isinstance(text, str) or not text:
            raise ValueError("textMessage.text: a non-empty string is required")
        if len(text) > max_text:
            raise ValueError("textMessage.text: longer than %d characters" % max_text)
        meta["text"] = text
    at = b.get("scheduleAt")
    if at is not None:
        from smsgw.rfc3339 import parse

        meta["at"] = parse(at, "scheduleAt")
    meta["bh"] = _fingerprint(b)
    return meta


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _number(n, skip_check):
    # Lenient, as people write numbers: spaces, dashes, dots and parentheses go; "+" then
    # digits, or national digits (short codes too). skipPhoneValidation: any printable
    # ASCII address up to 20 characters (alphanumeric included), kept as given.
    if isinstance(n, str):
        d = "".join(c for c in n if c not in " -.()/\t")
        if skip_check:  # printable ASCII: what an address can carry (and JSON shows back)
            n = n.strip()
            if 0 < len(n) <= 20 and all(" " <= c <= "~" for c in n):
                return n
        else:
            digits = d[1:] if d.startswith("+") else d
            if 0 < len(digits) <= 20 and all("0" <= c <= "9" for c in digits):
                return d
    raise ValueError("phoneNumbers: invalid number %r" % (n,))


def _fingerprint(b):
    # What makes two requests with one id the same message (a retry: 202, never sent twice)
    # or another one (409): the content fields as the client sent them.
    import binascii
    import hashlib
    import json

    h = hashlib.sha256()
    for k in ("phoneNumbers", "textMessage", "dataMessage", "message", "withDeliveryReport",
              "priority", "ttl", "validUntil", "scheduleAt", "simNumber"):
        h.update(json.dumps(b.get(k)).encode() + b"\0")  # one field in RAM at a time
    return binascii.hexlify(h.digest()[:6]).decode()


def _new_id():
    import os

    # bytes, not str: MicroPython interns each 1-char str a str subscript returns, and a new
    # qstr pool (1280 bytes on 64-bit) may be needed then, when the heap is fragmented
    alphabet = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return bytes(alphabet[b % 62] for b in os.urandom(16)).decode()


def _expiry(b, now):
    ttl, until = b.get("ttl"), b.get("validUntil")
    if ttl is not None and until is not None:
        raise ValueError("ttl and validUntil are mutually exclusive")
    if ttl is not None:
        if not _is_int(ttl) or ttl <= 0:
            raise ValueError("ttl: a positive number of seconds")
        return 0 if now is None else now + ttl
    if until is not None:
        from smsgw.rfc3339 import parse

        exp = parse(until, "validUntil")
        if now is None:  # whether it has passed cannot be told: refuse rather than guess
            raise ValueError("validUntil: the gateway's clock is not set yet (use ttl)")
        return exp
    return 0
