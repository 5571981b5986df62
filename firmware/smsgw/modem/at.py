# AT engine: one reader task owns the modem stream; one command at a time under a lock.
#
# Every line the modem sends goes either to the command waiting for it (info lines, final
# result, the `> ` prompt) or to the URC subscribers, even when a URC arrives in the middle of
# a response (docs/SIMCOM-AT.md §1.4). Limits: a line is at most LINE_MAX bytes (longer lines are
# cut at the limit and counted in `overflows`); bytes outside printable ASCII are dropped and
# counted in `garbage` (0x00/0xFF/invalid UTF-8 after a brown-out, the echoed Ctrl-Z).
import asyncio

from smsgw.errors import ATError, ATTimeout
from smsgw.tasks import TaskOwner

from micropython import const


LINE_MAX = const(1024)  # longest accepted line (a 2-line +CMT PDU is < 400; USSD UCS2 < 700)
_LINE_KEPT = const(512)  # the line buffer kept between lines: every PDU line fits; a longer
# line (a USSD answer in UCS-2) gets room up to LINE_MAX for itself only
_READ_CHUNK = const(64)
_CR = const(13)
_LF = const(10)
_GT = const(62)
_SPACE = const(32)
_CTRL_Z = b"\x1a"
_ESC = b"\x1b"
_ESC_WAIT_MS = const(2000)  # after ESC at a lost prompt: time for the modem's OK

# Lines that are unsolicited whatever command is running (27.005/27.007, SIMCom boot/power).
URC_PREFIXES = (
    "+CMTI:", "+CMT:", "+CDSI:", "+CDS:", "RING", "+CLIP:", "RDY", "+CPIN:", "+CFUN:",
    "Call Ready", "SMS Ready", "SMS DONE", "PB DONE", "UNDER-VOLTAGE", "OVER-VOLTAGE",
    "NORMAL POWER DOWN", "+CREG:", "+CGREG:", "+CEREG:", "+CUSD:", "NO CARRIER",
    "*ATREADY:", "Autobaud", "+CTZV:", "*PSUTTZ:", "DST:", "*PSNWID:",
)  # fmt: skip

# A prefix that is both a URC and the answer of a read command (`AT+CREG?` -> `+CREG: 0,1`;
# the URC drops <n>: `+CREG: 1` or `+CREG: 1,"00C3","1234"`): the answer's 2nd field is bare.
_REG_PREFIXES = ("+CREG:", "+CGREG:", "+CEREG:")


def _is_reg_answer(line):
    parts = line.split(",", 2)
    return len(parts) > 1 and not parts[1].lstrip().startswith('"')


def _hexish(s):
    # A PDU line: even length, hex at both ends (cheap; the codec validates the rest).
    try:
        int(s[:2], 16)
        int(s[-2:], 16)
    except ValueError:
        return False
    return not len(s) & 1


_SECRET_CMD = "AT+CPIN="  # the one secret-bearing command sent (27.007 8.3): never shown


def shown(cmd):
    """`cmd` as errors show it (they reach /health): `AT+CPIN="4321"` -> `AT+CPIN=<redacted>`."""
    return _SECRET_CMD + "<redacted>" if cmd.startswith(_SECRET_CMD) else cmd


def parse_error(line):
    """Return (kind, code, text) for a final error line, or None for anything else."""
    if line == "ERROR":
        return ("ERROR", None, None)
    if line.startswith("+CME ERROR:"):
        kind = "CME"
    elif line.startswith("+CMS ERROR:"):
        kind = "CMS"
    else:
        return None
    text = line[11:].strip()
    try:
        return (kind, int(text), None)
    except ValueError:
        return (kind, _errtext("code", kind, text), text)


def _errtext(fn, *args):
    # modem/errtext.py's fn(*args): its tables (~1.6 KB of .mpy heap) are loaded for this call
    # only; None when there is no heap for them now (the reader task must go on)
    from smsgw import forget

    try:
        from smsgw.modem import errtext

        return getattr(errtext, fn)(*args)
    except MemoryError:
        return None
    finally:
        forget("smsgw.modem.errtext")


