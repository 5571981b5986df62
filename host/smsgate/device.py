"""`Device`: one mpremote connection to a board (real or virtual), in the raw REPL.

Small file operations done with one `exec` each where possible: sha256 of many files at once,
atomic writes (temp file + rename), reads as base64 lines (binary safe).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from smsgate.cli import CliError

_CHUNK = 512  # bytes per read on the board
_WRITE_CHUNK = 768  # bytes per exec when writing (1 KB of base64: small for the board's heap)


class DeviceError(CliError):
    """The board answered with a traceback: its last line is the message."""


class Device:
    """One mpremote connection to a board, in the raw REPL.

    Args:
        port: serial device (`/dev/ttyUSB0`, or the virtual board's pty link).
        soft_reset: soft-reset when entering the raw REPL (mpremote's default).
    """

    def __init__(self, port: str, soft_reset: bool = True) -> None:
        from mpremote.transport import TransportError
        from mpremote.transport_serial import SerialTransport

        self.port = port
        self.restart = True  # soft-reboot when closing (see close)
        try:
            self.transport = SerialTransport(port, baudrate=115200)
        except (TransportError, OSError) as exc:
            raise CliError("cannot open %s: %s" % (port, exc)) from None
        try:
            self.transport.enter_raw_repl(soft_reset=soft_reset)
        except TransportError as exc:
            self.transport.close()
            raise CliError("no MicroPython REPL on %s: %s" % (port, exc)) from None

    def exec(self, code: str, timeout: float = 30) -> str:
        """Run `code` on the board; returns its output (str)."""
        from mpremote.transport import TransportError, TransportExecError

        try:
            out = self.transport.exec_raw(code, timeout=timeout)
        except TransportExecError as exc:  # pragma: no cover - exec_raw returns errors
            raise DeviceError(_last_line(exc.error_output)) from None
        except TransportError as exc:
            raise CliError("the board on %s stopped answering: %s" % (self.port, exc)) from None
        data, err = out
        if err:
            raise DeviceError(_last_line(err.decode(errors="replace"))) from None
        return data.decode(errors="replace")

    def eval_json(self, code: str, timeout: float = 30) -> Any:
        """Run `code`, which prints one JSON value last; returns that value."""
        out = self.exec(code, timeout).strip().splitlines()
        if not out:
            raise CliError("the board printed nothing for: %s" % code.splitlines()[0])
        return json.loads(out[-1])

    def read(self, path: str) -> bytes | None:
        """A file's content, or None when it does not exist."""
        code = (
            "import binascii\ntry:\n f=open(%r,'rb')\nexcept OSError:\n print('-')\nelse:\n"
            " while 1:\n  b=f.read(%d)\n  if not b:break\n"
            "  print(binascii.b2a_base64(b,newline=False).decode())\n"
            " f.close()\n print('.')" % (path, _CHUNK)
        )
        lines = self.exec(code).split()
        if lines[:1] == ["-"]:
            return None
        return b"".join(base64.b64decode(line) for line in lines[:-1])

    def write(self, path: str, data: bytes) -> None:
        """Write a file atomically: a temp file beside it, then a rename.

        LittleFS (the ESP32 default) and VfsPosix replace the target in the rename; on FAT the
        old file has to be removed first, which leaves a short window.
        """
        tmp = path + ".tmp"
        # base64 costs 4/3 on the wire where repr() of .mpy bytes costs ~3x (a UART is slow)
        self.exec("import binascii\nf=open(%r,'wb')\nw=f.write\na=binascii.a2b_base64" % tmp)
        for i in range(0, len(data), _WRITE_CHUNK):
            self.exec("w(a(%r))" % base64.b64encode(data[i : i + _WRITE_CHUNK]).decode())
        self.exec(
            "f.close()\nimport os\ntry:\n os.rename(%r,%r)\nexcept OSError:\n"
            " os.remove(%r)\n os.rename(%r,%r)" % (tmp, path, path, tmp, path)
        )

    def makedirs(self, dirs: list[str]) -> None:
        """Create directories (parents first), ignoring those that exist."""
        if dirs:
            self.exec(
                "import os\nfor d in %r:\n try:\n  os.mkdir(d)\n except OSError:\n  pass" % dirs
            )

    def hashes(self, paths: list[str]) -> dict[str, str | None]:
        """sha256 (hex) of each file on the board, None when absent: one exec for all."""
        code = (
            "import hashlib,binascii,json\nb=bytearray(%d)\nm=memoryview(b)\nr={}\n"
            "for p in %r:\n try:\n  f=open(p,'rb')\n except OSError:\n  r[p]=None\n  continue\n"
            " h=hashlib.sha256()\n while 1:\n  n=f.readinto(b)\n  if not n:break\n"
            "  h.update(m[:n])\n"
            " f.close()\n r[p]=binascii.hexlify(h.digest()).decode()\nprint(json.dumps(r))"
            % (_CHUNK, paths)
        )
        return self.eval_json(code, timeout=60)

    def close(self, restart: bool = True) -> None:
        """Leave the raw REPL; with `restart`, soft-reboot so boot.py and main.py run again."""
        try:
            self.transport.exit_raw_repl()
            if restart:
                self.transport.serial.write(b"\x04")  # Ctrl-D in the friendly REPL
                time.sleep(0.1)
        finally:
            self.transport.close()

    def __enter__(self) -> "Device":
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        try:
            self.close(restart=getattr(self, "restart", True))
        except Exception:
            if exc_type is None:  # never hide the error that is already on its way
                raise


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "error on the board"


def read_from(dev: Device, path: str, offset: int) -> tuple[int, bytes]:
    """(size, bytes from offset) of a file on the board; size -1 when absent."""
    code = (
        "import os,binascii\ntry:\n s=os.stat(%r)[6]\nexcept OSError:\n s=-1\nprint(s)\n"
        "if s>%d:\n f=open(%r,'rb')\n f.seek(%d)\n while 1:\n  b=f.read(%d)\n  if not b:break\n"
        "  print(binascii.b2a_base64(b,newline=False).decode())\n f.close()"
        % (path, offset, path, offset, _CHUNK)
    )
    lines = dev.exec(code).split()
    size = int(lines[0])
    return size, b"".join(base64.b64decode(x) for x in lines[1:])
