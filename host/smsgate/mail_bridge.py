"""`smsgate mail-bridge`: e-mail -> SMS, for systems that can only send mail (alarm panels, NAS
boxes, monitoring).

An SMTP server (aiosmtpd) accepts mail for `<number>@<domain>` and posts the mail's plain-text
part (or its subject when the body is empty) to a gateway's API as one message to every number
addressed. The message id is derived from the mail's Message-ID, so a mail delivered twice (an MTA
retrying after a lost answer) is sent once. Answers, so the sending MTA does the right thing:
- 250 when the gateway accepted the message (or already had it);
- 550 for a sender not in `--allow`, for another domain; 553 for a local part that is no number;
  554 when the gateway refuses the message itself (400: e.g. empty text);
- 451 when the gateway cannot be reached or is busy (429, 503, 5xx): the MTA retries later.
One log line per mail on stderr.
"""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import hashlib
import json
import re
import sys
import time
import urllib.error
import urllib.request
from typing import Callable

_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
_MAX_TEXT = 1600  # characters: beyond this the gateway would refuse (too many parts)


def number_of(local: str) -> str | None:
    """The phone number in an address's local part ('+1 555-123' style separators dropped)."""
    n = re.sub(r"[\s().-]", "", local)
    return n if _NUMBER.match(n) else None


def text_of(msg: email.message.EmailMessage) -> str:
    """The mail's plain-text body, or its subject when the body is empty."""
    part = msg.get_body(preferencelist=("plain",))
    body = part.get_content().strip() if part is not None else ""
    return body or str(msg.get("Subject", "")).strip()


def message_id(msg: email.message.EmailMessage, raw: bytes, numbers: list[str]) -> str:
    """A gateway message id from the Message-ID (else the content) and the recipients."""
    basis = (str(msg.get("Message-ID", "")).strip() or hashlib.sha256(raw).hexdigest())
    digest = hashlib.sha256(("%s|%s" % (basis, ",".join(sorted(numbers)))).encode())
    return "mail-" + digest.hexdigest()[:24]


class Device:
    """The gateway's API: one POST /message per mail (blocking; run in a thread)."""

    def __init__(self, url: str, user: str, password: str, timeout: float = 15.0) -> None:
        self.url = url.rstrip("/")
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.auth = "Basic " + token
        self.timeout = timeout

    def post(self, body: dict) -> tuple[int, dict]:
        """(status, JSON answer); status 0 when the device cannot be reached."""
        req = urllib.request.Request(self.url + "/message", data=json.dumps(body).encode(),
                                     method="POST")
        req.add_header("Content-Type", "application/json")
        req.add_header("Authorization", self.auth)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.status, _json(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, _json(exc.read())
        except OSError as exc:  # refused, reset, timed out, no route
            return 0, {"message": str(exc)}


def _json(data: bytes) -> dict:
    try:
        doc = json.loads(data)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


class Bridge:
    """aiosmtpd handler (handle_MAIL / handle_RCPT / handle_DATA)."""

    def __init__(self, device: Device, domain: str, allow: list[str] | None = None,
                 log: Callable[[str], None] | None = None) -> None:
        self.device = device
        self.domain = domain.lower()
        self.allow = {a.lower() for a in allow or ()}
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))

    async def handle_MAIL(self, server, session, envelope, address, options):  # noqa: N802
        if self.allow and address.lower() not in self.allow:
            self.log("mail from %s refused: sender not allowed" % address)
            return "550 5.7.1 sender not allowed"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        local, _, domain = address.rpartition("@")
        if domain.lower() != self.domain:
            return "550 5.1.2 only <number>@%s is relayed here" % self.domain
        if number_of(local) is None:
            return "553 5.1.3 %r is not a phone number" % local
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        numbers = [number_of(a.rpartition("@")[0]) for a in envelope.rcpt_tos]
        text = text_of(msg)
        what = "mail from %s to %s" % (envelope.mail_from, ",".join(numbers))
        if not text:
            self.log("%s refused: no text" % what)
            return "554 5.6.0 the mail has no text (body or subject) to send"
        body = {"id": message_id(msg, raw, numbers), "phoneNumbers": numbers,
                "textMessage": {"text": text[:_MAX_TEXT]}}
        status, answer = await asyncio.get_running_loop().run_in_executor(
            None, self.device.post, body)
        if status in (200, 201, 202, 409):  # 409: the same id was taken by this mail before
            self.log("%s -> %s (%d %s)" % (what, body["id"], status, answer.get("state", "")))
            return "250 OK queued as %s" % body["id"]
        reason = answer.get("message") or "device unreachable"
        if 400 <= status < 500 and status != 429:
            self.log("%s refused by the device: %d %s" % (what, status, reason))
            return "554 5.6.0 device refused the message: %s" % reason
        self.log("%s deferred: %s %s" % (what, status or "-", reason))
        return "451 4.3.0 device unavailable (%s), try again later" % (status or reason)


def serve(listen: str, bridge: Bridge, ready: Callable[[], None] | None = None) -> None:
    """Run the SMTP server on `listen` ("HOST:PORT") until interrupted."""
    from aiosmtpd.controller import Controller

    host, _, port = listen.rpartition(":")
    ctl = Controller(bridge, hostname=host or "127.0.0.1", port=int(port))
    ctl.start()
    bridge.log("mail-bridge listening on %s:%s for <number>@%s -> %s"
               % (ctl.hostname, ctl.port, bridge.domain, bridge.device.url))
    if ready:
        ready()
    try:
        while True:
            time.sleep(3600)
    finally:
        ctl.stop()


def add_parser(sub) -> None:
    p = sub.add_parser("mail-bridge", help="e-mail -> SMS: an SMTP server that posts mail for "
                       "<number>@DOMAIN to a gateway")
    p.add_argument("--listen", default="127.0.0.1:2525", help="HOST:PORT to accept mail on")
    p.add_argument("--device", required=True, help="the gateway's API URL (http://HOST:PORT)")
    p.add_argument("--user", default="sms")
    p.add_argument("--password", required=True)
    p.add_argument("--domain", required=True, help="mail for <number>@DOMAIN becomes SMS")
    p.add_argument("--allow", nargs="*", default=[], metavar="FROM",
                   help="envelope senders allowed (default: any)")
    p.set_defaults(func=do_mail_bridge)


def do_mail_bridge(args) -> int:
    from smsgate.cli import CliError

    if ":" not in args.listen or not args.listen.rpartition(":")[2].isdigit():
        raise CliError("--listen must be HOST:PORT", 2)
    bridge = Bridge(Device(args.device, args.user, args.password), args.domain, args.allow)
    try:
        serve(args.listen, bridge)
    except OSError as exc:
        raise CliError("cannot listen on %s: %s" % (args.listen, exc)) from None
    return 0
