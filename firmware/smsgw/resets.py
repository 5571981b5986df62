# Why the board started (machine.reset_cause() in words) and a count, kept in flash, of the
# resets nobody asked for: the watchdog's, and hard resets the firmware did not announce with
# expect() first (a panic, the reset after a fatal error, the modem supervisor's last rung).
# Read once at boot (smsgw.keepers); `check` is /health check `reset`.
# It also counts the unexpected resets in a row that came before their boot had lasted
# device.good_after_s ("early"): boot() counts the last boot as early unless keep_good (a task)
# marked it as one that lasted; smsgw.startup starts in safe mode from device.safe_after of them.
# ESP32 port: PWRON_RESET 1, HARD_RESET 2 (machine.reset(), a panic), WDT_RESET 3,
# DEEPSLEEP_RESET 4, SOFT_RESET 5 (docs/ESP32-PORT.md "Watchdog and resets").
# GUESSED: a brown-out reads as PWRON_RESET (so the virtual board's `machine` stand-in has it;
# the port gives no separate code): "power-on" covers both.
_CAUSES = ("unknown", "power-on", "hard", "watchdog", "deep-sleep", "soft")
_FILE = "/resets.json"  # under queue.dir: {"boots", "unexpected", "last", "asked", "early", "up"}


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
early = 0  # unexpected resets in a row, each before its boot lasted device.good_after_s


def check():
    """/health check `reset`: warns after a reset nobody asked for, until the next boot."""
    c, n, bad = last
    return {"description": "cause of the last reset; unexpected resets (watchdog, crash)",
            "observedUnit": "cause", "observedValue": {"cause": c, "unexpected": n},
            "status": "warn" if bad else "pass"}


off = []  # the features safe mode left off (smsgw.startup), for safe_check


def safe_check():
    """/health check `safe-mode`, there in safe mode only: warns, names what is off."""
    return {"description": "safe mode after unexpected resets in a row, each before"
            " device.good_after_s: optional features off this boot",
            "observedUnit": "features off", "observedValue": {"early": early, "off": off},
            "status": "warn"}


def boot(root):
    """Count this boot (once, at boot). Returns `last`; sets `early`."""
    global last, early
    c = cause()
    st = _load(root)
    asked = st.pop("asked", None)  # announced by expect() before a deliberate reset
    bad = c == "watchdog" or (c == "hard" and not asked)
    st["unexpected"] = st.get("unexpected", 0) + (1 if bad else 0)
    st["boots"] = st.get("boots", 0) + 1
    st["last"] = c
    # "up": the last boot had not lasted device.good_after_s when it ended (keep_good clears it)
    early = st["early"] = st.get("early", 0) + st.get("up", 0) if bad else 0
    st["up"] = 1
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


async def keep_good(root, after_s):
    """Task: once this boot has lasted `after_s`, it was a good one (early resets: none)."""
    import asyncio

    await asyncio.sleep(after_s)
    st = _load(root)
    st["early"] = st["up"] = 0
    try:
        _save(root, st)
    except OSError as e:  # a full flash: the next unexpected reset may count one too many
        from smsgw import log

        log.exc("reset count", e)


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
