"""An independent AT client for the simulator tests (pyserial; not the firmware's parser)."""

from __future__ import annotations

import re
import time

import serial

FINAL = re.compile(rb"\r\n(OK|ERROR|NO CARRIER|\+CM[ES] ERROR: [^\r]*)\r\n")


class ATClient:
    """A tiny AT client written for the tests (not the firmware's parser)."""

    def __init__(self, path: str) -> None:
        self.ser = serial.Serial(path, 115200, timeout=0.01)
        self.ser.reset_input_buffer()

    def close(self) -> None:
        self.ser.close()

    def raw(self, data: bytes) -> None:
        self.ser.write(data)

    def read_until(self, pattern: re.Pattern | bytes, timeout: float = 2.0) -> bytes:
        """Read until `pattern` matches the end of what arrived; TimeoutError with the bytes."""
        if isinstance(pattern, bytes):
            pattern = re.compile(re.escape(pattern) + b"$")
        buf = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            buf += self.ser.read(4096)
            if pattern.search(buf):
                return buf
        raise TimeoutError(buf)

    def cmd(self, line: bytes, timeout: float = 2.0) -> bytes:
        """Send `line` + CR and return everything up to and including the final result."""
        self.ser.write(line + b"\r")
        return self.read_until(FINAL, timeout)

    def quiet(self, seconds: float = 0.1) -> bytes:
        """Whatever arrives within `seconds`."""
        end, buf = time.monotonic() + seconds, b""
        while time.monotonic() < end:
            buf += self.ser.read(4096)
        return buf

    def sync(self) -> None:
        """Wake an autobauding modem and switch echo off."""
        for _ in range(50):
            self.ser.write(b"AT\r")
            try:
                self.read_until(re.compile(rb"OK\r\n"), 0.1)
                break
            except TimeoutError:
                continue
        self.cmd(b"ATE0")
        self.quiet(0.02)
