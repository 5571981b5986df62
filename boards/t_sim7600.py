# LilyGO T-SIM7600 (E/G/SA-H, ESP32-WROVER), docs/SIMCOM-AT.md §11.2. Names are ESP32-side.
# No switch on the modem's supply: modem_power() can only start/stop it with PWRKEY.
import asyncio

from machine import Pin
from micropython import const

from boards.esp32 import Esp32Board

_MODEM_RX = const(26)  # ESP32 RX <- modem TXD
_MODEM_TX = const(27)  # ESP32 TX -> modem RXD
_PWRKEY = const(4)  # through a transistor: HIGH = key pressed
_FLIGHT = const(25)  # HIGH = normal operation (LOW keeps the radio in flight mode)
_STATUS = const(34)  # input, HIGH while the modem firmware runs
_DTR = const(32)  # LOW keeps the UART awake (CSCLK=1)
_LED = const(12)
_PWRKEY_ON_MS = const(500)  # LilyGO: 500 ms on, 3000 ms off (docs/SIMCOM-AT.md §2.2)
_PWRKEY_OFF_MS = const(3000)
_STATUS_WAIT_MS = const(10000)


class Board(Esp32Board):
    """T-SIM7600: UART 1 at 115200 on pins 26/27."""

    name = "t_sim7600"

    modem_rx = _MODEM_RX
    modem_tx = _MODEM_TX

    def __init__(self, config):
        Esp32Board.__init__(self, config)
        self._pwrkey = Pin(_PWRKEY, Pin.OUT, value=0)
        self._flight = Pin(_FLIGHT, Pin.OUT, value=1)
        self._dtr = Pin(_DTR, Pin.OUT, value=0)
        self._status = Pin(_STATUS, Pin.IN)

    async def _press(self, ms):
        self._pwrkey.value(1)
        await asyncio.sleep_ms(ms)
        self._pwrkey.value(0)

    async def _wait_status(self, level):
        for _ in range(_STATUS_WAIT_MS // 100):
            if self._status.value() == level:
                return True
            await asyncio.sleep_ms(100)
        return False

    async def pwrkey_pulse(self):
        """Restart the modem with PWRKEY: off (3 s press) when STATUS is high, then on."""
        if self._status.value():
            await self._press(_PWRKEY_OFF_MS)
            await self._wait_status(0)
        await self._press(_PWRKEY_ON_MS)

    async def modem_power(self, on):
        """No supply switch: on = FLIGHT high, DTR low, PWRKEY if it is off. Returns False."""
        if on:
            self._flight.value(1)
            self._dtr.value(0)
            if not self._status.value():
                await self._press(_PWRKEY_ON_MS)
        return False
