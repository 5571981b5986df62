# The virtual board: MicroPython unix port + the simulated modem on a pty.
#
# config["modem"]["port"]: the simulator's pty. Pins: inputs are read from
# <data_dir>/.pins.json ({"<gpio>": value}, digital and ADC alike, written by the host);
# outputs are written to <data_dir>/.outputs.json. data_dir = config["data_dir"] or ".".
import asyncio
import json
import sys


class Board:
    """Virtual board. No Wi-Fi (the unix port has the host's network), no modem power switch."""

    name = "unix"
    wifi = False  # the unix port has the host's network: no Wi-Fi supervisor
    modem_uart = None

    def __init__(self, config):
        self.config = config
        self._dir = config.get("data_dir") or "."
        self._modem = None
        self._modes = {}

    def open_modem(self):
        """Open the modem pty raw, VMIN=0/VTIME=0: reads return what has arrived (b"" if none)."""
        import termios

        path = self.config["modem"]["port"]
        f = open(path, "r+b")
        fd = f.fileno()
        termios.setraw(fd)
        attrs = termios.tcgetattr(fd)
        cc = attrs[6]
        cc[6] = 0  # VMIN
        cc[5] = 0  # VTIME
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
        self._modem = f
        return f

    def close_modem(self):
        if self._modem is not None:
            self._modem.close()
            self._modem = None

    async def pwrkey_pulse(self):
        """Record the pulse in the outputs file (the host may act on it)."""
        self.write_pin("pwrkey", 1)
        await asyncio.sleep_ms(10)
        self.write_pin("pwrkey", 0)

    async def modem_power(self, on):
        """The virtual board cannot cut the modem's power."""
        return False

    def reset(self):
        """MCU reset: end the interpreter with status 3; the host's virtual board restarts it."""
        sys.exit(3)

    def pin(self, n, mode=None, pull=None):
        self._modes[n] = (mode, pull)

    def _read(self, name):
        try:
            with open("%s/%s" % (self._dir, name)) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def read_pin(self, n):
        # An input the host never set floats to its pull, as on a real board (pull-up -> 1).
        idle = 1 if self._modes.get(n, (None, None))[1] == "up" else 0
        return int(self._read(".pins.json").get(str(n), idle))

    def read_adc(self, n):
        return int(self._read(".pins.json").get(str(n), 0))

    def write_pin(self, n, v):
        import os

        d = self._read(".outputs.json")
        d[str(n)] = v
        tmp = "%s/.outputs.json.tmp" % self._dir
        with open(tmp, "w") as f:
            json.dump(d, f)
        os.rename(tmp, "%s/.outputs.json" % self._dir)  # the host never reads half a file
