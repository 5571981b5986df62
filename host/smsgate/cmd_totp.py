"""`smsgate totp`: secrets for the SMS commands of the alert unit (RFC 6238 TOTP).

(`smsgate provision --totp-uri NUMBER [--qr]` prints the same URI after provisioning.)

- `smsgate totp new` prints a fresh random base32 secret (160 bits, RFC 4226 section 4);
- `smsgate totp uri --number N (--secret S | --config FILE) [--issuer I] [--qr]` prints the
  `otpauth://totp/...` provisioning URI of a number's secret (and a QR code in the terminal)
  for an authenticator app;
- `smsgate totp code (--secret S | --config FILE --number N)` prints the current code.

The TOTP code is the firmware's own `smsgw.alert.totp` (the same file runs on the board).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from smsgate.cli import CliError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("totp", help="TOTP secrets for SMS commands: new, uri (+QR), code")
    sub = p.add_subparsers(dest="totp_command", metavar="ACTION", required=True)
    new = sub.add_parser("new", help="print a new random base32 secret")
    new.set_defaults(func=do_new)
    for name, fn, hlp in (("uri", do_uri, "print the otpauth:// URI (and --qr)"),
                          ("code", do_code, "print the code valid now")):
        s = sub.add_parser(name, help=hlp)
        s.add_argument("--number", help="the allow-listed phone number (+E.164)")
        src = s.add_mutually_exclusive_group()
        src.add_argument("--secret", help="base32 secret")
        src.add_argument("--config", help="config.json whose commands.allow holds the secret")
        s.set_defaults(func=fn)
    uri = sub.choices["uri"]
    uri.add_argument("--issuer", default=None, help="label shown by the app (default: "
                     "device.name from --config, else smsgate)")
    uri.add_argument("--qr", action="store_true", help="also draw a QR code in the terminal")


def _secret(args: argparse.Namespace) -> tuple[str, dict]:
    from smsgw.alert import totp

    cfg: dict = {}
    if args.config:
        try:
            with open(args.config) as f:
                cfg = json.load(f)
        except (OSError, ValueError) as e:
            raise CliError("cannot read %s: %s" % (args.config, e)) from None
        if not args.number:
            raise CliError("--number is required with --config")
        secret = cfg.get("commands", {}).get("allow", {}).get(args.number)
        if secret is None:
            raise CliError("%s is not in commands.allow of %s" % (args.number, args.config))
    elif args.secret:
        secret = args.secret
    else:
        raise CliError("give --secret or --config")
    try:
        totp.b32decode(secret)
    except ValueError as e:
        raise CliError("secret is not base32: %s" % e) from None
    return secret, cfg


def do_new(args: argparse.Namespace) -> int:
    from smsgw.alert import totp

    print(totp.b32encode(os.urandom(20)))
    return 0


def do_uri(args: argparse.Namespace) -> int:
    from smsgw.alert import totp

    secret, cfg = _secret(args)
    if not args.number:
        raise CliError("--number is required (the account name in the app)")
    issuer = args.issuer or cfg.get("device", {}).get("name") or "smsgate"
    uri = totp.uri(secret, args.number, issuer)
    print(uri)
    if args.qr:
        _print_qr(uri)
    return 0


def _print_qr(text: str, out=None) -> None:
    try:
        import segno
    except ImportError:
        raise CliError("--qr needs the segno package (pip install segno)") from None
    segno.make(text, error="m").terminal(out=out or sys.stdout, compact=True)


def provisioning_text(cfg: dict, number: str, qr: bool = False) -> str:
    """The otpauth URI line (and QR art) of `number`'s secret in a full config dict.

    Used by `smsgate provision --totp-uri NUMBER [--qr]`. Raises CliError when the number
    has no secret in commands.allow.
    """
    import io

    from smsgw.alert import totp

    secret = cfg.get("commands", {}).get("allow", {}).get(number)
    if secret is None:
        raise CliError("--totp-uri: %s is not in commands.allow" % number, status=2)
    uri = totp.uri(secret, number, cfg.get("device", {}).get("name") or "smsgate")
    buf = io.StringIO()
    buf.write("SMS-command secret of %s for an authenticator app:\n%s\n" % (number, uri))
    if qr:
        _print_qr(uri, buf)
    return buf.getvalue()


def do_code(args: argparse.Namespace) -> int:
    from smsgw.alert import totp

    secret, _ = _secret(args)
    print(totp.totp(totp.b32decode(secret), int(time.time())))
    return 0
