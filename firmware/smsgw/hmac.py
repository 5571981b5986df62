# HMAC (RFC 2104) over the port's hashlib: MicroPython ships no hmac module, and micropython-lib's
# costs twice the heap (1,680 vs 816 bytes on 32-bit). The one HMAC of the firmware: webhook
# signatures (SHA-256) and the SMS commands' TOTP (SHA-1).
import hashlib

_BLOCK = 64  # block size of SHA-1 and SHA-256 in bytes (RFC 2104 "B")


def digest(key, msg, hash=hashlib.sha256):
    """HMAC of `msg` under `key` (bytes or str) with `hash` (a hashlib constructor whose block
    is 64 bytes: sha1, sha256) -> the digest bytes."""
    if isinstance(key, str):
        key = key.encode()
    if isinstance(msg, str):
        msg = msg.encode()
    if len(key) > _BLOCK:
        key = hash(key).digest()
    key = key + b"\x00" * (_BLOCK - len(key))
    inner = hash(bytes(b ^ 0x36 for b in key))
    inner.update(msg)
    outer = hash(bytes(b ^ 0x5C for b in key))
    outer.update(inner.digest())
    return outer.digest()


def sha256_hex(key, *parts):
    """Lower-case hex HMAC-SHA256 of the concatenated `parts` (bytes or str)."""
    import binascii

    msg = b"".join(p.encode() if isinstance(p, str) else p for p in parts)
    return binascii.hexlify(digest(key, msg)).decode()
