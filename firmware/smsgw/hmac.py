# HMAC-SHA256 (RFC 2104) on hashlib.sha256: MicroPython has no hmac module. Used to sign webhooks.
import hashlib

_BLOCK = 64  # SHA-256 block size in bytes (RFC 2104 "B")


def sha256_hmac(key, msg):
    """HMAC-SHA256 of `msg` under `key` (bytes or str) -> 32 bytes."""
    if isinstance(key, str):
        key = key.encode()
    if isinstance(msg, str):
        msg = msg.encode()
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key + b"\x00" * (_BLOCK - len(key))
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    inner.update(msg)
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    outer.update(inner.digest())
    return outer.digest()


def sha256_hex(key, *parts):
    """Lower-case hex HMAC-SHA256 of the concatenated `parts` (bytes or str)."""
    import binascii

    msg = b"".join(p.encode() if isinstance(p, str) else p for p in parts)
    return binascii.hexlify(sha256_hmac(key, msg)).decode()
