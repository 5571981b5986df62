# Why the board started (machine.reset_cause() in words) and a count, kept in flash, of the
# resets nobody asked for: the watchdog's, and hard resets the firmware did not announce with
# expect() first (a panic, the reset after a fatal error, the modem supervisor's last rung).
# Read once at boot (smsgw.keepers); `check` is /health check `reset`.
# ESP32 port: PWRON_RESET 1, HARD_RESET 2 (machine.reset(), a panic), WDT_RESET 3,
# DEEPSLEEP_RESET 4, SOFT_RESET 5 (docs/ESP32-PORT.md "Watchdog and resets").
# GUESSED: a brown-out reads as PWRON_RESET (so the virtual board's `machine` stand-in has it;
# the port gives no separate code): "power-on" covers both.
_CAUSES = ("unknown", "power-on", "hard", "watchdog", "deep-sleep", "soft")
_FILE = "/resets.json"  # under queue.dir: {"boots", "unexpected", "last", "asked"}


def _load(root):
    from smsgw.fsutil import read_json

    return read_json(root + _FILE, {})


def _save(root, st):
    from smsgw.fsutil import write_json

    write_json(root + _FILE, st)


def cause():
    """This boot's reset cause as a word ("unknown" on a port without reset_cause)."""
    try:
        from machine import reset_cause

        c = reset_cause()
    except (ImportError, AttributeError):
        return "unknown"
    return _CAUSES[c] if 0 <= c < len(_CAUSES) else "unknown"


last = ("unknown", 0, False)  # this boot's (cause, unexpected resets so far, this one was)


def check():
    """/health check `reset`: warns after a reset nobody asked for, until the next boot."""
    c, n, bad = last
    return {"description": "cause of the last reset; unexpected resets (watchdog, crash)",
            "observedUnit": "cause", "observedValue": {"cause": c, "unexpected": n},
            "status": "warn" if bad else "pass"}


def boot(root):
    """Count this boot (once, at boot). Returns `last`."""
    global last
    c = cause()
    st = _load(root)
    asked = st.pop("asked", None)  # announced by expect() before a deliberate reset
    bad = c == "watchdog" or (c == "hard" and not asked)
    st["unexpected"] = st.get("unexpected", 0) + (1 if bad else 0)
    st["boots"] = st.get("boots", 0) + 1
    st["last"] = c
    try:
        _save(root, st)
    except OSError as e:  # a full flash must not stop the boot: the count is lost this once
        from smsgw import log

        log.exc("reset count", e)
    if bad:
        from smsgw import log

        log.error("unexpected reset (%s), %d so far", c, st["unexpected"])
    last = (c, st["unexpected"], bad)
    return last


def expect(root, why):
    """Announce a deliberate reset (a REBOOT command, an update): the next hard reset is not
    counted as unexpected. Returns False when the flash refused the mark (reset anyway)."""
    st = _load(root)
    st["asked"] = why
    try:
        _save(root, st)
    except OSError:
        return False
    return True
