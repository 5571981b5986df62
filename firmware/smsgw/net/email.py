# SMS -> e-mail: events (received SMS by default) become plain-text UTF-8 mails, sent one at a
# time by the board's SMTP client (net/smtp.py) from a durable journal (webhook_queue.Journal,
# files mail_queue.log / mail_dead.log): a mail server that is down, refuses or drops the
# connection mid-DATA never loses the mail; it is retried with back-off until retry_count tries,
# then kept in the dead list. An entry is finished in flash right after the server's 250 to the
# final dot, so an accepted mail is not sent again (only a power cut between that 250 and the
# journal write could repeat it).
#
# Config section `email`: server ("smtp://host[:port]": STARTTLS when offered and `starttls`;
# "smtps://host[:port]": TLS), user/password (AUTH PLAIN), from, to (list), route ({sender
# prefix: [addresses]}: the first matching prefix wins over `to`), events (what to forward),
# ca (path of a DER CA certificate: the server's certificate is verified), retries and sizes.
import asyncio

from micropython import const

from smsgw.net.webhook_queue import Journal, serve
from smsgw.tasks import TaskOwner

EVENTS = ("sms:received", "sms:failed", "sms:delivered", "sms:sent", "system:ping")
_SUBJECT_CHARS = const(40)  # of the SMS text, in the subject
_B64_IN = const(57)  # bytes per base64 body line (76 characters, RFC 2045 6.8)
# What sending a mail loads (the SMTP client with its TCP connect), forgotten while no mail is
# pending (webhook_queue.serve's `release`): a board between mails does not carry it
_SEND = ("smsgw.net.smtp", "smsgw.net.tcp")
DEFAULTS = {
    "server": None,
    "user": None,
    "password": None,
    "from": None,
    "to": [],
    "route": {},
    "events": ["sms:received"],
    "starttls": True,
    "ca": None,
    "timeout_s": 60,  # one whole SMTP exchange
    "retry_count": 20,
    "retry_base_s": 30,  # first retry delay; doubles each try
    "retry_max_s": 3600,
    "queue_max": 32,  # mails waiting in flash
    "dead_max": 10,
}
_NUMS = {
    "timeout_s": (1, 600),
    "retry_count": (1, 1000),
    "retry_base_s": (0.001, 86400),
    "retry_max_s": (0.001, 7 * 86400),
    "queue_max": (1, 500),
    "dead_max": (1, 100),
}


def _address(v):
    return isinstance(v, str) and 0 < len(v) <= 254 and "@" in v and " " not in v and "<" not in v


def validate(value, key="email"):
    """Check the `email` section; return it merged over DEFAULTS (ConfigError names the key)."""
    from smsgw.errors import ConfigError
    from smsgw.net.smtp import parse_server
    from smsgw.section import check_section

    def addresses(name, v):
        if not isinstance(v, list) or not all(_address(a) for a in v):
            raise ConfigError(name, "must be a list of e-mail addresses")

    def check_other(name, k, v):
        if k == "server":
            try:
                parse_server(v if isinstance(v, str) else "")
            except ValueError as e:
                raise ConfigError(name, str(e)) from None
        elif k == "from":
            if not _address(v):
                raise ConfigError(name, "must be an e-mail address")
        elif k == "to":
            addresses(name, v)
        elif k == "route":
            if not isinstance(v, dict):
                raise ConfigError(name, "must map sender prefixes to address lists")
            for prefix, rcpts in v.items():
                addresses("%s.%s" % (name, prefix), rcpts)
        elif k == "events":
            if not isinstance(v, list) or not v or any(e not in EVENTS for e in v):
                raise ConfigError(name, "must be a list of: " + ", ".join(EVENTS))
        elif k == "starttls":
            if not isinstance(v, bool):
                raise ConfigError(name, "must be true or false")
        elif v is not None and (not isinstance(v, str) or not v):  # user, password, ca
            raise ConfigError(name, "must be a non-empty string")

    out = check_section({} if value is None else value, key, DEFAULTS, _NUMS, check_other)
    for k in ("server", "from"):
        if out[k] is None:
            raise ConfigError("%s.%s" % (key, k), "is required")
    if not out["to"] and not out["route"]:
        raise ConfigError(key + ".to", "needs at least one address (or a route)")
    if (out["user"] is None) != (out["password"] is None):
        raise ConfigError(key + ".password", "user and password go together")
    return out


def _sender(p):
    return p.get("sender") or p.get("phoneNumber") or ""


def recipients(cfg, sender):
    """The addresses a mail about `sender` goes to: the longest matching route, else `to`."""
    best = None
    for prefix in cfg["route"]:
        if sender.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return cfg["route"][best] if best is not None else cfg["to"]


def _encoded_word(text):
    # RFC 2047: a non-ASCII header as one UTF-8 base64 encoded-word
    import binascii

    if all(32 <= ord(c) < 127 for c in text):
        return text
    return "=?utf-8?b?%s?=" % binascii.b2a_base64(text.encode()).decode().strip()


def _date(t):
    from smsgw.clock import gmtime

    y, mo, d, h, mi, s, wd = gmtime(t)[:7]
    return "%s, %02d %s %04d %02d:%02d:%02d +0000" % (
        ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[wd], d,
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
         "Dec")[mo - 1], y, h, mi, s)


