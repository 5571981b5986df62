# AT engine on MicroPython against an in-memory fake stream (scripted modem bytes).
# heapsize: 128K
import asyncio
import io

from smsgw.modem.at import LINE_MAX, ATChannel, parse_error
from smsgw.errors import ATError, ATTimeout

_POLL = 3  # MP_STREAM_POLL
_RD = 1
_WR = 4


class FakeStream(io.IOBase):
    """A modem wire in memory. `replies` maps a command (str, no CR) to the bytes the modem
    sends back, or to a callable(stream, cmd) that feeds bytes itself; data written after a
    prompt is collected in `data_written`. Unknown commands answer ERROR."""

    def __init__(self, replies=None, chunk=7):
        self.replies = replies or {}
        self.rx = bytearray()  # modem -> host
        self.tx = bytearray()  # host -> modem, not yet a full line
        self.commands = []
        self.data_written = []
        self.chunk = chunk  # partial reads, like a pty/UART
        self.in_data = False
        self.silent = 0  # swallow this many command lines (-1: all): a silent modem

    def feed(self, b):
        self.rx += b

    def readinto(self, buf):
        n = min(len(buf), len(self.rx), self.chunk)
        if not n:
            return None
        buf[:n] = self.rx[:n]
        self.rx = self.rx[n:]
        return n

    def write(self, b):
        self.tx += b
        while True:
            if self.in_data:
                for end in (b"\x1a", b"\x1b"):
                    k = self.tx.find(end)
                    if k >= 0:
                        break
                if k < 0:
                    return len(b)
                body = bytes(self.tx[:k])
                self.tx = self.tx[k + 1 :]
                self.in_data = False
                self.data_written.append((body, end))
                self._reply("<data>" if end == b"\x1a" else "<esc>")
                continue
            k = self.tx.find(b"\r")
            if k < 0:
                return len(b)
            cmd = bytes(self.tx[:k]).decode().replace("\x1b", "")  # ignored between commands
            self.tx = self.tx[k + 1 :]
            if not cmd:
                continue  # a bare CR (after an ESC): modems answer nothing
            self.commands.append(cmd)
            self._reply(cmd)

    def _reply(self, cmd):
        if self.silent:
            self.silent -= 1 if self.silent > 0 else 0
            return
        r = self.replies.get(cmd, b"\r\nERROR\r\n")
        if callable(r):
            r = r(self, cmd)
        if r is None:
            return
        if r.rstrip().endswith(b">"):
            self.in_data = True
        self.rx += r

    def ioctl(self, req, arg):
        if req == _POLL:
            r = 0
            if arg & _RD and self.rx:
                r |= _RD
            if arg & _WR:
                r |= _WR
            return r
        return -1  # no file descriptor: poll through ioctl


# The waits of a command that is answered: they end with the answer, so they can be long
# enough for a machine busy with other work (500 ms timed out there once).
_ROOMY_MS = 10000


def _chan(replies=None, chunk=7):
    s = FakeStream(replies, chunk)
    return s, ATChannel(s)


async def _done(ch):
    await ch.stop()


async def test_ok_and_info_lines():
    s, ch = _chan({"AT+CSQ": b"\r\n+CSQ: 21,0\r\n\r\nOK\r\n", "AT": b"\r\nOK\r\n"})
    assert await ch.cmd(b"AT") == []
    assert await ch.cmd(b"AT+CSQ") == ["+CSQ: 21,0"]
    assert s.commands == ["AT", "AT+CSQ"]
    await _done(ch)


async def test_plain_error():
    s, ch = _chan({})
    try:
        await ch.cmd(b"AT+FOO")
        raise AssertionError("no error")
    except ATError as e:
        assert (e.cmd, e.kind, e.code) == ("AT+FOO", "ERROR", None)
    await _done(ch)


async def test_cme_cms_numeric_and_verbose():
    s, ch = _chan(
        {
            "AT+CPIN?": b"\r\n+CME ERROR: 10\r\n",
            "AT+CMGR=9": b"\r\n+CMS ERROR: 321\r\n",
            "AT+CSCA?": b"\r\n+CME ERROR: SIM busy \r\n",
            "AT+CMGS=9": b"\r\n+CMS ERROR: Unknown error\r\n",
            "AT+X": b"\r\n+CMS ERROR: something new\r\n",
        }
    )
    for cmd, kind, code in (
        (b"AT+CPIN?", "CME", 10),
        (b"AT+CMGR=9", "CMS", 321),
        (b"AT+CSCA?", "CME", 14),
        (b"AT+CMGS=9", "CMS", 500),
        (b"AT+X", "CMS", None),
    ):
        try:
            await ch.cmd(cmd)
            raise AssertionError("no error for %s" % cmd)
        except ATError as e:
            assert (e.kind, e.code) == (kind, code), (cmd, e.kind, e.code)
    assert ch.counters["errors"] == 5
    await _done(ch)


