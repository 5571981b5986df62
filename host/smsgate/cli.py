"""The `smsgate` command: a table of sub-commands, one module each (mpremote's shape).

Each command module exposes `add_parser(subparsers)`, which registers its parser and sets
`func=do_x`, where `do_x(args) -> int` returns the exit status. Handlers raise `CliError`
for user errors; `main()` prints it as `smsgate: <msg>` and returns its status.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> module that implements it. Add one line per command module.
COMMAND_MODULES: dict[str, str] = {
    "pdu": "smsgate.cmd_pdu",
    "virtual": "smsgate.cmd_virtual",
    "install": "smsgate.board_tools",
    "provision": "smsgate.board_tools",
    "verify": "smsgate.board_tools",
    "logs": "smsgate.board_tools",
    "totp": "smsgate.cmd_totp",
    "sim": "smsgate.cmd_sim",
    "mail-bridge": "smsgate.mail_bridge",
    "ota": "smsgate.cmd_ota",
    "fleet": "smsgate.cmd_fleet",
}


class CliError(Exception):
    """A user-facing error: printed as one line, exit status `status` (default 1)."""

    def __init__(self, msg: str, status: int = 1) -> None:
        super().__init__(msg)
        self.status = status


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every command module's sub-parser."""
    parser = argparse.ArgumentParser(
        prog="smsgate",
        description="SMS gateway for ESP32 + SIMCom modems: codec, simulator, virtual board, "
        "provisioning.",
    )
    from smsgate import __version__

    parser.add_argument("--version", action="version", version="smsgate " + __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in dict.fromkeys(COMMAND_MODULES.values()):  # each module once
        importlib.import_module(module_name).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `smsgate` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print("smsgate: %s" % exc, file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        return 130
