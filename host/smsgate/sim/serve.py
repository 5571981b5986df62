"""Serving a simulated modem: a pty (slave kept open, raw, symlinked) and/or TCP, plus control.

`Simulator` bundles modem, links and control so the CLI and the in-process harness start and
stop everything the same way.
"""

from __future__ import annotations

import asyncio
import os
import termios
import tty

from smsgate.sim.control import Control
from smsgate.sim.engine import Modem

MAX_PENDING = 16384  # bytes queued for a pty reader that does not read: beyond, overrun


class PtyLink:
    """The modem's UART as a pty. The slave stays open here, so clients may come and go."""

    def __init__(self, modem: Modem, link: str | None = None) -> None:
        self.m = modem
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        tty.setraw(self.master)
        os.set_blocking(self.master, False)
        self.device = os.ttyname(self.slave)
        self.link = link
        if link:
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink(self.device, link)
        self._pending = bytearray()
        self._writing = False
        loop = asyncio.get_running_loop()
        loop.add_reader(self.master, self._on_readable)
        modem.sinks.append(self.write)

    def _on_readable(self) -> None:
        try:
            data = os.read(self.master, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return  # EIO cannot happen while we hold the slave; be safe anyway
        if data:
            self.m.feed(data)

    def write(self, data: bytes) -> None:
        self._pending += data
        self._flush()

    def _flush(self) -> None:
        while self._pending:
            try:
                n = os.write(self.master, self._pending)
            except BlockingIOError:
                if len(self._pending) > MAX_PENDING:
                    # nobody reads the port: drop what waits in the tty, like a UART overrun
                    termios.tcflush(self.slave, termios.TCIFLUSH)
                    del self._pending[: len(self._pending) - MAX_PENDING]
                    continue
                if not self._writing:
                    self._writing = True
                    asyncio.get_running_loop().add_writer(self.master, self._on_writable)
                return
            del self._pending[:n]

    def _on_writable(self) -> None:
        asyncio.get_running_loop().remove_writer(self.master)
        self._writing = False
        self._flush()

    def close(self) -> None:
        loop = asyncio.get_running_loop()
        loop.remove_reader(self.master)
        if self._writing:
            loop.remove_writer(self.master)
        if self.write in self.m.sinks:
            self.m.sinks.remove(self.write)
        if self.link and os.path.islink(self.link):
            os.unlink(self.link)
        os.close(self.master)
        os.close(self.slave)


class TcpLink:
    """The modem's UART as a TCP server on 127.0.0.1 (every client sees the same modem)."""

    def __init__(self, modem: Modem) -> None:
        self.m = modem
        self.server = None
        self.port = 0
        self._writers: set = set()

    async def start(self, port: int) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def _client(self, reader, writer) -> None:
        self._writers.add(writer)

        def sink(data: bytes) -> None:
            if not writer.is_closing():
                writer.write(data)

        self.m.sinks.append(sink)
        try:
            while True:
                data = await reader.read(4096)
                if not data:
                    break
                self.m.feed(data)
        except ConnectionError:
            pass
        finally:
            self.m.sinks.remove(sink)
            self._writers.discard(writer)
            writer.close()

    async def close(self) -> None:
        if self.server:
            self.server.close()
        for w in list(self._writers):
            w.close()
        if self.server:
            await self.server.wait_closed()


class Simulator:
    """A modem with its links and control API, started and stopped together."""

    def __init__(self, link: str | None = None, tcp: int | None = None,
                 control: int | None = None, log: str | None = None, **modem_kw) -> None:
        self.modem = Modem(**modem_kw)
        self.link_path = link
        self.tcp_port = tcp
        self.control_port = control
        self.log_path = log
        self.pty: PtyLink | None = None
        self.tcp: TcpLink | None = None
        self.control: Control | None = None
        self._logf = None

    async def start(self) -> None:
        m = self.modem
        if self.log_path:
            self._logf = open(self.log_path, "a", buffering=1, encoding="utf-8")
            m.log_hook = lambda d, data: self._logf.write("%s %r\n" % (d, data))
        self.pty = PtyLink(m, self.link_path)
        if self.tcp_port is not None:
            self.tcp = TcpLink(m)
            self.tcp_port = await self.tcp.start(self.tcp_port)
        if self.control_port is not None:
            self.control = Control(m)
            self.control_port = await self.control.start(self.control_port)
        await m.start()

    async def stop(self) -> None:
        await self.modem.stop()
        if self.control:
            await self.control.stop()
        if self.tcp:
            await self.tcp.close()
        if self.pty:
            self.pty.close()
        if self._logf:
            self._logf.close()
