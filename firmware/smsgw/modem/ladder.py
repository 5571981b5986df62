# The supervisor's recovery ladder (smsgw.modem.supervisor): after a failed start, one level
# per further failure, with a growing backoff: AT probe -> reset command (CFUN=1,1) -> PWRKEY
# pulse -> power cut -> MCU reset, until modem.start() succeeds. Loaded when a start fails and
# forgotten once the modem is up: a healthy board does not carry it.
import asyncio

from smsgw.errors import ATError, ATTimeout

LEVELS = ("probe", "reset_cmd", "pwrkey", "power", "mcu_reset")


async def climb(sup):
    """Back off, act one level higher, start again; returns once `sup`'s modem started."""
    level = 0
    n = 0
    while True:
        await asyncio.sleep_ms(min(sup._backoff << min(n, 16), sup._backoff_max))
        n += 1
        if level >= 2 and await _answers(sup.modem):
            # It talks (SIM, network, SMS not ready): power actions will not help. Wait.
            sup.counters["waits"] += 1
            level = 1
        else:
            level = await _act(sup, level)
        if await sup._start():
            sup.counters["recoveries"] += 1
            return
        level = min(level + 1, len(LEVELS) - 1)


async def _answers(modem):
    try:
        return await modem.probe()
    except (ATTimeout, ATError):
        return False


async def _act(sup, level):
    # Perform ladder step `level`; returns the level actually done.
    name = LEVELS[level]
    sup.counters[name] += 1
    m = sup.modem
    board = sup.board
    if name == "probe":
        await _answers(m)
    elif name == "reset_cmd":
        try:
            await m.at.cmd(m.profile.reset_cmd, int(5000 * sup._scale))
        except (ATTimeout, ATError) as e:
            sup._fail(e)  # a stuck modem may not answer: the next levels handle it
        await asyncio.sleep_ms(int(1000 * sup._scale))
    elif name == "pwrkey":
        await board.pwrkey_pulse()
    elif name == "power":
        if await board.modem_power(False):
            await asyncio.sleep_ms(int(m.profile.power_off_ms * sup._scale))
            await board.modem_power(True)
        else:
            sup.counters["power"] -= 1  # this board cannot: go straight to the MCU reset
            return await _act(sup, level + 1)
    else:
        board.reset()  # does not return on a real board
    return level
