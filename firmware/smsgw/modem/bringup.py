# The modem's bring-up, Modem.start's sequence (smsgw.modem.modem): from power-on, a reboot or an
# unknown state to ready for SMS: autobaud, echo off, errors as codes, the SIM (and its PIN),
# SMS mode, indications and storage, registration, identity. Loaded for each start and
# forgotten after it: the resident driver keeps only what runs while the gateway sends and
# receives.
import asyncio
import os
import time

from smsgw import forget
from smsgw.errors import ATError, ATTimeout
from smsgw.modem import info  # the queries, loaded once for a start that polls registration
from smsgw.modem.modem import ModemError


async def start(m):
    """Modem.start's sequence for the modem `m` (m.status["ready"] True at the end)."""
    try:
        await _steps(m)
    finally:
        forget("smsgw.modem.info")  # leaves with this module (Modem._on_use forgets it)


async def _steps(m):
    p = m.profile
    st = m.status
    st["ready"] = False
    m.counters["starts"] += 1
    await _sync(m, m._ms("boot_timeout_ms", p.boot_ms * 3))
    await m.at.cmd(b"ATE0")  # echo returns after every reboot (docs/SIMCOM-AT.md §1.2)
    await m.at.cmd(b"AT+CMEE=1")
    await _sim(m, m._ms("ready_timeout_ms", 100000))
    await _sms_setup(m, m._ms("ready_timeout_ms", 100000))
    for c in p.reg_urc_cmds:
        try:
            await m.at.cmd(c)
        except ATError:
            m.counters["skipped"] += 1  # URC form unsupported: polling still works
    await _wait_registered(m, m._ms("reg_timeout_ms", 120000))
    lines = await m.at.cmd(b"AT+CGSN")
    st["imei"] = lines[0] if lines else None
    lines = await m.at.cmd(b"AT+CGMM")
    st["model"] = lines[0] if lines else p.name
    await info.signal(m)
    m._echo_mark = m.at.counters["echoes"]
    st["ready"] = True


async def _sync(m, budget_ms):
    # Autobaud: repeat `AT` until OK (docs/SIMCOM-AT.md §2.1); garbage answers are fine.
    probe = m.cfg.get("probe_ms", 1000)
    t0 = time.ticks_ms()
    while True:
        try:
            await m.at.cmd(b"AT", probe)
            return
        except (ATTimeout, ATError):
            if time.ticks_diff(time.ticks_ms(), t0) > budget_ms:
                raise ModemError("no answer")
            # Still at the prompt of a send a reset cut short, the modem takes "AT" as PDU
            # data: ESC gets it back (gammu does so at every start; docs/SIMCOM-AT.md
            # §6.4) and its OK ends this wait; in command mode nothing answers ESC CR.
            try:
                await m.at.cmd(b"\x1b", min(probe, 200))
            except (ATTimeout, ATError):
                pass


async def _retry(m, fn, budget_ms, what):
    # Run `fn` until it returns without ATError, within budget (SIM busy, SMS not ready).
    t0 = time.ticks_ms()
    poll = m._ms("poll_ms", 1000)
    while True:
        try:
            return await fn()
        except ATError as e:
            if time.ticks_diff(time.ticks_ms(), t0) > budget_ms:
                raise ModemError("%s: %s" % (what, e))
        await asyncio.sleep_ms(poll)


async def _sim(m, budget_ms):
    lines = await _retry(m, lambda: m.at.cmd(b"AT+CPIN?"), budget_ms, "SIM")
    state = lines[0][6:].strip() if lines else "READY"
    m.status["sim"] = state
    if state == "READY":
        try:  # unlocked after all (or by someone): a PIN mark is obsolete
            os.remove(m.pin_path)
        except (OSError, TypeError):  # no mark, the usual case (TypeError: no path)
            pass
        return
    if state != "SIM PIN":
        raise ModemError(state)  # PUK, PH-SIM PIN ...: a human must act
    pin = m.cfg.get("pin")
    if not pin:
        raise ModemError("SIM PIN required")
    from smsgw.modem.pin import unlock  # rare: its own module

    await unlock(m, pin, m._ms("pin_ms", 10000))
    m.status["sim"] = "READY"


async def _sms_setup(m, budget_ms):
    # Rejected until "SMS Ready"/"SMS DONE" (docs/SIMCOM-AT.md §2.1/2.2); retried.
    async def setup():
        await m.at.cmd(b"AT+CMGF=0")
        await m.at.cmd(m.profile.cnmi)
        await m.at.cmd(m.profile.storage, 5000)

    await _retry(m, setup, budget_ms, "SMS not ready")
    m._sms_ready = True


async def _wait_registered(m, budget_ms):
    t0 = time.ticks_ms()
    while True:
        stat = await info.registration(m)
        if stat in (1, 5):
            return
        if time.ticks_diff(time.ticks_ms(), t0) > budget_ms:
            raise ModemError("not registered (stat %s)" % stat)
        await asyncio.sleep_ms(m._ms("poll_ms", 1000))
