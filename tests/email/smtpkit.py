"""A real SMTP server (aiosmtpd) for the e-mail tests, on a fixed port so it can go down and
come back where the board expects it."""

from __future__ import annotations

import email
import email.policy
import threading

from aiosmtpd.controller import Controller
from smsgate.virtual import free_port


class Inbox:
    """aiosmtpd handler: keeps every accepted mail (envelope + parsed message)."""

    def __init__(self) -> None:
        self.mails: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
            self.arrived.notify_all()
        return "250 OK"

    def wait(self, n: int, timeout: float) -> list:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.mails) >= n, timeout)
            return list(self.mails)


class SmtpServer:
    """aiosmtpd on 127.0.0.1:`port`; stop() and start() again keep the port and the mails."""

    def __init__(self, port: int | None = None, **kwargs) -> None:
        self.port = port or free_port()
        self.inbox = Inbox()
        self.kwargs = kwargs
        self.controller: Controller | None = None

    def start(self) -> "SmtpServer":
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port,
                                     **self.kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return "smtp://127.0.0.1:%d" % self.port
