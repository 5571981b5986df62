# LilyGO TTGO T-Call SIM800L (IP5306 v1.3/v1.4), docs/SIMCOM-AT.md §11.1. Names are ESP32-side.
import asyncio

from machine import I2C, Pin
from micropython import const

from boards.esp32 import Esp32Board

_MODEM_RX = const(26)  # ESP32 RX <- modem TXD
_MODEM_TX = const(27)  # ESP32 TX -> modem RXD
_PWRKEY = const(4)
_RST = const(5)  # keep HIGH
_POWER_ON = const(23)  # modem DC-DC enable, HIGH = on
_LED = const(13)
_SDA = const(21)
_SCL = const(22)
_IP5306 = const(0x75)  # 7-bit address (datasheet 0xEA)
_IP5306_SYS_CTL0 = const(0x00)
_KEEP_ON = b"\x37"  # boost on, keep-on under light load, charger, auto-on, key-off
_PWRKEY_LOW_MS = const(1000)  # SIM800: low >= 1 s switches it on (docs/SIMCOM-AT.md §2.1)
_POWER_OFF_MS = const(1000)  # > 800 ms after power-off before powering on again


class Board(Esp32Board):
    """T-Call SIM800L: UART 1 at config modem.baud (115200: autobaud locks on)."""

    name = "tcall_sim800l"

    modem_rx = _MODEM_RX
    modem_tx = _MODEM_TX

    def __init__(self, config):
        Esp32Board.__init__(self, config)
        self._pwrkey = Pin(_PWRKEY, Pin.OUT, value=1)
        self._rst = Pin(_RST, Pin.OUT, value=1)
        self._power = Pin(_POWER_ON, Pin.OUT, value=1)
        self.ip5306 = self._keep_power_on()

    def _keep_power_on(self):
        # Without keep-on the IP5306 cuts 5 V when the load is light (modem idle).
        try:
            i2c = I2C(0, scl=Pin(_SCL), sda=Pin(_SDA), freq=100000)
            i2c.writeto_mem(_IP5306, _IP5306_SYS_CTL0, _KEEP_ON)
            return True
        except OSError:  # AXP192 variants have no IP5306: nothing to keep on
            return False

    async def pwrkey_pulse(self):
        """LilyGO sequence: PWRKEY HIGH 100 ms, LOW 1 s, HIGH."""
        p = self._pwrkey
        p.value(1)
        await asyncio.sleep_ms(100)
        p.value(0)
        await asyncio.sleep_ms(_PWRKEY_LOW_MS)
        p.value(1)

    async def modem_power(self, on):
        """Switch the modem's DC-DC (POWER_ON); on = rail up + PWRKEY. Returns True."""
        if on:
            self._rst.value(1)
            self._power.value(1)
            await asyncio.sleep_ms(100)
            await self.pwrkey_pulse()
        else:
            self._power.value(0)
            await asyncio.sleep_ms(_POWER_OFF_MS)
        return True