def test_parse_error_table():
    assert parse_error("+CME ERROR: incorrect password") == ("CME", 16, "incorrect password")
    assert parse_error("+CMS ERROR: SMSC address unknown") == ("CMS", 330, "SMSC address unknown")
    assert parse_error("+CMS ERROR: 500") == ("CMS", 500, None)
    assert parse_error("OK") is None


async def test_urc_inside_response_goes_to_subscriber():
    got = []
    s, ch = _chan(
        {
            "AT+CPMS?": b'\r\n+CPMS: "SM",1,30\r\n\r\n+CMTI: "SM",2\r\n\r\nOK\r\n',
        }
    )
    ch.on_urc("+CMTI:", lambda line, pdu: got.append(line))
    assert await ch.cmd(b"AT+CPMS?") == ['+CPMS: "SM",1,30']
    assert got == ['+CMTI: "SM",2']
    await _done(ch)


async def test_a_line_with_no_heap_is_lost_and_the_reader_lives():
    # a MemoryError making a line into a str (or handling it) ended the reader task: the
    # watchdog then reset the board
    got = []
    s, ch = _chan({"AT+CPMS?": b'\r\n+CMTI: "SM",1\r\n\r\n+CMTI: "SM",2\r\n\r\nOK\r\n'})
    ch.on_urc("+CMTI:", lambda line, pdu: got.append(line))
    real, short = ch._dispatch, [1]

    def dispatch(line):
        if short[0]:
            short[0] -= 1
            raise MemoryError("memory allocation failed, allocating 32 bytes")
        real(line)

    ch._dispatch = dispatch
    assert await ch.cmd(b"AT+CPMS?") == []
    assert got == ['+CMTI: "SM",2'] and ch.counters["lost_lines"] == 1
    await _done(ch)


async def test_creg_urc_vs_answer():
    got = []
    s, ch = _chan(
        {
            "AT+CREG?": b"\r\n+CREG: 1\r\n\r\n+CREG: 0,5\r\n\r\n+CREG: 1,\"00C3\",\"1A2B\"\r\n"
            b"\r\nOK\r\n",
            "AT+CGREG?": b'\r\n+CGREG: 2,1,"00C3","1A2B"\r\n\r\nOK\r\n',
        }
    )
    ch.on_urc("+CREG:", lambda line, pdu: got.append(line))
    assert await ch.cmd(b"AT+CREG?") == ["+CREG: 0,5"]
    assert got == ["+CREG: 1", '+CREG: 1,"00C3","1A2B"']
    assert await ch.cmd(b"AT+CGREG?") == ['+CGREG: 2,1,"00C3","1A2B"']
    await _done(ch)


async def test_urc_with_pdu_line():
    got = []
    s, ch = _chan({"AT": b"\r\n+CMT: \"\",24\r\n0791AB\r\n\r\nOK\r\n"})
    ch.on_urc("+CMT:", lambda line, pdu: got.append((line, pdu)))
    ch.on_urc("+CDS:", lambda line, pdu: got.append((line, pdu)))
    assert await ch.cmd(b"AT") == []
    s.feed(b"\r\n+CDS: 25\r\n0006AB\r\n")
    s.feed(b'\r\n+CDS: 6,23,"+4917",145,"26/01/01,10:00:00+04","26/01/01,10:00:05+04",0\r\n')
    await asyncio.sleep_ms(60)
    assert got[0] == ('+CMT: "",24', "0791AB")
    assert got[1] == ("+CDS: 25", "0006AB")
    assert got[2][1] is None and got[2][0].startswith("+CDS: 6,23")
    await _done(ch)


async def test_cusd_before_ok_is_urc():
    got = []
    s, ch = _chan({'AT+CUSD=1,"*100#",15': b'\r\n+CUSD: 0, "Bal 5", 15\r\n\r\nOK\r\n'})
    ch.on_urc("+CUSD:", lambda line, pdu: got.append(line))
    assert await ch.cmd(b'AT+CUSD=1,"*100#",15') == []
    assert got == ['+CUSD: 0, "Bal 5", 15']
    await _done(ch)


