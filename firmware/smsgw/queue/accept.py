# A new message's acceptance (Outbox.submit loads this for one request and forgets it): the
# request's checks (android-sms-gateway's body), its fingerprint and id, then the durable enqueue
# in the store.
from smsgw import clock, log
from smsgw.queue.store import key_of


def submit(ob, body, max_priority=127, skip_check=False):
    """Outbox.submit for the Outbox `ob` (its docstring says what it answers): check the body,
    then enqueue it durably."""
    try:
        meta = parse_body(body, ob.max_text, ob.max_rcpt, skip_check)
    except ValueError as e:
        return 400, {"message": str(e)}
    dev = body.get("deviceId")
    if dev is not None and dev != ob.device_id():
        return 400, {"message": "deviceId: not this device's (%s)" % ob.device_id()}
    if meta["prio"] > max_priority:
        return 400, {"message": "priority: at most %d (api.allow_priority permits 100..127)"
                     % max_priority}
    key = key_of(meta["id"])
    old = ob.store.get(key)
    if old is not None:
        if old["id"] != meta["id"]:
            return 503, {"message": "id hash collision, use another id"}
        if old.get("bh", meta["bh"]) != meta["bh"]:
            return 409, {"message": "id %s is taken by another message" % meta["id"]}
        return 202, ob.status_of(key, old)
    if ob.pending() >= ob.max_pending:
        return 429, {"message": "too many pending messages (%d)" % ob.max_pending}
    if ob.store.storage_full():
        return 503, {"message": "storage full"}
    # Concatenation reference: the message's lifelong sequence number in the store, so
    # consecutive messages never share one within 256 (8-bit refs) / 65536 (16-bit), also
    # across reboots and compactions (a random one repeated: handsets merged messages).
    meta["ref"] = ob.store.seq() & 0xFFFF
    # a priority other than 0 or a scheduleAt: ordered by queue/order.py, not FIFO
    ordered = meta["prio"] or "at" in meta
    if ordered:
        meta["q"] = 1
    try:
        ob.store.append_index(key)  # first: a crash now leaves a record, no message
        if ordered:
            ob.store.append_index(key, True)
        ob.store.put(key, meta)  # the commit point: now it is accepted
    except OSError as e:
        log.error("store write failed: %s", e)
        return 503, {"message": "storage error"}
    if ordered and ob.order is not None:
        ob.order.add(key, meta, ob.store.count(True) - 1)
    ob.counters["accepted"] += 1
    ob.wake.set()
    return 202, ob.status_of(key, meta, [])


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
