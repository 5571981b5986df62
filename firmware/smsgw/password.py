# The API password a board gets when its config has none (no board serves without one), the
# generator `smsgate provision` uses too, and the setup access point's password (net/wifi.py).
# Loaded by config.load only when needed (first boot) and by net/wifi.py to open the access point.
_CHARS = "abcdefghijkmnpqrstuvwxyz23456789"  # 32, none mistaken for another (l/1, o/0)


def new_password(n=14):
    """A random password of `n` characters (5 bits each: 70 bits for 14)."""
    import os

    return "".join(_CHARS[b & 31] for b in os.urandom(n))


def first(path, user, exists):
    """Put a generated api.password into the config dict `user` and, when the file `path`
    exists, write it back there (atomically) so `smsgate verify` can show it. No file at all
    (not provisioned; the self-check): RAM only, nothing is created. Never prints it."""
    user.setdefault("api", {})["password"] = new_password()
    if not exists:
        return
    import json

    from smsgw.fsutil import write_atomic

    try:
        write_atomic(path, json.dumps(user).encode())
        print("config: api.password generated and written to %s (smsgate verify shows it)"
              % path)
    except OSError as e:  # read-only flash: the board still never serves without a password
        print("config: api.password generated, but %s not written: %s" % (path, e))


def setup_ap(cfg):
    """The setup access point's WPA2 password: `wifi.ap_password`, else derived from
    `api.password` (12 characters of a SHA-256), so `smsgate provision` and `smsgate verify`,
    which know the API password, can print it and the board needs no second secret stored."""
    w = cfg.get("wifi") or {}
    if w.get("ap_password"):
        return w["ap_password"]
    import hashlib

    d = hashlib.sha256(b"smsgate setup AP:" + cfg["api"]["password"].encode()).digest()
    return "".join(_CHARS[b & 31] for b in d[:12])
