"""`smsgate sim modem`: run a simulated SIM800/SIM7600 on a pty (and TCP) with a control API."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

from smsgate.sim.profiles import PROFILES


def add_parser(subparsers) -> None:
    """Register `sim` and its `modem` sub-command."""
    p = subparsers.add_parser("sim", help="modem simulator")
    sub = p.add_subparsers(dest="sim_command", metavar="SUBCOMMAND")
    m = sub.add_parser("modem", help="serve a simulated SIM800/SIM7600 on a pty")
    m.add_argument("--model", choices=sorted(PROFILES), default="sim800")
    m.add_argument("--link", help="symlink to create for the pty slave")
    m.add_argument("--tcp", type=int, help="also serve the modem on 127.0.0.1:PORT")
    m.add_argument("--number", default="+15550009999", help="the modem's own number")
    m.add_argument("--control", type=int, help="control API port on 127.0.0.1 (0 = free port)")
    m.add_argument("--pin", help="SIM PIN (the SIM starts locked)")
    m.add_argument("--log", help="append the AT transcript to FILE")
    m.add_argument("--time-scale", type=float, default=1.0, help="multiply model delays")
    m.add_argument("--report-delay", type=float, help="seconds until a status report")
    m.add_argument("--report-status", type=int, default=0, help="TP-ST of status reports")
    m.add_argument("--send-latency", type=float, help="seconds from ^Z to +CMGS")
    m.add_argument("--ussd-text", default="Balance: 12.34 EUR", help="the USSD reply")
    m.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                   help='override a profile entry, e.g. --set \'prompt="\\r\\n>\\r\\n"\'')
    m.set_defaults(func=do_modem)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def do_modem(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; prints the device path (and the control URL)."""
    return asyncio.run(_serve(args))


def _overrides(items: list[str]) -> dict:
    """`KEY=JSON` pairs -> dict (a bare word that is not JSON is taken as a string)."""
    from smsgate.cli import CliError

    out = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep:
            raise CliError("--set needs KEY=JSON, got %r" % item, 2)
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    return out


async def _serve(args: argparse.Namespace) -> int:
    from smsgate.cli import CliError
    from smsgate.sim.serve import Simulator

    try:
        sim = Simulator(
            link=args.link, tcp=args.tcp, control=args.control, log=args.log,
            model=args.model, number=args.number, pin=args.pin, time_scale=args.time_scale,
            send_latency_s=args.send_latency, report_delay_s=args.report_delay,
            report_status=args.report_status, overrides=_overrides(args.set),
        )
        sim.modem.network.ussd_text = args.ussd_text
    except ValueError as exc:
        raise CliError(str(exc), 2) from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await sim.start()
    try:
        print(args.link or sim.pty.device, flush=True)
        if sim.tcp:
            print("tcp: 127.0.0.1:%d" % sim.tcp_port, flush=True)
        if sim.control:
            print("control: http://127.0.0.1:%d" % sim.control_port, flush=True)
        await stop.wait()
    finally:
        await sim.stop()
    sys.stdout.flush()
    return 0
