"""`smsgate pdu decode|encode`: the firmware's PDU codec from the command line.

`decode` prints one JSON object per PDU and line, in argument order (no argument: the PDUs are
read from stdin, separated by white space); a PDU that cannot be decoded prints
`{"error": "<reason>"}` and makes the exit status 1. With `--micropython` the very same
firmware modules run on the MicroPython unix port; both paths print the same bytes because
each line is normalised here (canonical key order, `ensure_ascii=False`).

`encode` prints `{"encoding": ..., "segments": N, "parts": [{"pdu": HEX, "tpdu_length": N}]}`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

from smsgate.cli import CliError
from smsgate.runtime import FIRMWARE_DIR, micropython_binary, micropython_env
from smsgw.codec import pdu, submit
from smsgw.errors import PduError

# The order keys are printed in (the decode contract); keys not listed follow, sorted.
KEY_ORDER = (
    "error", "type", "smsc", "number", "number_type", "pid", "dcs", "encoding", "class",
    "compressed", "mwi", "text", "iei", "data", "unknown_septets", "unknown_units", "udh",
    "concat", "port", "other", "ref", "total", "seq", "dst", "src", "bits", "scts", "scts_raw",
    "discharge", "discharge_raw", "status", "mr", "vp", "srr", "active", "kind", "store",
)  # fmt: skip
_RANK = {k: i for i, k in enumerate(KEY_ORDER)}

# Runs on MicroPython: argv[1] is "smsc" or "tpdu" (a bare TPDU); the PDUs come on stdin, one
# a line (the unix port dies with "FATAL: uncaught NLR" on an argument of 256+ characters).
_MPY_SCRIPT = """
import sys, json
sys.path.insert(0, %r)
from smsgw.codec import pdu, submit
from smsgw.errors import PduError
smsc = sys.argv[1] != "tpdu"
for h in sys.stdin.read().split("\\n")[:-1]:
    try:
        print(json.dumps(pdu.decode(h, smsc)))
    except PduError as e:
        print(json.dumps({"error": str(e)}))
"""


def canonical(value: Any) -> Any:
    """Return `value` with every dict's keys in KEY_ORDER (unknown keys last, sorted)."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (_RANK.get(k, len(_RANK)), k))
        return {k: canonical(value[k]) for k in keys}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def dumps(obj: Any) -> str:
    """One output line: canonical key order, UTF-8 text kept as is."""
    return json.dumps(canonical(obj), ensure_ascii=False)


def decode_line(pdu_hex: str, smsc: bool = True) -> tuple[str, bool]:
    """Decode one PDU on CPython; returns (json line, ok)."""
    try:
        return dumps(pdu.decode(pdu_hex, smsc)), True
    except PduError as exc:
        return dumps({"error": str(exc)}), False


def decode_lines_micropython(pdus: list[str], smsc: bool = True) -> list[tuple[str, bool]]:
    """Decode PDUs with the firmware code on the MicroPython unix port."""
    script = _MPY_SCRIPT % str(FIRMWARE_DIR)
    try:
        cmd = [micropython_binary(), "-c", script, "smsc" if smsc else "tpdu"]
        out = subprocess.run(
            cmd, input="".join(h + "\n" for h in pdus), capture_output=True, encoding="utf-8",
            timeout=60, env=micropython_env(), check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CliError("micropython failed: %s" % exc) from None
    lines = out.stdout.splitlines()
    if out.returncode != 0 or len(lines) != len(pdus):
        tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise CliError("micropython failed: %s" % tail)
    result = []
    for line in lines:
        obj = json.loads(line)
        result.append((dumps(obj), "error" not in obj))
    return result


def do_decode(args: argparse.Namespace) -> int:
    """Handler of `smsgate pdu decode`."""
    smsc = not args.tpdu
    pdus = args.pdus or sys.stdin.read().split()
    if not pdus:
        raise CliError("pdu decode: no PDU given (arguments or stdin)", 2)
    if args.micropython:
        results = decode_lines_micropython(pdus, smsc)
    else:
        results = [decode_line(h, smsc) for h in pdus]
    for line, _ in results:
        print(line)
    return 0 if all(ok for _, ok in results) else 1


def _int_arg(value: str | None, name: str, lo: int, hi: int) -> int | None:
    if value is None:
        return None
    try:
        n = int(value, 10)
    except ValueError:
        raise CliError("%s must be an integer, not %r" % (name, value), 2) from None
    if not lo <= n <= hi:
        raise CliError("%s must be in %d..%d" % (name, lo, hi), 2)
    return n


def do_encode(args: argparse.Namespace) -> int:
    """Handler of `smsgate pdu encode`."""
    if not args.to:
        raise CliError("pdu encode: --to NUMBER is required", 2)
    ref_bits = _int_arg(args.ref_bits, "--ref-bits", 8, 16)
    if ref_bits not in (8, 16):
        raise CliError("--ref-bits must be 8 or 16", 2)
    validity = _int_arg(args.validity, "--validity", 1, 63 * 7 * 86400)
    ref = _int_arg(args.ref, "--ref", 0, (1 << ref_bits) - 1)
    text = args.text if args.text is not None else sys.stdin.read().rstrip("\n")
    try:
        encoding, parts = submit.encode_submit(
            args.to, text, srr=args.report, ref=ref or 0, ref_bits=ref_bits,
            validity_s=validity, smsc=args.smsc,
        )  # fmt: skip
    except (ValueError, PduError) as exc:
        raise CliError("pdu encode: %s" % exc, 2) from None
    print(
        json.dumps(
            {
                "encoding": encoding,
                "segments": len(parts),
                "parts": [{"pdu": h, "tpdu_length": n} for h, n in parts],
            },
            ensure_ascii=False,
        )
    )
    return 0


def add_parser(subparsers: Any) -> None:
    """Register `pdu decode` and `pdu encode`."""
    p = subparsers.add_parser("pdu", help="decode or encode SMS PDUs with the firmware codec")
    sub = p.add_subparsers(dest="pdu_command", metavar="ACTION", required=True)
    d = sub.add_parser("decode", help="decode PDUs (hex, with the SMSC prefix) to JSON lines")
    d.add_argument("pdus", nargs="*", metavar="HEX", help="PDUs (default: read stdin)")
    d.add_argument("--tpdu", action="store_true", help="the PDUs have no SMSC prefix")
    d.add_argument(
        "--micropython", action="store_true", help="run the firmware codec on MicroPython"
    )
    d.set_defaults(func=do_decode)
    e = sub.add_parser("encode", help="encode an SMS-SUBMIT (split when long)")
    e.add_argument("--to", help="recipient: +international, national digits or alphanumeric")
    e.add_argument("--text", help="message text (default: read stdin)")
    e.add_argument("--report", action="store_true", help="request a delivery report")
    e.add_argument("--ref-bits", default="8", help="concatenation reference size, 8 or 16")
    e.add_argument("--ref", help="concatenation reference (default 0)")
    e.add_argument("--validity", metavar="SECONDS", help="relative validity period")
    e.add_argument("--smsc", help="SMSC number (default: the modem's stored one)")
    e.set_defaults(func=do_encode)
