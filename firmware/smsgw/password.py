# The API password a board gets when its config has none (no board serves without one), and the
# generator `smsgate provision` uses too. Loaded by config.load only when needed (first boot).
CHARS = "abcdefghijkmnpqrstuvwxyz23456789"  # 32, none mistaken for another (l/1, o/0)


def new_password(n=14):
    """A random password of `n` characters (5 bits each: 70 bits for 14)."""
    import os

    return "".join(CHARS[b & 31] for b in os.urandom(n))


def first(path, user, exists):
    """Put a generated api.password into the config dict `user` and, when the file `path`
    exists, write it back there (atomically) so `smsgate verify` can show it. No file at all
    (not provisioned; the self-check): RAM only, nothing is created. Never prints it."""
    user.setdefault("api", {})["password"] = new_password()
    if not exists:
        return
    from smsgw.fsutil import write_json

    try:
        write_json(path, user)
        print("config: api.password generated and written to %s (smsgate verify shows it)"
              % path)
    except OSError as e:  # read-only flash: the board still never serves without a password
        print("config: api.password generated, but %s not written: %s" % (path, e))

