# A small SMTP client (RFC 5321) for the e-mail feature: one mail per connection, plain,
# STARTTLS (RFC 3207) or implicit TLS (RFC 8314), AUTH PLAIN (RFC 4954). Every reply line is read
# in bounded pieces (a server cannot make it allocate more than _LINE bytes a line, _LINES lines
# a reply) and the caller puts one deadline on the whole exchange.
import asyncio

from micropython import const

from smsgw.net import dns
from smsgw.net.tcp import connect  # at import: a qstr pool mid-run may find no room

_LINE = const(512)  # RFC 5321 4.5.3.1.5: a reply line is at most 512 octets
_LINES = const(32)  # lines in one (multi-line) reply
_CHUNK = const(128)


class SmtpError(Exception):
    """The server refused a step: `code` is its reply code (0: no valid reply), `text` its words.

    `permanent` (a 5xx reply) means trying the same mail again cannot help.
    """

    def __init__(self, step, code, text=""):
        super().__init__("%s: %d %s" % (step, code, text))
        self.code = code
        self.permanent = 500 <= code < 600


def parse_server(url):
    """'smtp://host[:port]' (25, STARTTLS when offered) or 'smtps://host[:port]' (465, TLS).

    Returns (implicit_tls, host, port); raises ValueError naming what is wrong.
    """
    from smsgw.net.url import split

    tls, user, _, host, port, path = split(url, {"smtp": (False, 25), "smtps": (True, 465)})
    if user is not None or path != "/":
        raise ValueError("server must be scheme://host[:port] (credentials go in user/password)")
    return tls, host, port


class _Replies:
    """Reads SMTP replies from a stream in bounded pieces."""

    def __init__(self, stream):
        self.s = stream
        self.buf = b""

    async def line(self):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 1 :]
                return line.rstrip(b"\r")
            if len(self.buf) > _LINE:
                raise SmtpError("reply", 0, "line too long")
            data = await self.s.read(_CHUNK)
            if not data:
                raise SmtpError("reply", 0, "connection closed")
            self.buf += data

    async def reply(self, step, want):
        """-> (code, [text lines]) of one reply; SmtpError unless the code is in `want`."""
        texts = []
        for _ in range(_LINES):
            line = await self.line()
            if len(line) < 3 or not line[:3].isdigit() or line[3:4] not in (b"", b" ", b"-"):
                raise SmtpError(step, 0, "not an SMTP reply")
            texts.append(line[4:])
            if line[3:4] != b"-":
                code = int(line[:3])
                if code not in want:
                    raise SmtpError(step, code, texts[-1].decode("utf-8", "replace"))
                return code, texts
        raise SmtpError(step, 0, "reply too long")


async def _say(stream, replies, step, line, want):
    stream.write(line + b"\r\n")
    await stream.drain()
    return await replies.reply(step, want)


async def _starttls(stream, host, ca):
    # MicroPython's asyncio Stream keeps its socket in `.s`; TLS is layered on that socket the
    # way asyncio.open_connection(ssl=...) does it (handshake driven by the first read/write).
    from smsgw.net.tls import context

    sock = context(ca).wrap_socket(
        stream.s, server_hostname=host, do_handshake_on_connect=False
    )
    sock.setblocking(False)
    return asyncio.StreamReader(sock)


async def send(server, sender, rcpts, write_body, user=None, password=None, ca=None,
               helo="smsgate", starttls=True):
    """Deliver one mail.

    Args:
        server: (implicit_tls, host, port) from parse_server; sender: envelope from address;
        rcpts: envelope recipients; write_body: `await write_body(stream)` writes the message
        (headers, blank line, body; every line ends with CRLF, dot-stuffed) without the
        final dot;
        user/password: AUTH PLAIN when given; ca: path of the DER CA certificate (None: not
        verified; smsgw.net.tls);
        starttls: upgrade a plain connection when the server offers STARTTLS.
    Raises:
        SmtpError (the server refused a step), OSError (network). The caller sets the deadline.
    """
    tls, host, port = server
    ctx = None
    if tls:
        from smsgw.net.tls import context

        ctx = context(ca)
    stream, _ = await connect(dns.resolve(host, port), port, ctx, host)
    try:
        r = _Replies(stream)
        await r.reply("greeting", (220,))
        _, ext = await _say(stream, r, "EHLO", b"EHLO " + helo.encode(), (250,))
        if not tls and starttls and any(e.upper().startswith(b"STARTTLS") for e in ext):
            await _say(stream, r, "STARTTLS", b"STARTTLS", (220,))
            stream = await _starttls(stream, host, ca)
            r = _Replies(stream)
            _, ext = await _say(stream, r, "EHLO", b"EHLO " + helo.encode(), (250,))
        if user:
            import binascii

            token = binascii.b2a_base64(b"\0%s\0%s" % (user.encode(), password.encode()))
            await _say(stream, r, "AUTH", b"AUTH PLAIN " + token.rstrip(), (235,))
        await _say(stream, r, "MAIL", b"MAIL FROM:<%s>" % sender.encode(), (250,))
        for rcpt in rcpts:
            await _say(stream, r, "RCPT", b"RCPT TO:<%s>" % rcpt.encode(), (250, 251))
        await _say(stream, r, "DATA", b"DATA", (354,))
        await write_body(stream)
        await _say(stream, r, "end of data", b".", (250,))
        try:  # the mail is accepted: a failed goodbye changes nothing
            await _say(stream, r, "QUIT", b"QUIT", (221,))
        except (OSError, SmtpError):
            pass
    finally:
        try:
            # MicroPython's reader is the writer (one Stream class); the stubs split them
            stream.close()  # pyright: ignore[reportAttributeAccessIssue]
            await stream.wait_closed()  # pyright: ignore[reportAttributeAccessIssue]
        except OSError:
            pass