async def _prompt_case(prompt):
    got = []
    s, ch = _chan(
        {
            "AT+CMGS=5": b"\r\n" + prompt,
            "<data>": b'\r\n+CMTI: "SM",4\r\n\r\n+CMGS: 17\r\n\r\nOK\r\n',
        },
        chunk=3,
    )
    ch.on_urc("+CMTI:", lambda line, pdu: got.append(line))
    lines = await ch.cmd(b"AT+CMGS=5", _ROOMY_MS, data=b"0011AABB", prompt_ms=_ROOMY_MS)
    assert lines == ["+CMGS: 17"], lines
    assert s.data_written == [(b"0011AABB", b"\x1a")]
    assert got == ['+CMTI: "SM",4']
    await _done(ch)


async def test_prompt_variants():
    for prompt in (b"> ", b">", b">\r\n", b"> \r\n"):
        await _prompt_case(prompt)


async def test_urc_between_command_and_prompt():
    got = []
    s, ch = _chan(
        {"AT+CMGS=5": b'\r\nRING\r\n\r\n+CLIP: "+4917",145,"",0,"",0\r\n\r\n> ', "<data>": None}
    )
    ch.on_urc("", lambda line, pdu: got.append(line))

    async def answer_later():
        await asyncio.sleep_ms(50)
        s.feed(b'\r\n+CMTI: "SM",1\r\n\r\n+CMGS: 3\r\n\r\nOK\r\n')

    t = asyncio.create_task(answer_later())
    assert await ch.cmd(b"AT+CMGS=5", _ROOMY_MS, data="00AA", prompt_ms=_ROOMY_MS) == ["+CMGS: 3"]
    assert got == ["RING", '+CLIP: "+4917",145,"",0,"",0', '+CMTI: "SM",1']
    await t
    await _done(ch)


async def test_error_instead_of_prompt():
    s, ch = _chan({"AT+CMGS=5": b"\r\n+CMS ERROR: 302\r\n"})
    try:
        await ch.cmd(b"AT+CMGS=5", _ROOMY_MS, data=b"00", prompt_ms=_ROOMY_MS)
        raise AssertionError("no error")
    except ATError as e:
        assert (e.kind, e.code) == ("CMS", 302)
    assert s.data_written == []
    await _done(ch)


async def test_lost_prompt_sends_esc_and_times_out():
    s, ch = _chan({"AT+CMGS=5": b"", "<esc>": b"\r\nOK\r\n"})
    try:
        await ch.cmd(b"AT+CMGS=5", 500, data=b"00", prompt_ms=100)
        raise AssertionError("no timeout")
    except ATTimeout as e:
        assert e.cmd == "AT+CMGS=5"
    # the ESC went out, and its OK was consumed (not left for the next command)
    s.in_data = True
    s.write(b"")  # nothing
    assert ch.counters["timeouts"] == 1
    assert ch.counters["stray"] == 0
    await _done(ch)


async def test_echo_dropped():
    s, ch = _chan(
        {
            "AT": b"AT\r\r\nOK\r\n",
            "ATE0": b"ATE0\r\r\nOK\r\n",
            "AT+CGSN": b"\r\n866123456789012\r\n\r\nOK\r\n",
            "AT+CMGS=4": b"AT+CMGS=4\r\r\n> ",
            "<data>": b"00AA\x1a\r\n+CMGS: 9\r\n\r\nOK\r\n",
        }
    )
    assert await ch.cmd(b"AT") == []
    assert await ch.cmd(b"ATE0") == []
    assert await ch.cmd(b"AT+CGSN") == ["866123456789012"]
    assert await ch.cmd(b"AT+CMGS=4", _ROOMY_MS, data=b"00AA", prompt_ms=_ROOMY_MS) == ["+CMGS: 9"]
    assert ch.counters["echoes"] == 4  # 3 commands and the PDU (its Ctrl-Z is garbage)
    await _done(ch)


async def test_garbage_bytes_counted_not_fatal():
    s, ch = _chan(
        {"AT": b"\x00\xff\xf0\r\n\xffOK\r\n", "AT+CSQ": b"\r\n+CSQ: 9,\xc3\xa90\r\n\r\nOK\r\n"}
    )
    assert await ch.cmd(b"AT") == []
    assert await ch.cmd(b"AT+CSQ") == ["+CSQ: 9,0"]
    assert ch.counters["garbage"] == 6
    await _done(ch)


