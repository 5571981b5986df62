# LilyGO T-SIM7600 (E/G/SA-H, ESP32-WROVER), reference §11.2. Names are ESP32-side.
# No switch on the modem's supply: modem_power() can only start/stop it with PWRKEY.
import asyncio

from machine import UART, Pin
from machine import reset as _mcu_reset
from micropython import const

_MODEM_RX = const(26)  # ESP32 RX <- modem TXD
_MODEM_TX = const(27)  # ESP32 TX -> modem RXD
_PWRKEY = const(4)  # through a transistor: HIGH = key pressed
_FLIGHT = const(25)  # HIGH = normal operation (LOW keeps the radio in flight mode)
_STATUS = const(34)  # input, HIGH while the modem firmware runs
_DTR = const(32)  # LOW keeps the UART awake (CSCLK=1)
_LED = const(12)
_PWRKEY_ON_MS = const(500)  # LilyGO: 500 ms on, 3000 ms off (reference §2.2)
_PWRKEY_OFF_MS = const(3000)
_STATUS_WAIT_MS = const(10000)


class Board:
    """T-SIM7600: UART 1 at 115200 on pins 26/27."""

    name = "t_sim7600"

    def __init__(self, config):
        self.config = config
        self._pwrkey = Pin(_PWRKEY, Pin.OUT, value=0)
        self._flight = Pin(_FLIGHT, Pin.OUT, value=1)
        self._dtr = Pin(_DTR, Pin.OUT, value=0)
        self._status = Pin(_STATUS, Pin.IN)
        self._pins = {}

    def open_modem(self):
        baud = self.config.get("modem", {}).get("baud", 115200)
        return UART(1, baudrate=baud, tx=_MODEM_TX, rx=_MODEM_RX, rxbuf=1024, timeout=0)

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

    def reset(self):
        _mcu_reset()

    async def connect_wifi(self, timeout_ms=20000):
        """Join config wifi.ssid; returns the IP address, or None on timeout."""
        import network

        w = self.config.get("wifi", {})
        sta = network.WLAN(network.STA_IF)
        sta.active(True)
        if not sta.isconnected():
            sta.connect(w.get("ssid", ""), w.get("password", ""))
            for _ in range(timeout_ms // 100):
                if sta.isconnected():
                    break
                await asyncio.sleep_ms(100)
        return sta.ifconfig()[0] if sta.isconnected() else None

    def pin(self, n, mode, pull=None):
        if mode == "adc":
            from machine import ADC

            a = ADC(Pin(n))
            a.atten(ADC.ATTN_11DB)
            self._pins[n] = a
            return
        p = {"up": Pin.PULL_UP, "down": Pin.PULL_DOWN}.get(pull)
        self._pins[n] = Pin(n, Pin.OUT if mode == "out" else Pin.IN, p)

    def _pin(self, n, mode):
        if n not in self._pins:
            self.pin(n, mode)
        return self._pins[n]

    def read_pin(self, n):
        return self._pin(n, "in").value()

    def write_pin(self, n, v):
        self._pin(n, "out").value(1 if v else 0)

    def read_adc(self, n):
        return self._pin(n, "adc").read_u16() >> 4  # 12-bit like the ESP32's raw reading
