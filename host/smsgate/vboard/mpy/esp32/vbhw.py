# Host-only: the ESP32 port's hardware classes of `machine` on the virtual board (never
# deployed). `install(machine)` adds them to the `machine` stand-in (../machine.py) when the
# virtual board runs with its ESP32 personality. The outside world is files on the flash
# folder that the host reads and writes (smsgate.board_control, smsgate.vboard.board):
#   /.pins.json     {"<gpio>": level or ADC reading}: inputs, written by the host
#   /.outputs.json  {"<gpio>": level}: what the firmware drives, written here
#   /.wiring.json   {"uart1": {"tx": 27, "rx": 26, "port": "/modem.pty"}, "i2c": [117]}:
#                   what the board's PCB connects (written by the host at install)
#   /.wdt           the watchdog: its timeout in ms; its mtime is the last feed (host checks)
# Signatures follow micropython-esp32-stubs 1.29. Behaviour GUESSED where the port's
# documentation is silent:
# - UART(1) is wired to the modem (/.wiring.json); other pins than the wired ones, or another
#   UART id, give a UART that never receives anything and whose writes go nowhere.
# - An input pin the host never set reads its pull (PULL_UP -> 1, else 0).
# - Pin.irq() is accepted and never fires.
# - I2C acknowledges only the addresses in /.wiring.json "i2c" (T-Call: the IP5306 at 0x75);
#   any other address raises OSError(ENODEV), as the ESP32 port's NACK does (errno guessed).
# - WDT: timeout < 1 ms raises ValueError; a second WDT() reconfigures the timeout (the port
#   reconfigures the task watchdog); there is no way to stop it (no deinit).
import json
import os

import time

_PINS = "/.pins.json"
_OUTS = "/.outputs.json"
_WIRING = "/.wiring.json"
_WDT = "/.wdt"
_ENODEV = 19


def _load(name):
    try:
        with open(name) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _write_output(n, v):
    d = _load(_OUTS)
    d[str(n)] = v
    tmp = _OUTS + ".tmp"
    with open(tmp, "w") as f:
        json.dump(d, f)
    os.rename(tmp, _OUTS)  # the host never reads half a file


def _pin_id(p):
    return p.id if isinstance(p, Pin) else p


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_DOWN = 1
    PULL_UP = 2
    IRQ_RISING = 1
    IRQ_FALLING = 2
    WAKE_LOW = 4
    WAKE_HIGH = 5
    DRIVE_0 = 0
    DRIVE_1 = 1
    DRIVE_2 = 2
    DRIVE_3 = 3

    def __init__(self, id, mode=-1, pull=-1, *, value=None, drive=None, hold=None):
        self.id = id
        self._mode = None
        self._pull = None
        self._v = 0
        self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, *, value=None, drive=None, hold=None):
        if mode != -1:
            self._mode = mode
        if pull != -1:
            self._pull = pull
        if value is not None:
            self.value(value)

    def value(self, x=None):
        if x is None:
            if self._mode in (self.OUT, self.OPEN_DRAIN):
                return self._v
            idle = 1 if self._pull == self.PULL_UP else 0
            return int(_load(_PINS).get(str(self.id), idle))
        self._v = 1 if x else 0
        _write_output(self.id, self._v)

    __call__ = value

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def irq(self, handler=None, trigger=3, *, wake=None, hard=False):
        return None

    def __repr__(self):
        return "Pin(%d)" % self.id


class ADC:
    ATTN_0DB = 0
    ATTN_2_5DB = 1
    ATTN_6DB = 2
    ATTN_11DB = 3
    WIDTH_9BIT = 9
    WIDTH_10BIT = 10
    WIDTH_11BIT = 11
    WIDTH_12BIT = 12

    def __init__(self, pin, *, atten=None):
        self.id = _pin_id(pin)
        self._atten = self.ATTN_0DB if atten is None else atten

    def atten(self, atten):
        self._atten = atten

    def width(self, bits):
        pass

    def read_u16(self):
        """The reading the host set (0..65535), as the port scales the 12-bit sample."""
        return max(0, min(65535, int(_load(_PINS).get(str(self.id), 0))))

    def read(self):
        return self.read_u16() >> 4

    def read_uv(self):
        full = (950000, 1250000, 1750000, 3100000)[self._atten]  # ESP32 attenuation ranges
        return self.read_u16() * full // 65535


