"""`VirtualBoard`: the MicroPython unix port run like an ESP32, with its REPL on a pty.

How it works (the design measured in the project's notes on the unix port):

- The interpreter runs on a pty of its own (echo off, output post-processing on) with the
  host-only boot script `mpy/vboot.py`, which installs a `machine` stand-in, mounts the flash
  folder at `/` with `os.VfsPosix`, sets `sys.path` to the ESP32's `['', '.frozen', '/lib']`,
  runs `/boot.py` and `/main.py`, and then `-i` leaves it at the REPL.
- A bridge thread owns a second pty pair: its slave (symlinked at `repl_link`) is the board's
  "USB serial port". Bytes from the host go to the interpreter; its output goes to the host,
  to the log file and to an in-memory buffer, with the `\\r\\r\\n` of the pty's post-processing
  folded back to `\\r\\n`.
- The unix port exits where an ESP32 reboots (Ctrl-D, `machine.reset()`, `sys.exit()` in
  main.py): the bridge starts it again, prints `MPY: soft reboot` for a soft reset, and when the
  host was in the raw REPL it skips main.py and re-enters the raw REPL, as a real board does.
- Ctrl-C from the host while a program runs becomes SIGINT (KeyboardInterrupt in main.py);
  input that arrives before the interpreter reaches its prompt waits for the prompt (the unix
  port flushes pending tty input when it switches the terminal to raw mode).
"""

from __future__ import annotations

import errno
import os
import pty
import select
import shutil
import signal
import subprocess
import termios
import threading
import time
import tty
from pathlib import Path

from smsgate.procs import end_process
from smsgate.runtime import micropython_binary, micropython_env