def compose(cfg, board, event, p):
    """-> (subject, body text) of the mail for one event (`p`: the event's payload)."""
    who = _sender(p)
    text = p.get("message") or ""
    if event == "sms:received":
        words = " ".join(text.split())
        if len(words) > _SUBJECT_CHARS:
            words = words[: _SUBJECT_CHARS - 1] + "…"
        subject = "SMS from %s: %s" % (who, words)
        lines = ["From: " + who, "Received: " + str(p.get("receivedAt", "")), "Board: " + board,
                 "", text]
    else:
        subject = "%s %s" % (event, who or p.get("messageId", ""))
        lines = ["Event: " + event, "Board: " + board, ""]
        lines += ["%s: %s" % (k, p[k]) for k in sorted(p)]
    return subject, "\n".join(lines) + "\n"


class Mailer(TaskOwner):
    """The e-mail feature: event -> journal, and the one sending task.

    Args:
        root: flash directory for the journal; cfg: the validated `email` section;
        board: the board's name (in every mail); now: Unix seconds or None while unset
        (default smsgw.clock.now; tests inject one).
    """

    def __init__(self, root, cfg, board, now=None):
        from smsgw.net.smtp import parse_server

        cfg = validate(cfg)
        self.cfg = cfg
        self.board = board
        if now is None:
            from smsgw.clock import now
        self._now = now
        self.server = parse_server(cfg["server"])
        self.queue = Journal(root, cfg["queue_max"], cfg["dead_max"], name="mail")
        self.counters = {"queued": 0, "sent": 0, "tries_failed": 0, "dead": 0, "overflow": 0,
                         "io_errors": 0, "oom": 0, "lost": 0}
        self.last_error = None
        self._wake = asyncio.Event()
        self.online = None  # ctx.online: mails wait while it is clear (no Wi-Fi)

    def on_event(self, name, payload):
        """events.subscribe handler: queue one mail for an event we forward (never blocks)."""
        if name not in self.cfg["events"]:
            return 0
        self.queue.hold(self.counters, self._journal, name, payload)
        self._wake.set()
        return 1

    def _journal(self, name, payload):
        import json

        if self.queue.add(name, json.dumps(payload).encode()) is not None:
            self.counters["overflow"] += 1
        self.counters["queued"] += 1

    def run(self):
        """The sending task's coroutine (TaskOwner.start() runs it)."""
        return serve(self.queue, self._wake, self._try, self.counters, "mail journal",
                     self.online, _SEND)

    def _headers(self, event, p, seq, rcpts):
        subject, body = compose(self.cfg, self.board, event, p)
        t = self._now()
        heads = ["From: " + self.cfg["from"], "To: " + ", ".join(rcpts),
                 "Subject: " + _encoded_word(subject),
                 "Message-ID: <%s.%d@%s>" % (p.get("messageId") or "m", seq, self.board),
                 "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
                 "Content-Transfer-Encoding: base64"]
        if t is not None:  # clock unset: no Date (the receiving server adds one)
            heads.insert(3, "Date: " + _date(int(t)))
        return heads, body.encode()

    async def _try(self, entry):
        import json

        from smsgw.net import smtp

        event, raw = self.queue.read(entry)
        p = json.loads(raw)
        rcpts = recipients(self.cfg, _sender(p))
        heads, body = self._headers(event, p, entry[0], rcpts)

        async def write(stream):
            import binascii

            stream.write("\r\n".join(heads).encode() + b"\r\n\r\n")
            for i in range(0, len(body), _B64_IN):  # streamed: one line of base64 at a time
                stream.write(binascii.b2a_base64(body[i : i + _B64_IN]).rstrip() + b"\r\n")
                await stream.drain()

        cfg = self.cfg
        try:
            await asyncio.wait_for(
                smtp.send(self.server, cfg["from"], rcpts, write, cfg["user"], cfg["password"],
                          self.cfg["ca"], self.board, cfg["starttls"]),
                cfg["timeout_s"])
        except smtp.SmtpError as exc:
            return self._failed(entry, exc, exc.permanent)
        except (OSError, ValueError, asyncio.TimeoutError) as exc:
            return self._failed(entry, exc, False)
        self.queue.done(entry)  # right after the 250 to the final dot
        self.counters["sent"] += 1
        self.last_error = None
        return True

    def _failed(self, entry, exc, permanent):
        self.last_error = "%s: %s" % (type(exc).__name__, exc)
        self.counters["tries_failed"] += 1
        if permanent:  # a 5xx: the same mail would be refused again
            self.queue.to_dead(entry, "refused")
            self.counters["dead"] += 1
        elif self.queue.retry_later(entry, self.cfg):
            self.counters["dead"] += 1
        return False

    def health_check(self):
        """/health check: mails waiting; warn when some died or the last try failed."""
        n = len(self.queue.pending)
        bad = self.counters["dead"] or (n and self.last_error)
        desc = "mails pending (sent: %d, dead: %d)" % (self.counters["sent"],
                                                      self.counters["dead"])
        if self.last_error and n:
            desc += "; last error: " + self.last_error
        return {"description": desc, "observedUnit": "mails", "observedValue": n,
                "status": "warn" if bad else "pass"}


def start(ctx):
    """Feature entry point (smsgw.startup): build, subscribe to events, start the sending task."""
    from smsgw import events

    cfg = ctx.cfg
    m = Mailer(cfg["queue"]["dir"], cfg["email"], cfg["device"]["name"])
    m.online = ctx.online
    events.subscribe(m.on_event)
    ctx.health_checks["email"] = m.health_check
    ctx.tasks.append(m.start())
    return m