class _Nowhere:
    """A UART whose pins lead nowhere: reads return None, writes vanish."""

    def readinto(self, buf, n=-1):
        return None

    def read(self, n=-1):
        return None

    def write(self, buf):
        return len(buf)

    def any(self):
        return 0

    def ioctl(self, req, arg):
        return 0

    def close(self):
        pass


class UART:
    """machine.UART: UART 1 on the wired pins is the modem's pty (a raw, non-blocking file).

    The object returned is the pty's file (readinto/write/close, pollable by asyncio), not a
    UART instance: the firmware uses it only as a stream.
    """

    INV_TX = 1
    INV_RX = 2
    RTS = 1
    CTS = 2

    def __new__(cls, id, baudrate=115200, bits=8, parity=None, stop=1, *, tx=None, rx=None,
                rxbuf=256, timeout=0, **kw):
        w = _load(_WIRING).get("uart%d" % id)
        if not w or (tx is not None and tx != w.get("tx")) or (rx is not None
                                                               and rx != w.get("rx")):
            return _Nowhere()
        import termios

        f = open(w.get("port", "/modem.pty"), "r+b")
        fd = f.fileno()
        termios.setraw(fd)
        attrs = termios.tcgetattr(fd)
        attrs[6][6] = 0  # VMIN: reads return what has arrived
        attrs[6][5] = 0  # VTIME
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
        return f


class I2C:
    def __init__(self, id=0, *, scl=None, sda=None, freq=400000, timeout=50000):
        self.id = id

    def scan(self):
        return list(_load(_WIRING).get("i2c", ()))

    def _check(self, addr):
        if addr not in _load(_WIRING).get("i2c", ()):
            raise OSError(_ENODEV)

    def writeto_mem(self, addr, memaddr, buf, *, addrsize=8):
        self._check(addr)

    def readfrom_mem(self, addr, memaddr, nbytes, *, addrsize=8):
        self._check(addr)
        return bytes(nbytes)

    def writeto(self, addr, buf, stop=True):
        self._check(addr)
        return 1

    def readfrom(self, addr, nbytes, stop=True):
        self._check(addr)
        return bytes(nbytes)


class WDT:
    """machine.WDT: once started it cannot be stopped; the host resets the board (next
    boot's reset_cause() WDT_RESET) when no feed() came within `timeout` ms."""

    def __init__(self, id=0, timeout=5000):
        if id != 0:
            raise ValueError("WDT(%d) doesn't exist" % id)
        if timeout < 1:
            raise ValueError("WDT timeout too short")
        self._timeout = timeout
        self.feed()

    def feed(self):
        with open(_WDT, "w") as f:
            f.write(str(self._timeout))


class RTC:
    """machine.RTC: datetime() reads/sets the clock that time.time() counts (epoch 2000)."""

    def __init__(self, id=0):
        pass

    def datetime(self, dt=None):
        """(year, month, day, weekday, hours, minutes, seconds, subseconds[us])."""
        if dt is None:
            ms = time._now_ms()
            t = time.gmtime(ms // 1000)
            return (t[0], t[1], t[2], t[6], t[3], t[4], t[5], (ms % 1000) * 1000)
        secs = time.mktime((dt[0], dt[1], dt[2], dt[4], dt[5], dt[6], 0, 0))
        time._set_ms(secs * 1000 + (dt[7] if len(dt) > 7 else 0) // 1000)

    def init(self, dt):
        self.datetime(dt)

    def memory(self, data=None):
        return b"" if data is None else None


def install(machine):
    """Add the ESP32's hardware classes to the `machine` stand-in."""
    for cls in (Pin, ADC, UART, I2C, WDT, RTC):
        setattr(machine, cls.__name__, cls)
