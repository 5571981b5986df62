# A stream reader whose lines are bounded: asyncio's readline() grows its buffer until a newline
# comes, so a peer sending megabytes without one ran the heap out. The HTTP server
# (net/httpd.py) and the HTTP client read status lines and headers through this instead.
from micropython import const

_CHUNK = const(128)  # bytes asked of the stream per read while looking for a newline


class TooLong(ValueError):
    """A line longer than max_line, or more than max_total bytes of lines."""


class LineReader:
    """readline/readexactly/read over an asyncio stream with bounds.

    Args:
        stream: has `async read(n)` and `async readexactly(n)`;
        max_line: longest line (with its newline) handed out; a longer one raises TooLong;
        max_total: all readline() bytes together (a header block), 0 = no bound;
        eof_ok: False = the end of the stream inside readline() raises EOFError (a request head
        cut short is never taken for a complete one).
    At most max_line + _CHUNK bytes are buffered; bytes read past a line stay for the next call.
    """

    def __init__(self, stream, max_line, max_total=0, eof_ok=True):
        self.s = stream
        self.max_line = max_line
        self.left = max_total or -1
        self.eof_ok = eof_ok
        self.buf = b""

    async def readline(self):
        """The next line with its b"\\n"; at end of stream what is left (b"" at the end)."""
        while True:
            buf = self.buf
            i = buf.find(b"\n")
            if i >= 0 or len(buf) > self.max_line:
                n = i + 1 if i >= 0 else len(buf)
                if n > self.max_line:
                    raise TooLong("line")
                self._spend(n)
                self.buf = buf[n:]
                return buf[:n]
            chunk = await self.s.read(_CHUNK)
            if not chunk:  # end of stream: a last line without newline (or nothing)
                if not self.eof_ok:
                    raise EOFError
                self._spend(len(buf))
                self.buf = b""
                return buf
            self.buf = buf + chunk

    def _spend(self, n):
        if self.left >= 0:
            self.left -= n
            if self.left < 0:
                raise TooLong("header block")

    async def readexactly(self, n):
        """n bytes (bytes, or a bytearray when part of them was buffered already)."""
        if n < 0:
            raise ValueError("length")
        head = self.buf[:n]
        self.buf = self.buf[len(head):]
        if len(head) == n:
            return head
        if not head or not hasattr(self.s, "readinto"):
            return head + await self.s.readexactly(n - len(head))
        # One block of n bytes filled in place: the rest read apart and then joined to the head
        # took two (n - head, then n) and a contiguous n is what a fragmented heap lacks first.
        out = bytearray(n)
        mv = memoryview(out)
        i = len(head)
        mv[:i] = head
        while i < n:
            k = await self.s.readinto(mv[i:])
            if k == 0:
                raise EOFError
            i += k or 0  # None: nothing there yet (a non-blocking socket)
        return out

    async def read(self, n=-1):
        if self.buf:
            out = self.buf if n < 0 else self.buf[:n]
            self.buf = self.buf[len(out):]
            return out
        return await self.s.read(n)
