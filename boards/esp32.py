# What every ESP32 board shares: the modem UART, MCU reset, Wi-Fi and the user pins (GPIO/ADC).
# A board module subclasses Esp32Board with its pins (modem_rx/modem_tx, its own GPIOs) and its
# modem power sequences (pwrkey_pulse, modem_power).
from machine import UART, Pin
from machine import reset as _mcu_reset


class Esp32Board:
    """Base of the ESP32 boards: `modem_rx`/`modem_tx` are the ESP32-side UART 1 pins."""

    name = "esp32"
    wifi = True  # app starts the Wi-Fi supervisor (smsgw/net/wifi.py)
    modem_rx = None  # set by the board: ESP32 RX <- modem TXD
    modem_tx = None  # ESP32 TX -> modem RXD

    def __init__(self, config):
        self.config = config
        self._pins = {}

    def open_modem(self):
        baud = self.config.get("modem", {}).get("baud", 115200)
        return UART(1, baudrate=baud, tx=self.modem_tx, rx=self.modem_rx, rxbuf=1024, timeout=0)

    def reset(self):
        _mcu_reset()

    def pin(self, n, mode, pull=None):
        if mode == "adc":
            from machine import ADC

            a = ADC(Pin(n))
            a.atten(ADC.ATTN_11DB)
            self._pins[n] = a
            return
        m = Pin.OUT if mode == "out" else Pin.IN
        if pull is None:
            self._pins[n] = Pin(n, m)
        else:
            self._pins[n] = Pin(n, m, Pin.PULL_UP if pull == "up" else Pin.PULL_DOWN)

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
