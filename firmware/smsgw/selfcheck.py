# On-board self-check run by `smsgate verify` through the raw REPL:
#   import smsgw.selfcheck as s; s.main("0.1.0")
# prints one line `SELFCHECK [[name, ok, detail], ...]` (JSON). It opens the modem itself,
# so it runs while the gateway is stopped: mpremote's Ctrl-C has interrupted main.py, and the
# host restarts the gateway with a soft reboot afterwards. Every modem wait has a timeout.
import gc
import sys

from micropython import const


MIN_FREE = const(20000)  # bytes of heap the gateway needs free after its imports
_AT_MS = const(1500)
_AT_TRIES = const(3)
_BOOT_MS = const(6000)  # SIM800/SIM7600 power-on to AT ready (RDY), with margin
_MODEM_MS = const(30000)  # the whole modem part, whatever happens
_MODULES = (
    "smsgw.config", "smsgw.modem.at", "smsgw.modem.modem", "smsgw.queue.store",
    "smsgw.queue.outbox", "smsgw.net.api",
)
# Loaded by the gateway only to start the modem, send or receive: checked the same way, then
# forgotten, so "free heap" stays what the gateway keeps.
_ON_USE = (
    "smsgw.modem.bringup", "smsgw.queue.sender", "smsgw.queue.inbox_ops",
    "smsgw.codec.submit", "smsgw.codec.pdu",
)
_REGISTERED = ("1", "5")  # 27.007 7.2: home, roaming


def _version(expect, res):
    try:
        from smsgw import VERSION
    except ImportError as e:
        res.append(("firmware version", False, "smsgw missing: %s" % e))
        return
    ok = not expect or VERSION == expect
    res.append(("firmware version", ok, VERSION if ok else "%s, host has %s" % (VERSION, expect)))


def _imports(res):
    from smsgw import forget
    from smsgw.codec import release

    bad = []
    for name in _MODULES + _ON_USE:
        gc.collect()  # each compiles into one free stretch, not between the last one's garbage
        try:
            __import__(name)
        except Exception as e:  # report every broken module, not only the first
            bad.append("%s (%s)" % (name, e))
        if name in _ON_USE:
            forget(name)
    release()  # what submit and pdu imported of the codec
    n = len(_MODULES) + len(_ON_USE)
    res.append(("imports", not bad, ", ".join(bad) or "%d modules" % n))


def _config(res):
    from smsgw import config

    try:
        cfg = config.load("/config.json")
    except Exception as e:
        res.append(("config", False, str(e)))
        return None
    res.append(("config", True, "board %s, modem %s" % (cfg["board"], cfg["modem"]["model"])))
    return cfg


def _heap(res):
    gc.collect()
    free = gc.mem_free()
    res.append(("free heap", free >= MIN_FREE, "%d bytes (need %d)" % (free, MIN_FREE)))


def _field(lines, prefix, n):
    # "+CREG: 0,1" -> field n ("1"), None when absent.
    for line in lines:
        if line.startswith(prefix):
            parts = line[len(prefix) :].strip().split(",")
            if len(parts) > n:
                return parts[n].strip()
    return None


async def _registration(at):
    seen = []
    for q in ("CREG", "CEREG", "CGREG"):  # 2G, LTE, packet: registered on any counts
        try:
            lines = await at.cmd("AT+%s?" % q, _AT_MS)
        except Exception:
            continue  # SIM800 has no CEREG
        stat = _field(lines, "+%s:" % q, 1)
        seen.append("%s %s" % (q, stat))
        if stat in _REGISTERED:
            return True, "%s stat %s" % (q, stat)
    return False, "not registered (%s)" % (", ".join(seen) or "no answer")


async def _signal(at):
    rssi = _field(await at.cmd(b"AT+CSQ", _AT_MS), "+CSQ:", 0)
    if rssi is None or not rssi.isdigit() or rssi == "99":
        return False, "no signal (rssi %s)" % rssi
    return True, "rssi %s (%d dBm)" % (rssi, -113 + 2 * int(rssi))  # 27.007 8.5


async def _probe(at):
    # True when the modem answers AT, else the last exception.
    answered = None
    for _ in range(_AT_TRIES):
        try:
            await at.cmd(b"AT", _AT_MS)
            return True
        except Exception as e:
            answered = e
    return answered


async def _modem(cfg, res):
    import asyncio

    from smsgw.modem.at import ATChannel

    name = cfg["board"].replace("-", "_")
    board = __import__("boards." + name, None, None, ["Board"]).Board(cfg)
    at = ATChannel(board.open_modem())
    try:
        answered = await _probe(at)
        if answered is not True and await board.modem_power(True):
            # After a cold boot into the REPL main.py never powered the modem: do it once.
            await asyncio.sleep_ms(_BOOT_MS)
            answered = await _probe(at)
        if answered is not True:
            res.append(("modem AT", False, "no answer (%r)" % (answered,)))
            res.append(("registration", False, "skipped: modem silent"))
            res.append(("signal", False, "skipped: modem silent"))
            return
        res.append(("modem AT", True, "OK (%s)" % cfg["modem"]["model"]))
        for label, fn in (("registration", _registration), ("signal", _signal)):
            try:
                ok, detail = await fn(at)
            except Exception as e:
                ok, detail = False, repr(e)
            res.append((label, ok, detail))
    finally:
        await at.stop()
        close = getattr(board, "close_modem", None)
        if close:
            close()


def run(expect_version=None):
    """Run every check; returns [(name, ok, detail), ...]."""
    import asyncio

    res = []
    _version(expect_version, res)
    _imports(res)
    cfg = _config(res)
    if cfg is None:
        res.append(("modem AT", False, "skipped: no valid config"))
    else:
        try:
            asyncio.run(asyncio.wait_for_ms(_modem(cfg, res), _MODEM_MS))
        except asyncio.TimeoutError:
            res.append(("modem checks", False, "timed out after %d ms" % _MODEM_MS))
        except Exception as e:
            res.append(("modem AT", False, "cannot open the modem: %r" % (e,)))
    _heap(res)
    return res


def main(expect_version=None):
    import json

    res = run(expect_version)
    sys.stdout.write("SELFCHECK ")
    print(json.dumps([[n, ok, d] for n, ok, d in res]))
