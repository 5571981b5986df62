"""The simulated modem: line discipline, command dispatch, power/boot, URC output.

One asyncio task consumes the received bytes (so commands run one at a time, later input waits
in the buffer as in a real UART); URCs are written by other tasks between response lines.
Per-model behaviour comes from `profiles.py`; command handlers live in `commands.py` and
`sms.py`; faults in `faults.py`; the virtual network in `network.py`.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import time
import traceback
from typing import Callable

from smsgate.sim import profiles
from smsgate.sim.atparse import PROMPT, Cmd, CmdError, parse_line
from smsgate.sim.faults import Faults
from smsgate.sim.storage import Stores

CR, LF, BS, CTRL_Z, ESC = 13, 10, 8, 26, 27
MAX_LINE = 556  # SIM800 manual §1.4.4: longer lines are rejected whole with ERROR
TRANSCRIPT_MAX = 20000
NUMERIC_RESULTS = {"OK": b"0\r", "RING": b"2\r", "NO CARRIER": b"3\r", "ERROR": b"4\r"}


class Modem:
    """A simulated SIMCom modem. Bytes go in through `feed`, come out through the sinks."""

    def __init__(
        self,
        model: str = "sim800",
        number: str = "+15550009999",
        pin: str | None = None,
        time_scale: float = 1.0,
        send_latency_s: float | None = None,
        report_delay_s: float | None = None,
        report_status: int = 0,
        overrides: dict | None = None,
    ) -> None:
        from smsgate.sim.commands import HANDLERS
        from smsgate.sim.network import Network

        self.profile = profiles.with_overrides(profiles.get(model), overrides or {})
        self.model = model
        self.number = number
        self.pin = pin
        self.scale = time_scale
        self.handlers = HANDLERS
        self.sinks: list[Callable[[bytes], None]] = []
        self.transcript: list[dict] = []
        self.dtr = 0  # held low by the board: awake
        self.dtr_low_at = 0.0
        self.log_hook: Callable[[str, bytes], None] | None = None
        self.t0 = time.monotonic()
        self.faults = Faults(self)
        self.stores = Stores(self.profile["stores"], self.profile["index_base"])
        self.network = Network(self)
        p = self.profile
        self.network.send_latency_s = (
            p["send_latency_s"] * time_scale if send_latency_s is None else send_latency_s
        )
        self.network.report_delay_s = (
            p["report_delay_s"] * time_scale if report_delay_s is None else report_delay_s
        )
        self.network.report_status = report_status
        self.saved = dict(p["defaults"])
        self.counters = {"commands": 0, "lines": 0, "bytes_rx": 0, "boots": 0, "errors": 0}
        self.powered = False
        self.stage = "off"
        self.mr = 0
        self._tasks: set[asyncio.Task] = set()
        self._boot_scoped: set[asyncio.Task] = set()
        self._boot_task: asyncio.Task | None = None
        self._inq: asyncio.Queue | None = None
        self._reader: asyncio.Task | None = None
        self._reset_state()

    # ---- state ---------------------------------------------------------------------------
    def _reset_state(self) -> None:
        """Volatile state as after power-up: the saved profile, no prompt, SIM not ready."""
        for k, v in self.saved.items():
            setattr(self, k, v)
        self.line = bytearray()
        self.overflow = False
        self.prompt: tuple | None = None
        self.data = bytearray()
        self.sim_ready = False
        self.sms_ready = False
        self.sim_state = "READY" if self.pin is None else "SIM PIN"
        self.pin_attempts = 3
        self.registered = 0  # CREG stat
        self.searching = True  # the boot-time network search has not ended yet
        self.nitz_at = None  # monotonic time the clock took the network's time (NITZ)
        self.synced = not (self.profile["autobaud"] and self.ipr == 0)
        self.cfun = 1
        self.last_rx = time.monotonic()
        self.wake_until = 0.0
        self.boot_time = time.monotonic()

    def status(self) -> dict:
        """What `GET /status` shows."""
        return {
            "model": self.model,
            "number": self.number,
            "powered": self.powered,
            "stage": self.stage,
            "echo": self.echo,
            "cmee": self.cmee,
            "cmgf": self.cmgf,
            "cscs": self.cscs,
            "cnmi": list(self.cnmi),
            "cpms": list(self.cpms),
            "sim": self.sim_state,
            "sms_ready": self.sms_ready,
            "registered": self.registered,
            "rssi": self.network.rssi,
            "synced": self.synced,
            "csclk": self.csclk,
            "dtr": self.dtr,
            "counters": dict(self.counters, **self.network.counters),
            "faults": self.faults.describe(),
        }

    # ---- output ----------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        """Send raw bytes to every connected client (and the transcript)."""
        if not data:
            return
        self._log("tx", data)
        for sink in list(self.sinks):
            sink(data)

    def _log(self, direction: str, data: bytes) -> None:
        self.transcript.append(
            {"dir": direction, "data": data.decode("latin-1"), "t": time.monotonic() - self.t0}
        )
        if self.log_hook:
            self.log_hook(direction, data)
        if len(self.transcript) > TRANSCRIPT_MAX:
            del self.transcript[: TRANSCRIPT_MAX // 10]

    def urc(self, text: str) -> None:
        """Emit an unsolicited result code (dropped while off, booting or not yet autobauded)."""
        if self.stage == "up" and self.synced:
            self.info(text)

    def info(self, text: str) -> None:
        """One framed line: `\\r\\n<text>\\r\\n` (ATV1) or `<text>\\r\\n` (ATV0, V.250 §5.7.1)."""
        head = b"\r\n" if self.verbose else b""
        self.write(head + text.encode("latin-1") + b"\r\n")

    def error_text(self, err: CmdError) -> str:
        if err.final:
            return err.final
        if err.kind is None or self.cmee == 0:
            return "ERROR"
        if self.cmee == 1:
            return "+%s ERROR: %d" % (err.kind, err.code)
        table = profiles.CME_TEXT if err.kind == "CME" else profiles.CMS_TEXT
        return "+%s ERROR: %s" % (err.kind, table.get(err.code, "unknown error %d" % err.code))

    def final(self, text: str) -> None:
        """A final result code, unless a `lose_ok` fault eats it."""
        self.faults.emit_urcs("before_ok")
        if text == "OK" and self.faults.take("lose_ok"):
            return
        if not self.verbose and text in NUMERIC_RESULTS:
            self.write(NUMERIC_RESULTS[text])  # ATV0: a digit and a lone CR
            return
        self.info(text)

    # ---- tasks ---------------------------------------------------------------------------------
    def spawn(self, coro, boot_scoped: bool = False) -> asyncio.Task:
        """Start a task the modem owns (cancelled by `stop`; a boot-scoped one also by a
        reboot or power-off, e.g. the rest of a boot sequence or a pending USSD answer)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if boot_scoped:
            self._boot_scoped.add(task)
            task.add_done_callback(self._boot_scoped.discard)
        return task

    def _cancel_boot_scoped(self) -> None:
        for task in list(self._boot_scoped):
            if task is not asyncio.current_task():
                task.cancel()

    async def sleep(self, model_seconds: float) -> None:
        """Sleep for a model delay, scaled by --time-scale."""
        await asyncio.sleep(model_seconds * self.scale)

    async def start(self) -> None:
        """Start the input task and power the modem up."""
        self._inq = asyncio.Queue()
        self._reader = asyncio.get_running_loop().create_task(self._read_loop())
        self.power_on()

    async def stop(self) -> None:
        """Cancel every task the modem owns."""
        tasks = list(self._tasks) + [t for t in (self._reader, self._boot_task) if t]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ---- power ----------------------------------------------------------------------------
    def power_on(self) -> None:
        if self.powered:
            return
        self.powered = True
        self._boot()

    def power_off(self, urc: str | None = None) -> None:
        if urc:
            self.urc(urc)
        self.powered = False
        self.stage = "off"
        if self._boot_task:
            self._boot_task.cancel()
        self._cancel_boot_scoped()
        self.network.on_power_off()
        self.faults.on_power_cycle()
        self._reset_state()

    def reboot(self) -> None:
        """Restart now: silence, then the boot URCs; unsaved settings revert."""
        if self._boot_task:
            self._boot_task.cancel()
        self._cancel_boot_scoped()
        self.network.on_power_off()
        self._boot()

    def _boot(self) -> None:
        self._reset_state()
        self.stage = "boot"
        self.counters["boots"] += 1
        if self._inq is not None:
            while not self._inq.empty():
                self._inq.get_nowait()
        self._boot_task = asyncio.get_running_loop().create_task(self._boot_sequence())

    async def _boot_sequence(self) -> None:
        p, t = self.profile, 0.0
        cpin = self.sim_state
        for at, text in p["boot"]:
            await self.sleep(at - t)
            t = at
            if text == "RDY" or self.stage == "boot":
                self.stage = "up"
            self.urc(text.format(cpin=cpin))
            if text == p["sim_ready_urc"]:
                self.sim_ready = True
                if self.sim_state != "READY":
                    return  # locked: the rest follows the PIN
                self.network.refresh()  # searching (+CREG: 0,2) until registered
            if text == p["sms_ready_urc"]:
                self.sms_ready = True
        self.spawn(self.network.register_later(), boot_scoped=True)

    async def after_pin(self) -> None:
        """What a SIM800/SIM7600 prints once the PIN is accepted."""
        p = self.profile
        for i, text in enumerate(p["after_pin"]):
            if i:
                await self.sleep(p["after_pin_gap_s"])
            self.urc(text)
            if text == p["sms_ready_urc"]:
                self.sms_ready = True
        self.sms_ready = True
        await self.network.register_later()

    # ---- input ---------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """Bytes from a client; processed in order by the input task."""
        self._log("rx", data)
        self.counters["bytes_rx"] += len(data)
        if self._inq is not None:
            self._inq.put_nowait(bytes(data))

    async def _read_loop(self) -> None:
        while True:
            data = await self._inq.get()
            if self.stage == "up" and self._asleep():
                continue  # the UART sleeps: these bytes are lost (URCs still go out)
            try:
                await self._bytes(data)
            except Exception:  # keep the modem alive whatever a bug does
                self._internal_error()

    async def _bytes(self, data: bytes) -> None:
        for b in data:
            if self.stage != "up":
                continue
            if self.prompt is not None:
                await self._prompt_byte(b)
            else:
                await self._command_byte(b)

    def _asleep(self) -> bool:
        """AT+CSCLK sleep (SIM800 §6.2.20): 1 = while DTR is high, plus ~50 ms after it goes
        low; 2 = after `sleep_after_s` without input, the waking bytes (and those of the next
        100 ms) are swallowed. Updates the idle clock."""
        now = time.monotonic()
        idle = now - self.last_rx
        self.last_rx = now
        if self.csclk == 1:
            return self.dtr == 1 or now - self.dtr_low_at < 0.05
        if self.csclk == 2:
            if now < self.wake_until:
                return True
            after = self.profile["sleep_after_s"] * self.scale
            if idle > after:
                self.wake_until = now + min(0.1, after / 2)  # 100 ms, shorter when scaled
                return True
        return False

    def set_dtr(self, level: int) -> None:
        """The DTR line (control API; a pty has no modem-control lines)."""
        if self.dtr and not level:
            self.dtr_low_at = time.monotonic()
        self.dtr = 1 if level else 0

    async def _command_byte(self, b: int) -> None:
        if b in (CR, LF):
            if self.line or self.overflow:
                line, over = bytes(self.line), self.overflow
                self.line = bytearray()
                self.overflow = False
                await self._line_done(line, over, b)
            elif self.echo and self.synced and not self.faults.swallowing():
                self.write(bytes((b,)))
            return
        if b == ESC:
            return
        if self.faults.swallowing() or not self.synced:
            self.line.append(b)
            return
        if self.echo:
            self.write(bytes((b,)))
        if b == BS:
            if self.line:
                self.line.pop()
        elif len(self.line) >= MAX_LINE:
            self.overflow = True
        else:
            self.line.append(b)

    async def _line_done(self, line: bytes, overflow: bool, term: int) -> None:
        text = line.decode("latin-1").strip()
        if not self.synced:
            if not text[:2].upper() == "AT":
                return
            self.synced = True  # autobaud locked on this AT
            if self.echo:
                self.write(line + bytes((term,)))
        elif self.faults.swallowing():
            self.faults.line_swallowed()
            return
        elif self.echo:
            self.write(bytes((term,)))
        if text[:2].upper() != "AT":
            return
        self.counters["lines"] += 1
        if await self.faults.before_command(text):
            return
        if overflow:
            self.final("ERROR")
            return
        await self.execute(text[2:])

    async def execute(self, body: str) -> None:
        """Run the commands of one line, write their info lines and one final result."""
        cmds = parse_line(body)
        if cmds is None:
            self.final("ERROR")
            return
        try:
            for cmd in cmds:
                self.counters["commands"] += 1
                result = self._dispatch(cmd)
                if inspect.isawaitable(result):
                    result = await result
                if result is PROMPT:
                    return
                for line in result or ():
                    self.info(line)
                    await asyncio.sleep(0)  # let URCs interleave
                if self.stage != "up":
                    return  # the command rebooted or powered the modem down
        except CmdError as err:
            self.counters["errors"] += 1
            self.final(self.error_text(err))
            return
        except Exception:  # a simulator bug must not kill the modem: count it, answer ERROR
            self._internal_error()
            return
        self.final("OK")

    def _internal_error(self) -> None:
        self.counters["internal_errors"] = self.counters.get("internal_errors", 0) + 1
        traceback.print_exc(file=sys.stderr)
        self.final("ERROR")

    def _dispatch(self, cmd: Cmd):
        key = cmd.name
        handler = self.handlers.get(key)
        if handler is None or key in self.profile["lacks"]:
            raise CmdError()
        self.check_ready(key)
        return handler(self, cmd)

    def check_ready(self, key: str) -> None:
        """Refuse SMS commands before SIM/SMS ready, as the profile says."""
        if key not in profiles.SMS_COMMANDS:
            return
        if self.sim_state == "SIM PIN":
            raise CmdError("CMS", 311) if key == "+CMGS" else CmdError("CME", 11)
        if self.sim_state == "SIM PUK":
            raise CmdError("CME", 12)
        if not self.sms_ready:
            if key in ("+CMGS", "+CMGW", "+CMSS"):
                raise CmdError(*self.profile["not_ready_send"])
            if key == "+CSCA" and not self.sim_ready:
                raise CmdError("CME", 14)
            raise CmdError(*self.profile["not_ready_other"])

    # ---- the `> ` prompt ------------------------------------------------------------------------
    def enter_prompt(self, kind: str, arg) -> object:
        self.prompt = (kind, arg)
        self.data = bytearray()
        self.faults.emit_urcs("before_prompt")
        self.write(self.profile["prompt"].encode())
        return PROMPT

    async def _prompt_byte(self, b: int) -> None:
        if self.echo and not self.faults.swallowing():
            self.write(bytes((b,)))
        if b == ESC:
            self.prompt = None
            self.final("OK")
            return
        if b != CTRL_Z:
            if len(self.data) < 4096:
                self.data.append(b)
            return
        kind, arg = self.prompt
        self.prompt = None
        data = bytes(self.data)
        self.faults.emit_urcs("after_ctrl_z")
        from smsgate.sim import sms

        try:
            lines = await sms.submit(self, kind, arg, data)
        except CmdError as err:
            self.counters["errors"] += 1
            self.final(self.error_text(err))
            return
        except Exception:
            self._internal_error()
            return
        if lines is None or self.stage != "up":
            return
        for line in lines:
            self.info(line)
        self.final("OK")

    def next_mr(self) -> int:
        """The next TP-MR (rolls over at 256)."""
        mr = self.mr
        self.mr = (self.mr + 1) % 256
        return mr