HARD_RESET = 90  # exit status of machine.reset() (mpy/machine.py)
SOFT_RESET = 91  # exit status of machine.soft_reset()
_CAUSE_POWER_ON = 1
_CAUSE_HARD = 2
_CAUSE_WDT = 3
_CAUSE_SOFT = 5
PERSONALITIES = ("unix", "esp32")
# the board's ROMFS partition (smsgate.bundle.romfs_image), mounted at /rom by mpy/vbrom.py
ROMFS_FILE = ".romfs"
WDT_FILE = ".wdt"  # mpy/esp32/vbhw.py: the watchdog's timeout (ms); its mtime = last feed
RTC_FILE = ".rtc"  # mpy/esp32/time.py: the RTC's offset; gone at power-on
SOCKETS_FILE = ".sockets.json"  # mpy/esp32/socket.py: the lwIP socket count of this boot
_MPY_DIR = Path(__file__).resolve().parent / "mpy"
_BOOT_MARK = b"\x00vboard-up\x00"
_RAW_BANNER = b"raw REPL; CTRL-B to exit"
_PROMPTS = (b">>> ", b"... ", b"=== ", b"\x04>", _RAW_BANNER + b"\r\n>")
# The interpreter gets SIGKILL when the thread that started it ends (util-linux setpriv).
_DEATH_SIGNAL = ["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else []
_OUTPUT_CAP = 1 << 20  # in-memory output kept for wait_output()
_QUEUE_CAP = 1 << 16  # bytes queued towards a host that does not read: oldest dropped
_REPLAY_CAP = 4096  # input kept after a SIGINT; beyond, the interpreter clearly survived it


class VirtualBoard:
    """The MicroPython unix port with a folder as its flash, restarted like a real board.

    Args:
        data_dir: the board's flash (created when missing).
        heap: MicroPython heap size (`-X heapsize=`).
        repl_link: when given, a symlink created there to the pty of the board's REPL.
        blank: erase the flash folder on the first start (a freshly flashed ESP32).
        env: extra environment variables for the interpreter.
        log: a file where the board's output is appended (its console log).
        personality: "unix" (the unix port as it is) or "esp32": the ESP32 port's modules
            (mpy/esp32/: time from 2000 by an RTC, machine.Pin/UART/WDT/RTC..., network,
            ntptime); a watchdog the firmware started and stopped feeding resets the board
            (next reset_cause() WDT_RESET), and the reset button is a power-on reset (the
            ESP32's EN pin).
    """

    def __init__(
        self,
        data_dir: str | os.PathLike,
        heap: str = "256K",
        repl_link: str | os.PathLike | None = None,
        blank: bool = False,
        env: dict[str, str] | None = None,
        log: str | os.PathLike | None = None,
        personality: str = "unix",
    ) -> None:
        if personality not in PERSONALITIES:
            raise ValueError("personality must be one of %s" % (PERSONALITIES,))
        self.personality = personality
        self.data_dir = Path(data_dir).resolve()
        self.heap = heap
        self.repl_link = Path(repl_link) if repl_link else None
        self.blank = blank
        self.env = dict(env or {})
        self.log_path = Path(log) if log else None
        self.boots = 0
        self.exit_codes: list[int] = []
        self._out = bytearray()
        self._out_dropped = 0
        self._cond = threading.Condition()
        self._proc: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None
        self._running = False
        self._log = None
        self._host_m = self._host_s = self._mp_m = -1
        self._reset_kind = None

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> "VirtualBoard":
        """Power the board on: boot.py, then main.py from the flash."""
        if self._running:
            return self
        if self.blank and self.data_dir.exists():
            shutil.rmtree(self.data_dir)
            self.blank = False
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / RTC_FILE).unlink(missing_ok=True)  # power-on: the RTC starts at 2000
        self.wdt_resets = 0
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_path, "ab", buffering=0)
        if self.repl_link:
            self._open_repl_pty()
        self._to_host = bytearray()
        self._to_mp = bytearray()
        self._raw = False
        self._want_repl = False  # the host sent Ctrl-C and no prompt has answered yet
        self._running = True
        self._spawned = threading.Event()
        self._spawn_error: BaseException | None = None
        # Every interpreter is started from the bridge thread: with the parent-death signal
        # (setpriv --pdeathsig) it dies with that thread, so no board outlives its host.
        self._thread = threading.Thread(target=self._loop, name="vboard", daemon=True)
        self._thread.start()
        if not self._spawned.wait(30) or self._spawn_error is not None:
            self._shutdown(signal.SIGKILL, 5.0)
            raise RuntimeError("the virtual board did not start: %r" % (self._spawn_error,))
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the board cleanly: SIGTERM (SIGKILL after `timeout`), close the ptys."""
        self._shutdown(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """Cut the power: SIGKILL the interpreter, nothing is flushed."""
        self._shutdown(signal.SIGKILL, 5.0)

    def restart(self, timeout: float = 10.0) -> None:
        """Press the reset button: the interpreter is killed and the board boots again."""
        if not self._running:
            self.start()
            return
        boots = self.boots
        self._reset_kind = "button"
        proc = self._proc
        if proc and proc.poll() is None:
            proc.kill()
        end = time.monotonic() + timeout
        while self.boots == boots and time.monotonic() < end and self._running:
            time.sleep(0.01)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the board is stopped; True when it is."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.alive

    @property
    def alive(self) -> bool:
        """True while the board is powered (the bridge runs and restarts the interpreter)."""
        return bool(self._running and self._thread and self._thread.is_alive())

    @property
    def pid(self) -> int | None:
        """Process id of the current interpreter (changes at every reboot)."""
        return self._proc.pid if self._proc else None

    def __enter__(self) -> "VirtualBoard":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- output -----------------------------------------------------------------------------

    def output(self, since: int = 0) -> bytes:
        """The board's console output from offset `since` (see `mark()`)."""
        with self._cond:
            start = max(0, since - self._out_dropped)
            return bytes(self._out[start:])

    def mark(self) -> int:
        """An offset into the output, for `output(since=)` and `wait_output(since=)`."""
        with self._cond:
            return self._out_dropped + len(self._out)

    def wait_output(self, pattern: bytes | str, timeout: float = 10.0, since: int = 0) -> bool:
        """Wait until `pattern` appears in the output after offset `since`."""
        if isinstance(pattern, str):
            pattern = pattern.encode()
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                start = max(0, since - self._out_dropped)
                if self._out.find(pattern, start) >= 0:
                    return True
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.2))

    # -- internals --------------------------------------------------------------------------

    def _open_repl_pty(self) -> None:
        self._host_m, self._host_s = pty.openpty()
        tty.setraw(self._host_s)  # a UART: no echo, no line editing, bytes as they are
        tty.setraw(self._host_m)
        os.set_blocking(self._host_m, False)
        link = self.repl_link
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(os.ttyname(self._host_s))

    def _spawn(self, run_main: bool, cause: int) -> None:
        master, slave = pty.openpty()
        attrs = termios.tcgetattr(slave)
        attrs[3] &= ~(termios.ECHO | termios.ECHONL)  # lflag: the host echoes nothing
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        cmd = _DEATH_SIGNAL + [
            micropython_binary(),
            "-X",
            "heapsize=" + self.heap,
            "-i",
            str(_MPY_DIR / "vboot.py"),
            str(self.data_dir),
            "1" if run_main else "0",
            str(cause),
            self.personality,
        ] + (["romfs"] if (self.data_dir / ROMFS_FILE).exists() else [])
        (self.data_dir / WDT_FILE).unlink(missing_ok=True)  # a reset stops the watchdog
        (self.data_dir / SOCKETS_FILE).unlink(missing_ok=True)  # lwIP starts with none open
        env = micropython_env()
        env.update(self.env)
        self._proc = subprocess.Popen(
            cmd,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=str(self.data_dir),
            start_new_session=True,  # the host's Ctrl-C is not the board's
        )
        os.close(slave)
        os.set_blocking(master, False)
        self._mp_m = master
        self._booted = False  # boot script has mounted the flash (marker seen)
        self._ready = False  # interpreter waits at a prompt: input may flow
        self._sigint_pending = False
        self._sigint_sent = False  # a SIGINT that may land outside a program (kills the port)
        self._replay = None  # input written since our last SIGINT (see _on_exit)
        self._head = b""  # output before the boot marker
        self._carry = b""  # trailing \r kept to fold \r\r\n across reads
        self._tail = b""  # last output bytes, to recognise prompts
        self._swallow = not run_main and self._raw  # hide the friendly REPL while re-entering raw
        self.boots += 1
        self._note("boot #%d (%s)" % (self.boots, "main.py" if run_main else "raw REPL"))

    def _note(self, text: str) -> None:
        if self._log:
            self._log.write(("\r\n[vboard] %s\r\n" % text).encode())

    def _loop(self) -> None:
        try:
            self._spawn(run_main=True, cause=_CAUSE_POWER_ON)
        except BaseException as exc:
            self._spawn_error = exc
            self._running = False
            raise
        finally:
            self._spawned.set()
        try:
            while self._running:
                self._step()
        except Exception as exc:  # the board dies visibly, never silently
            self._note("bridge error: %r" % (exc,))
            raise
        finally:
            self._running = False

    def _step(self) -> None:
        rfds = [self._mp_m] + ([self._host_m] if self._host_m >= 0 else [])
        wfds = []
        if self._to_host and self._host_m >= 0:
            wfds.append(self._host_m)
        if self._to_mp and self._ready:
            wfds.append(self._mp_m)
        r, w, _ = select.select(rfds, wfds, [], 0.1)
        # The board's output first: a prompt it printed decides what a Ctrl-C from the host is.
        if self._mp_m in r:
            if not self._read_mp():
                self._on_exit()
                return
        elif self._proc.poll() is not None:
            # Exited, and no EOF seen (another process may hold the pty open): take what is
            # left, then reboot.
            self._drain_mp()
            self._on_exit()
            return
        if self.personality == "esp32":
            self._check_wdt()
        if self._host_m in r:
            self._read_host()
        if self._host_m in w:
            self._to_host = self._write(self._host_m, self._to_host)
        if self._mp_m in w and self._ready:
            left = self._write(self._mp_m, self._to_mp)
            if self._replay is not None:  # kept until the interpreter outlives our SIGINT
                self._replay += self._to_mp[: len(self._to_mp) - len(left)]
                if len(self._replay) > _REPLAY_CAP:
                    self._replay = None
            self._to_mp = left

    def _check_wdt(self) -> None:
        """The ESP32's task watchdog: no feed within its timeout -> reset, cause WDT_RESET."""
        path = self.data_dir / WDT_FILE
        try:
            st = path.stat()
            timeout_ms = int(path.read_text() or "0")
        except (OSError, ValueError):
            return
        if timeout_ms <= 0 or (time.time() - st.st_mtime) * 1000 < timeout_ms:
            return
        path.unlink(missing_ok=True)
        if self._proc and self._proc.poll() is None and self._reset_kind is None:
            self._note("watchdog: no feed for %d ms" % timeout_ms)
            self.wdt_resets += 1
            self._reset_kind = "wdt"
            self._proc.kill()

    @staticmethod
    def _write(fd: int, buf: bytearray) -> bytearray:
        try:
            n = os.write(fd, buf)
        except BlockingIOError:
            return buf
        except OSError as exc:
            if exc.errno == errno.EIO:
                return bytearray()
            raise
        return buf[n:]

    def _read_host(self) -> None:
        try:
            data = os.read(self._host_m, 4096)
        except (BlockingIOError, OSError):
            return
        for i in range(len(data)):
            byte = data[i : i + 1]
            if byte == b"\x03" and not self._at_prompt():
                self._interrupt()
                continue
            if byte == b"\x02" and self._ready:
                self._raw = False
            self._to_mp += byte

    def _at_prompt(self) -> bool:
        return self._ready and self._tail.endswith(_PROMPTS)

    def _interrupt(self) -> None:
        """Ctrl-C while a program runs: SIGINT, deferred until the flash is mounted."""
        self._want_repl = True
        if not self._booted:
            self._sigint_pending = True
        elif self._proc.poll() is None:
            self._sigint_sent = True
            self._replay = bytearray()
            self._proc.send_signal(signal.SIGINT)

    def _drain_mp(self) -> None:
        """Read what the exited interpreter left in the pty."""
        for _ in range(64):
            try:
                data = os.read(self._mp_m, 4096)
            except OSError:  # BlockingIOError: nothing left; EIO: closed
                return
            if not data:
                return
            self._output(data)

    def _read_mp(self) -> bool:
        try:
            data = os.read(self._mp_m, 4096)
        except BlockingIOError:
            return True
        except OSError as exc:
            if exc.errno == errno.EIO:
                return False
            raise
        if not data:
            return False
        self._output(data)
        return True

    def _output(self, data: bytes) -> None:
        if not self._booted:
            self._head += data
            at = self._head.find(_BOOT_MARK)
            if at < 0:
                return
            data = self._head[:at] + self._head[at + len(_BOOT_MARK) :]
            self._head = b""
            self._booted = True
            if self._sigint_pending:
                self._sigint_pending = False
                self._interrupt()
        data = self._carry + data
        keep = len(data) - len(data.rstrip(b"\r"))
        self._carry = data[len(data) - keep :] if keep else b""
        data = data[: len(data) - keep].replace(b"\r\r\n", b"\r\n")
        if not data:
            return
        self._tail = (self._tail + data)[-64:]
        if _RAW_BANNER in self._tail:
            self._raw = True
        if self._log:
            self._log.write(data)
        with self._cond:
            self._out += data
            if len(self._out) > _OUTPUT_CAP:
                cut = len(self._out) - _OUTPUT_CAP // 2
                del self._out[:cut]
                self._out_dropped += cut
            self._cond.notify_all()
        if self._swallow:
            at = data.find(_RAW_BANNER)
            if at < 0:
                if self._tail.endswith(b">>> "):
                    self._to_mp[:0] = b"\x01"  # back into the raw REPL, before queued input
                    self._ready = True
                return
            data = data[at:]
            self._swallow = False
        if self._tail.endswith(_PROMPTS):
            self._ready = True
            self._sigint_sent = False
            self._want_repl = False
        self._send_host(data)

    def _send_host(self, data: bytes) -> None:
        if self._host_m < 0:
            return
        self._to_host += data
        if len(self._to_host) > _QUEUE_CAP:  # nobody reads the port: drop the oldest
            del self._to_host[: len(self._to_host) - _QUEUE_CAP]

    def _on_exit(self) -> None:
        code = self._proc.wait()
        os.close(self._mp_m)
        self._mp_m = -1
        self.exit_codes.append(code)
        if not self._running:
            return
        kind, self._reset_kind = self._reset_kind, None
        if code == -signal.SIGINT and kind is None:
            # Our Ctrl-C arrived just as the program ended (the port's REPL dies of SIGINT),
            # possibly after its prompt was already seen (a busy machine: the SIGINT went out
            # before the interpreter printed `>>> `). Only the bridge signals the interpreter
            # (its own session), so the host asked for the REPL: start again without main.py,
            # keeping the input sent behind the Ctrl-C (mpremote's Ctrl-A): what the dying
            # REPL was given goes again to the new one.
            self._note("interrupted between program and prompt: back to the REPL")
            if self._replay:
                self._to_mp[:0] = self._replay
            self._spawn(run_main=False, cause=_CAUSE_SOFT)
            return
        # A Ctrl-C from the host that no prompt has answered yet still stands: the board comes
        # up at the REPL (without main.py), so a crash-and-reset loop cannot lock mpremote out.
        want_repl = self._want_repl
        if code == -signal.SIGUSR2:  # vboot.py: SystemExit(0 / soft reset) from boot/main.py
            code = 0
        if kind is not None or code not in (0, SOFT_RESET):
            self._note("%s reset (exit status %d)" % (kind or "hard", code))
            self._raw = False
            if not want_repl:
                self._to_mp = bytearray()
            cause = _CAUSE_HARD
            if kind == "wdt":
                cause = _CAUSE_WDT
            elif kind == "button" and self.personality == "esp32":
                cause = _CAUSE_POWER_ON  # the EN pin: ESP-IDF reports a power-on reset
            self._spawn(run_main=not want_repl, cause=cause)
            return
        self._note("soft reboot (exit status %d)" % code)
        self._send_host(b"MPY: soft reboot\r\n")
        with self._cond:
            self._out += b"MPY: soft reboot\r\n"
            self._cond.notify_all()
        self._spawn(run_main=not self._raw and not want_repl, cause=_CAUSE_SOFT)

    def _shutdown(self, sig: int, timeout: float) -> None:
        self._running = False
        end_process(self._proc, timeout, sig)
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self._proc and self._proc.poll() is None:  # spawned while we were stopping
            self._proc.kill()
            self._proc.wait(5)
        for name in ("_mp_m", "_host_m", "_host_s"):
            fd = getattr(self, name)
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, name, -1)
        if self.repl_link and self.repl_link.is_symlink():
            self.repl_link.unlink()
        if self._log:
            self._log.close()
            self._log = None