def cms_text(code):
    """The 27.005 text of `+CMS ERROR: <code>`, or None."""
    return _errtext("cms_text", code)


def expected_prefix(cmd):
    """The info-line prefix `cmd` answers with when that prefix is also a URC, else None.

    Only read forms (`AT+CREG?`, `AT+CPIN?`, `AT+CFUN?`) claim a URC prefix: the write forms
    (`AT+CUSD=1,...`, `AT+CPIN="1234"`) are followed by genuine URCs.
    """
    if not cmd.startswith("AT+") or not cmd.endswith("?"):
        return None
    p = cmd[2:-1] + ":"
    return p if p in URC_PREFIXES else None


class _Pending:
    # State of the command in flight; owned by ATChannel.
    data: "str | None"  # for the type checker (bare annotations: no code on MicroPython)
    result: "str | tuple | Exception | None"

    def __init__(self, cmd, expect, want_prompt):
        self.cmd = cmd  # str, without CR
        self.expect = expect
        self.want_prompt = want_prompt
        self.sink = None  # fn(line) instead of collecting info lines
        self.data = None  # str written after the prompt (its echo is dropped)
        self.lines = []
        self.result = None  # "OK" | ("ERR", kind, code, text) | exception
        self.prompt = False
        self.event = asyncio.Event()


