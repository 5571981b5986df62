# ESP32 board modules on the unix port with a recording stand-in for `machine` (the unix port
# has no Pin/UART/I2C): pin maps, power sequences, IP5306 keep-on, UART settings.
# heapsize: 96K
import asyncio
import sys
import time

LOG = []


class _Pin:
    OUT = 1
    IN = 0
    PULL_UP = 2
    PULL_DOWN = 3

    def __init__(self, n, mode=None, pull=None, value=None):
        self.n = n
        self.v = 0 if value is None else value
        LOG.append(("pin", n, mode, value))

    def value(self, v=None):
        if v is None:
            return LEVELS.get(self.n, self.v)
        self.v = v
        LOG.append((time.ticks_ms(), self.n, v))


class _I2C:
    def __init__(self, bus, scl=None, sda=None, freq=None):
        LOG.append(("i2c", bus, scl.n, sda.n))

    def writeto_mem(self, addr, reg, data):
        LOG.append(("i2c_write", addr, reg, bytes(data)))


class _UART:
    def __init__(self, n, **kw):
        LOG.append(("uart", n, kw))


class _Machine:
    Pin = _Pin
    I2C = _I2C
    UART = _UART

    @staticmethod
    def reset():
        LOG.append(("reset",))


LEVELS = {}
sys.modules["machine"] = _Machine()


def _pulses(pin):
    # [(level, duration_ms)] of the writes to `pin`
    ev = [e for e in LOG if len(e) == 3 and isinstance(e[0], int) and e[1] == pin]
    return [(ev[i][2], time.ticks_diff(ev[i + 1][0], ev[i][0])) for i in range(len(ev) - 1)]


def _board(mod):
    LOG.clear()
    m = __import__("boards." + mod, None, None, ["Board"])
    return m.Board({"modem": {"baud": 115200}})


def test_tcall_init_keeps_ip5306_on_and_opens_uart1():
    b = _board("tcall_sim800l")
    assert ("i2c_write", 0x75, 0x00, b"\x37") in LOG
    assert ("i2c", 0, 22, 21) in LOG
    b.open_modem()
    uart = [e for e in LOG if e[0] == "uart"][0]
    assert uart[1] == 1 and uart[2]["tx"] == 27 and uart[2]["rx"] == 26
    assert uart[2]["baudrate"] == 115200
    assert ("pin", 23, 1, 1) in LOG and ("pin", 5, 1, 1) in LOG  # POWER_ON and RST high


async def test_tcall_power_sequence():
    b = _board("tcall_sim800l")
    LOG.clear()
    assert await b.modem_power(True) is True
    p = _pulses(4)
    # PWRKEY low >= 1 s, and under the 1.5 s that would switch it off (docs/SIMCOM-AT.md §2.1):
    # the rest is margin for a sleep that overshoots on a busy machine
    assert p[0][0] == 1 and p[1][0] == 0 and 950 <= p[1][1] < 1500, p
    assert [e for e in LOG if e[1] == 23] and await b.modem_power(False) is True
    assert [e for e in LOG if len(e) == 3 and e[1] == 23][-1][2] == 0  # rail cut
    b.reset()
    assert LOG[-1] == ("reset",)


async def test_t_sim7600_power_on_and_restart():
    b = _board("t_sim7600")
    assert ("pin", 25, 1, 1) in LOG  # FLIGHT high: radio on
    LEVELS[34] = 0  # STATUS low: modem off
    LOG.clear()
    assert await b.modem_power(True) is False  # no supply switch
    p = _pulses(4)
    assert p[0][0] == 1 and 450 <= p[0][1] < 1500, p  # a 500 ms press, far from an off hold
    LEVELS[34] = 1  # running: a restart is a 3 s press (off), then the on press
    LOG.clear()

    async def goes_off():
        await asyncio.sleep_ms(3200)
        LEVELS[34] = 0
        LOG.append((time.ticks_ms(), 34, 0))

    t = asyncio.create_task(goes_off())
    await b.pwrkey_pulse()
    await t
    p = _pulses(4)
    # a 3 s press released on time: before STATUS fell, not held until it did (no upper bound
    # on its length: a sleep overshoots on a busy machine)
    assert p[0][0] == 1 and 2950 <= p[0][1], p
    ev = [e[1:] for e in LOG if len(e) == 3 and isinstance(e[0], int)]
    assert ev.index((4, 0)) < ev.index((34, 0)), ev
    assert p[-1][0] == 1 and 450 <= p[-1][1] < 1500, p
    b.open_modem()
    uart = [e for e in LOG if e[0] == "uart"][0]
    assert uart[2]["tx"] == 27 and uart[2]["rx"] == 26


def test_pins_and_adc_helpers():
    b = _board("t_sim7600")
    b.pin(13, "in", "up")
    LEVELS[13] = 1
    assert b.read_pin(13) == 1
    b.write_pin(14, True)
    assert [e for e in LOG if len(e) == 3 and e[1] == 14][-1][2] == 1
