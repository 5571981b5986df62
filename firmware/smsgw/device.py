# The gateway's identity in the API (the one home of deviceId): android-sms-gateway derives a
# stable id per installation; ours is `device.id` when provisioned, else derived from the modem's
# IMEI, so it survives reflashing and factory resets of the board (not a modem swap).
_LEN = 21  # characters, as the app's nanoid ids


def device_id(imei):
    """Stable deviceId derived from the modem's IMEI (str) -> 21 lower-case hex chars;
    "" while the IMEI is unknown (modem not started yet)."""
    if not imei:
        return ""
    import binascii
    import hashlib

    h = hashlib.sha256(b"smsgate:" + imei.encode())
    return binascii.hexlify(h.digest()).decode()[:_LEN]


def current(ctx):
    """deviceId of the gateway behind `ctx`: device.id when configured, else device_id(IMEI)."""
    return ctx.cfg["device"]["id"] or device_id(ctx.modem.status.get("imei"))
