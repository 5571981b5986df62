# Send-request validation (android-sms-gateway's body) and small parsers; pure, CPython too.
from smsgw import clock


def parse_body(b, max_text, max_rcpt):
    """Validate a send request body; returns the stored message description (dict).

    Raises:
        ValueError: with the client-facing reason (HTTP 400).
    """
    if not isinstance(b, dict):
        raise ValueError("body must be a JSON object")
    if b.get("isEncrypted"):
        raise ValueError("isEncrypted: encrypted messages are not supported")
    if "mmsMessage" in b:
        raise ValueError("mmsMessage: MMS is not supported (textMessage only)")
    if "dataMessage" in b:
        raise ValueError("only textMessage is supported")
    tm = b.get("textMessage")
    if tm is not None and "message" in b:
        raise ValueError("give textMessage or message, not both")
    text = tm.get("text") if isinstance(tm, dict) else b.get("message")
    if not isinstance(text, str) or not text:
        raise ValueError("textMessage.text: a non-empty string is required")
    if len(text) > max_text:
        raise ValueError("textMessage.text: longer than %d characters" % max_text)
    nums = b.get("phoneNumbers")
    if not isinstance(nums, list) or not nums or len(nums) > max_rcpt:
        raise ValueError("phoneNumbers: a list of 1..%d numbers is required" % max_rcpt)
    for n in nums:
        if not _valid_number(n):
            raise ValueError("phoneNumbers: invalid number %r" % (n,))
    mid = b.get("id")
    if mid is None:
        mid = _new_id()
    elif not isinstance(mid, str) or not 0 < len(mid) <= 64:
        raise ValueError("id: a string of 1..64 characters")
    sim = b.get("simNumber")
    if sim is not None and sim != 1:
        raise ValueError("simNumber: this gateway has one SIM (1)")
    prio = b.get("priority", 0)
    if not _is_int(prio) or not -128 <= prio <= 127:
        raise ValueError("priority: an integer -128..127")
    srr = b.get("withDeliveryReport", True)
    if not isinstance(srr, bool):
        raise ValueError("withDeliveryReport: a boolean")
    now = clock.now()  # None while the board's clock is unset
    m = {"id": mid, "to": nums, "text": text, "srr": srr, "prio": prio,
         "t": clock.unix() if now is None else now, "exp": _expiry(b, now)}
    if now is None and b.get("ttl"):  # no expiry of our own: the SMSC's validity period alone
        m["vp"] = b["ttl"]
    return m  # "ref" (concatenation reference): set by the outbox


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _valid_number(n):
    if not isinstance(n, str):
        return False
    d = n[1:] if n.startswith("+") else n
    return 0 < len(d) <= 20 and all("0" <= c <= "9" for c in d)


def same_number(a, b):
    """Same phone number, ignoring "+" and the national/international prefix difference."""
    da = "".join(c for c in a if "0" <= c <= "9")
    db = "".join(c for c in (b or "") if "0" <= c <= "9")
    n = min(len(da), len(db), 9)
    return n > 0 and da[-n:] == db[-n:]


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
        exp = parse_rfc3339(until)
        if now is None:  # whether it has passed cannot be told: refuse rather than guess
            raise ValueError("validUntil: the gateway's clock is not set yet (use ttl)")
        return exp
    return 0


def parse_rfc3339(s):
    """Unix seconds of an RFC 3339 timestamp ("2026-01-02T03:04:05Z", "+02:00", fraction ok)."""
    try:
        if not isinstance(s, str) or len(s) < 20 or s[4] != "-" or s[10] not in "Tt ":
            raise ValueError
        y, mo, d = int(s[0:4]), int(s[5:7]), int(s[8:10])
        h, mi, sec = int(s[11:13]), int(s[14:16]), int(s[17:19])
        rest = s[19:]
        if rest.startswith("."):
            i = 1
            while i < len(rest) and "0" <= rest[i] <= "9":
                i += 1
            rest = rest[i:]
        if rest in ("Z", "z"):
            off = 0
        else:
            sign = 1 if rest[0] == "+" else -1 if rest[0] == "-" else 0
            if not sign or len(rest) != 6:
                raise ValueError
            off = sign * (int(rest[1:3]) * 3600 + int(rest[4:6]) * 60)
    except (ValueError, IndexError):
        raise ValueError("validUntil: an RFC 3339 timestamp")
    return _days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off


def _days(y, m, d):
    # days since 1970-01-01 (proleptic Gregorian; Howard Hinnant's civil algorithm)
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468
