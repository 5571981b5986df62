# TOTP (RFC 6238) over HOTP (RFC 4226) with HMAC-SHA1 (RFC 2104, smsgw.hmac), for the SMS
# commands.
# Pure: no clock, no I/O; callers pass the time. Runs on CPython too (the host prints URIs).
import hashlib
import struct

STEP_S = 30  # RFC 6238 section 4: X = 30 s
DIGITS = 6
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def b32decode(text):
    """Decode an RFC 4648 base32 secret; spaces, dashes, case and '=' padding are tolerated.

    Raises:
        ValueError: a character outside the alphabet, or an empty secret.
    """
    acc = bits = 0
    out = bytearray()
    for ch in text.upper():
        if ch in " -=":
            continue
        v = _B32.find(ch)
        if v < 0:
            raise ValueError("not base32: %r" % ch)
        acc = ((acc << 5) | v) & 0xFFF
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    if not out:
        raise ValueError("empty secret")
    return bytes(out)


def b32encode(data):
    """Encode bytes as unpadded upper-case base32 (what authenticator apps expect)."""
    acc = bits = 0
    out = []
    for b in data:
        acc = ((acc << 8) | b) & 0xFFFF
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append(_B32[(acc >> bits) & 31])
    if bits:
        out.append(_B32[(acc << (5 - bits)) & 31])
    return "".join(out)


def hotp(key, counter, digits=DIGITS):
    """HOTP value (RFC 4226 section 5.3) as a zero-padded string of `digits` digits."""
    from smsgw.hmac import digest

    msg = struct.pack(">II", counter >> 32, counter & 0xFFFFFFFF)
    # digest takes any 64-byte-block hash; pyright reads its type from the sha256 default
    mac = digest(key, msg, hashlib.sha1)  # pyright: ignore[reportArgumentType]
    off = mac[19] & 0x0F
    code = ((mac[off] & 0x7F) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3]
    s = str(code % (10**digits))
    return "0" * (digits - len(s)) + s


def counter_at(t, step=STEP_S):
    """The RFC 6238 time step number T = floor(t / X) for Unix time `t`."""
    return int(t) // step


def totp(key, t, step=STEP_S, digits=DIGITS):
    """The TOTP code for Unix time `t` (RFC 6238, HMAC-SHA1)."""
    return hotp(key, counter_at(t, step), digits)


def match(key, code, t, last_counter=-1, window=1, step=STEP_S, digits=DIGITS):
    """Find the time step (within +-window of `t`) whose code equals `code`.

    Steps at or below `last_counter` are never accepted: a code is good once (replay refused).

    Returns:
        The matching step number, or None.
    """
    if len(code) != digits:
        return None
    now = counter_at(t, step)
    found = None
    for c in range(now - window, now + window + 1):
        # Compare every candidate (no early exit) so timing says little about which matched.
        if _same(hotp(key, c, digits), code) and c > last_counter:
            found = c
    return found


def _same(a, b):
    diff = len(a) ^ len(b)
    for i in range(min(len(a), len(b))):
        diff |= ord(a[i]) ^ ord(b[i])
    return diff == 0


def uri(secret_b32, account, issuer="smsgate"):
    """The `otpauth://totp/...` provisioning URI of a secret (Google Authenticator key format)."""
    label = _quote(issuer) + ":" + _quote(account)
    return "otpauth://totp/%s?secret=%s&issuer=%s&algorithm=SHA1&digits=%d&period=%d" % (
        label,
        secret_b32.replace(" ", "").upper().rstrip("="),
        _quote(issuer),
        DIGITS,
        STEP_S,
    )


def _quote(s):
    safe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    out = []
    for ch in s:
        if ch in safe:
            out.append(ch)
        else:
            for b in ch.encode():
                out.append("%%%02X" % b)
    return "".join(out)