async def test_timeout_keeps_partial_and_calls_hook():
    seen = []
    s, ch = _chan({"AT+CMGL=4": b"\r\n+CMGL: 1,0,\"\",20\r\n00AB\r\n"})
    ch.on_timeout = seen.append
    try:
        await ch.cmd(b"AT+CMGL=4", 100)
        raise AssertionError("no timeout")
    except ATTimeout as e:
        assert e.partial == ['+CMGL: 1,0,"",20', "00AB"]
    assert seen == ["AT+CMGL=4"]
    # a late OK after the timeout is stray, not the next command's answer
    s.feed(b"\r\nOK\r\n")
    for _ in range(400):  # the reader takes it (no fixed sleep: the machine may be busy)
        if ch.counters["stray"]:
            break
        await asyncio.sleep_ms(5)
    s.replies["AT+CSQ"] = b"\r\n+CSQ: 5,0\r\n\r\nOK\r\n"
    assert await ch.cmd(b"AT+CSQ") == ["+CSQ: 5,0"]
    assert ch.counters["stray"] == 1
    await _done(ch)


async def test_long_line_bounded():
    big = b"A" * (LINE_MAX + 300)
    s, ch = _chan({"AT+X": b"\r\n" + big + b"\r\n\r\nOK\r\n"}, chunk=64)
    lines = await ch.cmd(b"AT+X")
    assert len(lines) == 1 and len(lines[0]) == LINE_MAX
    assert ch.counters["overflows"] == 1
    assert await ch.cmd(b"AT+X") and ch.counters["overflows"] == 2
    await _done(ch)


async def test_commands_serialised():
    s, ch = _chan({"AT+A": b"\r\n+A: 1\r\n\r\nOK\r\n", "AT+B": b"\r\n+B: 2\r\n\r\nOK\r\n"})
    r = await asyncio.gather(ch.cmd(b"AT+A"), ch.cmd(b"AT+B"), ch.cmd(b"AT+A"))
    assert r == [["+A: 1"], ["+B: 2"], ["+A: 1"]]
    await _done(ch)


async def test_abort_fails_pending_command():
    s, ch = _chan({"AT+CMGS=5": b"\r\n> ", "<data>": None})

    async def reboot():
        await asyncio.sleep_ms(50)
        ch.abort("REBOOT")

    t = asyncio.create_task(reboot())
    try:
        await ch.cmd(b"AT+CMGS=5", _ROOMY_MS, data=b"00", prompt_ms=_ROOMY_MS)
        raise AssertionError("no error")
    except ATError as e:
        assert e.kind == "REBOOT"
    await t
    await _done(ch)


async def test_handler_exception_counted():
    s, ch = _chan({"AT": b"\r\nRING\r\n\r\nOK\r\n"})

    def bad(line, pdu):
        raise ValueError("bug")

    ch.on_urc("RING", bad)
    assert await ch.cmd(b"AT") == []
    assert ch.counters["urc_errors"] == 1
    await _done(ch)


async def test_cmt_header_without_pdu_line():
    got = []
    s, ch = _chan({"AT+CSQ": b'\r\n+CMT: "",24\r\n\r\n+CSQ: 7,0\r\n\r\nOK\r\n'})
    ch.on_urc("+CMT:", lambda line, pdu: got.append(pdu))
    assert await ch.cmd(b"AT+CSQ") == ["+CSQ: 7,0"]
    assert got == [] and ch.counters["urc_errors"] == 1
    await _done(ch)


class _BrokenStream(FakeStream):
    def readinto(self, buf):
        if self.rx == b"EIO":
            self.rx = bytearray()
            raise OSError(5)
        return FakeStream.readinto(self, buf)


async def test_read_error_counted_reader_survives():
    s = _BrokenStream({"AT": b"\r\nOK\r\n"})
    ch = ATChannel(s)
    ch.start()
    s.feed(b"EIO")
    await asyncio.sleep_ms(150)
    assert ch.counters["io_errors"] == 1
    assert await ch.cmd(b"AT") == []
    await _done(ch)


async def test_late_ok_before_prompt_is_not_a_send_result():
    # A send that timed out is answered while the next AT+CMGS waits for its prompt.
    s, ch = _chan(
        {
            "AT+CMGS=5": b"\r\n+CMGS: 4\r\n\r\nOK\r\n\r\n> ",
            "<data>": b"\r\n+CMGS: 6\r\n\r\nOK\r\n",
        }
    )
    assert await ch.cmd(b"AT+CMGS=5", _ROOMY_MS, data=b"00AA", prompt_ms=_ROOMY_MS) == ["+CMGS: 6"]
    assert s.data_written == [(b"00AA", b"\x1a")]
    assert ch.counters["stray"] == 2
    await _done(ch)