class ATChannel(TaskOwner):
    """The AT command channel over a modem stream (UART, pty, in-memory fake).

    Args:
        stream: object with `readinto`/`write` usable by `asyncio.StreamReader`.
    """

    # What release() lets go (bare annotations: no code on MicroPython); buffers for the type
    # checker, as long as the channel reads.
    _line: bytearray
    _rbuf: bytearray
    _rmv: memoryview

    def __init__(self, stream):
        self._io = asyncio.StreamReader(stream)  # MicroPython: one Stream reads and writes
        self._line = bytearray(_LINE_KEPT)
        self._n = 0
        self._rbuf = bytearray(_READ_CHUNK)
        self._rmv = memoryview(self._rbuf)
        self._lock = asyncio.Lock()
        self._subs = []  # [(prefix, fn)]
        self._pending = None
        self._urc2 = None  # (line, prefix) of a 2-line URC waiting for its PDU line
        self._skip_space = False
        self.on_timeout = None  # fn(cmd) called on every command timeout (the supervisor)
        self.counters = {
            "commands": 0, "timeouts": 0, "errors": 0, "urcs": 0, "echoes": 0,
            "garbage": 0, "overflows": 0, "stray": 0, "urc_errors": 0, "io_errors": 0,
            "lost_lines": 0,
        }  # fmt: skip

    def release(self):
        """Let the line and read buffers go (~600 B): the room a fatal path logs its reason in
        before the board resets (smsgw.app._fatal). The channel reads no more after it."""
        # None, not del: a deleted attribute's value stays in the instance's map (MicroPython
        # keeps it for the caller), so the collector would keep the buffers
        self._line = self._rbuf = self._rmv = None  # pyright: ignore[reportAttributeAccessIssue]

    def on_urc(self, prefix, fn):
        """Call `fn(line, pdu)` for each URC line starting with `prefix` ("" = all URCs).

        `pdu` is the second line of `+CMT:` / `+CDS: <len>` URCs, else None. Handlers run in
        the reader task: they must not block (enqueue or set an Event instead).
        """
        self._subs.append((prefix, fn))

    async def hold(self):
        """Wait until no command is in flight, then keep the channel (nothing is sent after):
        a planned reset never cuts an AT+CMGS in half (which would leave the part uncertain)."""
        await self._lock.acquire()

    def abort(self, kind="REBOOT"):
        """Fail the command in flight with `ATError(cmd, kind)` (e.g. the modem rebooted)."""
        p = self._pending
        if p is not None and p.result is None:
            p.result = ATError(shown(p.cmd), kind)
            p.event.set()

    # -- commands --------------------------------------------------------------------------
    async def cmd(self, cmd, timeout_ms=2000, data=None, prompt_ms=5000, expect=None, sink=None):
        """Send one command and return its info lines.

        Args:
            cmd: the command as bytes, without CR (b"AT+CSQ").
            timeout_ms: time allowed for the final result (after the data, if any).
            data: bytes/str sent after the `> ` prompt, followed by Ctrl-Z (AT+CMGS).
            prompt_ms: time allowed for the prompt; on timeout ESC is sent.
            expect: info-line prefix that is also a URC prefix (default from `cmd`).
            sink: fn(line, None) called for each info line in the reader task instead of collecting
                them (long listings without holding them all in RAM).
        Returns:
            list of str info lines (echo, blank lines and URCs removed; empty with a sink).
        Raises:
            ATTimeout(cmd, partial_lines), ATError(cmd, kind, code, text).
        """
        self.start()
        scmd = cmd.decode() if isinstance(cmd, (bytes, bytearray)) else cmd
        async with self._lock:
            self.counters["commands"] += 1
            p = _Pending(scmd, expect or expected_prefix(scmd), data is not None)
            p.sink = sink
            self._pending = p
            try:
                await self._write(cmd, b"\r")
                if data is not None:
                    if not await self._wait(p, prompt_ms):
                        await self._write(_ESC)
                        await self._wait(p, _ESC_WAIT_MS, final=True)
                        raise self._timeout(p)
                    if p.result is None:  # got the prompt, not an early error
                        p.data = data.decode() if not isinstance(data, str) else data
                        await self._write(data, _CTRL_Z)
                if not await self._wait(p, timeout_ms, final=True):
                    raise self._timeout(p)
            finally:
                self._pending = None
            return self._finish(p)

    async def _write(self, a, b=None):
        # MicroPython's StreamReader is its StreamWriter (one Stream class); the stubs split them
        w: "asyncio.StreamWriter" = self._io  # pyright: ignore[reportAssignmentType]
        w.write(a.encode() if isinstance(a, str) else a)
        if b is not None:
            w.write(b)
        await w.drain()

    async def _wait(self, p, ms, final=False):
        # True when the event came (final result, or prompt when not `final`).
        while True:
            if p.result is not None or (p.prompt and not final):
                return True
            p.event.clear()
            try:
                await asyncio.wait_for_ms(p.event.wait(), ms)
            except asyncio.TimeoutError:
                return p.result is not None

    def _timeout(self, p):
        self.counters["timeouts"] += 1
        if self.on_timeout is not None:
            self.on_timeout(shown(p.cmd))
        return ATTimeout(shown(p.cmd), p.lines)

    def _finish(self, p):
        r = p.result
        if r == "OK":
            return p.lines
        if isinstance(r, Exception):
            raise r
        self.counters["errors"] += 1
        raise ATError(shown(p.cmd), r[1], r[2], r[3])

    # -- reader: the task TaskOwner.start() runs (idempotent; stop() ends it) ----------------
    async def run(self):
        rd = self._io
        mv = self._rmv
        while True:
            try:
                n = await rd.readinto(mv)
            except OSError:  # the line is gone (EIO on a pty, UART fault): commands time out
                self.counters["io_errors"] += 1  # and the supervisor climbs its ladder
                await asyncio.sleep_ms(100)
                continue
            if n:
                self._feed(mv, n)
            elif n == 0 or n is None:
                await asyncio.sleep_ms(5)  # EOF/no data on a pty with VMIN=0: do not spin

    def _feed(self, mv, n):
        line = self._line
        for i in range(n):
            b = mv[i]
            if self._skip_space:
                self._skip_space = False
                if b == _SPACE:
                    continue
            if b == _CR or b == _LF:
                if self._n:
                    self._line_done()
                continue
            if b < 32 or b > 126:
                self.counters["garbage"] += 1
                continue
            if self._n == 0 and b == _GT:
                p = self._pending
                if p is not None and p.want_prompt and not p.prompt:
                    p.prompt = True
                    p.event.set()
                    self._skip_space = True
                    continue
            n = self._n
            if n < len(line) or (n == len(line) and self._grow()):
                line = self._line
                line[n] = b
                self._n = n + 1
            elif n == len(line):
                self.counters["overflows"] += 1
                self._n = n + 1  # mark: drop the rest of this line
        # The last byte of a chunk may leave a partial line: kept for the next chunk.

    def _grow(self):
        # The line outgrows the kept buffer: room up to LINE_MAX (False: none, or no heap for
        # it now; the line is cut there and counted as an overflow)
        if len(self._line) >= LINE_MAX:
            return False
        try:
            big = bytearray(LINE_MAX)
        except MemoryError:
            return False
        big[:_LINE_KEPT] = self._line
        self._line = big
        return True

    def _line_done(self):
        line = self._line
        n = min(self._n, len(line))
        self._n = 0
        try:
            if len(line) > _LINE_KEPT:
                self._line = bytearray(_LINE_KEPT)
            # one copy: the str straight from the buffer (only printable ASCII was kept)
            s = str(memoryview(line)[:n], "ascii").rstrip()
            if s:
                self._dispatch(s)
        except MemoryError:  # no heap for this line: it is lost (a command waiting for it
            # times out, a new message waits for the sweep); the reader, and the rest, go on
            self.counters["lost_lines"] += 1

    def _dispatch(self, s):
        u = self._urc2
        if u is not None:  # the PDU line of +CMT / +CDS
            self._urc2 = None
            if _hexish(s):
                self._emit(u[1], u[0], s)
                return
            self.counters["urc_errors"] += 1  # header without its PDU: this line is not it
        p = self._pending
        prefix = None
        for pre in URC_PREFIXES:
            if s.startswith(pre):
                prefix = pre
                break
        if prefix is not None and not (p is not None and self._is_answer(p, prefix, s)):
            if prefix == "+CMT:" or (prefix == "+CDS:" and s[6:].strip().isdigit()):
                self._urc2 = (s, prefix)
            else:
                self._emit(prefix, s, None)
            return
        if p is None or p.result is not None:
            self._stray(s)
            return
        if s == p.cmd or (p.data is not None and s == p.data):
            self.counters["echoes"] += 1
            return
        if s == "OK":
            if p.want_prompt and not p.prompt:
                # AT+CMGS cannot succeed before its data: a late answer to an earlier,
                # timed-out command (e.g. its `+CMGS: <mr>`). Drop it, keep waiting.
                self.counters["stray"] += 1 + len(p.lines)
                p.lines = []
                return
            p.result = "OK"
        else:
            e = parse_error(s)
            if e is None:
                if p.sink is None:
                    p.lines.append(s)
                else:
                    self.guarded(p.sink, s, None)  # the sink takes (line, None) like a URC fn
                return
            p.result = ("ERR",) + e
        p.event.set()

    def _is_answer(self, p, prefix, s):
        if p.expect != prefix:
            return False
        return _is_reg_answer(s) if prefix in _REG_PREFIXES else True

    def _stray(self, s):
        # A line nobody waits for (a late answer after a timeout, unknown URC).
        for pre, fn in self._subs:
            if pre and s.startswith(pre):
                self.guarded(fn, s, None)
                return
        self.counters["stray"] += 1

    def _emit(self, prefix, s, pdu):
        self.counters["urcs"] += 1
        for pre, fn in self._subs:
            if s.startswith(pre):
                self.guarded(fn, s, pdu)

    def guarded(self, fn, *args):
        """fn(*args) for a line's handler (a URC's, an answer's sink, the modem's rare news):
        an exception is counted (urc_errors, last_urc_error), never raised."""
        try:
            fn(*args)
        except Exception as e:  # a handler bug must not kill the reader: counted, reported
            self.counters["urc_errors"] += 1
            self.last_urc_error = repr(e)
