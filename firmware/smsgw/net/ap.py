# The setup access point's identity, shared by net/wifi.py and the host (`smsgate
# provision` and `verify` print it): its name, which is also the board's host name on the
# network, and its WPA2 password. Derived from the config, so no second secret is stored.
DEFAULT_NAME = "smsgate"  # config DEFAULTS device.name


def hostname(name):
    """`name` as a DHCP host name: letters, digits and '-' only, at most 32 characters."""
    out = ""
    for ch in name[:32]:
        ok = "a" <= ch.lower() <= "z" or "0" <= ch <= "9"
        out += ch if ok else "-"
    return out or DEFAULT_NAME


def name(cfg, tail):
    """The board's name on the network: `device.name`, where the default "smsgate" gets
    `tail` (the IMEI's last 4 digits) so two boards on one network differ: "smsgate-1234"."""
    n = (cfg.get("device") or {}).get("name", DEFAULT_NAME)
    return "%s-%s" % (DEFAULT_NAME, tail) if n == DEFAULT_NAME else hostname(n)


def password(cfg):
    """The WPA2 password: `wifi.ap_password`, else 12 characters of a SHA-256 of
    `api.password`, which provision and verify know too."""
    w = cfg.get("wifi") or {}
    if w.get("ap_password"):
        return w["ap_password"]
    import hashlib

    from smsgw.password import CHARS

    d = hashlib.sha256(b"smsgate setup AP:" + cfg["api"]["password"].encode()).digest()
    return "".join(CHARS[b & 31] for b in d[:12])
