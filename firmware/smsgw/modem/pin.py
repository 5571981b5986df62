# The SIM PIN, sent at most once. A wrong PIN burns one of 3 attempts (then the PUK); one whose
# answer was lost (timeout, power cut) may have been wrong too. So a mark "<why> <digest>" is
# written to the modem's pin_path before sending: "uncertain" until a clear OK removes it,
# "rejected" on an error. A marked PIN is never sent again, across boots; another modem.pin is
# tried (once). The driver removes the mark when the SIM reports READY. Imported only when a
# SIM asks for its PIN (rare), so none of this is resident otherwise. A mark the flash could not
# take is kept in RAM (`_ram`) for this boot.
from smsgw.errors import ATError, ATTimeout
from smsgw.modem.modem import ModemError

_ram = [None]  # the mark when there is no pin_path or the flash refused it


async def unlock(modem, pin, timeout_ms):
    """Send `pin` (AT+CPIN) unless it is marked; raises ModemError saying why not / what failed.

    The reason never holds the PIN (it reaches /health through the supervisor's last_error).
    """
    digest = _digest(pin)
    bad = _mark(modem)
    if bad and bad[1] == digest:
        where = modem.pin_path
        raise ModemError("SIM PIN %s earlier, not sent again: check the SIM, then change "
                         "modem.pin%s" % (bad[0], (" or delete " + where) if where else ""))
    _set_mark(modem, ("uncertain", digest))
    try:
        await modem.at.cmd(b'AT+CPIN="%s"' % pin, timeout_ms)
    except ATError:
        _set_mark(modem, ("rejected", digest))
        raise ModemError("SIM PIN rejected")
    except ATTimeout:
        raise ModemError("SIM PIN answer lost (uncertain)")
    _set_mark(modem, None)


def _digest(pin):
    # Which PIN a mark is about (config.json holds the PIN itself in clear anyway).
    import binascii
    import hashlib

    return binascii.hexlify(hashlib.sha256(pin.encode()).digest()[:8]).decode()


def _mark(modem):
    try:
        with open(modem.pin_path) as f:
            why, _, digest = f.read().strip().partition(" ")
        return (why, digest)
    except (OSError, TypeError):  # no mark on the flash (TypeError: no path)
        return _ram[0]


def _set_mark(modem, mark):
    _ram[0] = mark
    path = modem.pin_path
    if path is None:
        return
    import os

    try:
        if mark is None:
            os.remove(path)
        else:
            with open(path, "w") as f:
                f.write("%s %s\n" % mark)
        _ram[0] = None  # the flash holds it
    except OSError:
        pass  # no flash (or no mark to remove): RAM holds it for this boot
