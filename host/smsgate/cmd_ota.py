"""`smsgate ota`: update a board over Wi-Fi (its HTTP API), with rollback.

Builds the bundle `smsgate install` would write (without main.py, the boot selector an update
never replaces), signs its manifest (HMAC-SHA256 under the board's `ota.key`), asks the board
which files differ from what it runs, sends only those in chunks (resuming where a lost answer
left off), commits, then waits for the board to come back and confirm the new version on
probation. Exit status 0 only when the board confirmed it; 1 when it refused the update or rolled
back (the reason is printed).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from smsgate import bundle

CHUNK = 2048  # bytes per PUT: well under the board's http.max_body (4096 by default)
_BOOT_FILES = ("main.py", "boot.py")


class OtaError(Exception):
    """The update did not happen; the message says why."""


def manifest_of(files: dict[str, Path], version: str) -> dict:
    """{"version", "files": {flash path: [sha256, size]}} of a bundle, boot files left out."""
    return {"version": version, "files": {
        p: [bundle.file_sha256(src), src.stat().st_size]
        for p, src in files.items() if p not in _BOOT_FILES}}


def manifest_text(manifest: dict) -> bytes:
    """The manifest as the board reads it, a line at a time."""
    lines = ["smsgate-ota 1", "version " + manifest["version"]]
    lines += ["file %s %s %d" % (p, sha, size) for p, (sha, size) in
              sorted(manifest["files"].items())]
    return ("\n".join(lines) + "\n").encode()


def sign(manifest: dict, key: str) -> tuple[bytes, str]:
    """(manifest text, signature): HMAC-SHA256 under `key` of the text's sha256 hex."""
    import hashlib
    import hmac

    text = manifest_text(manifest)
    digest = hashlib.sha256(text).hexdigest()
    return text, hmac.new(key.encode(), digest.encode(), hashlib.sha256).hexdigest()


def firmware_version(firmware_dir: Path) -> str:
    """VERSION from the tree's smsgw/__init__.py (the string the board will report)."""
    import re

    src = (firmware_dir / "smsgw" / "__init__.py").read_text()
    m = re.search(r'^VERSION\s*=\s*"([^"]+)"', src, re.M)
    if not m:
        raise OtaError("no VERSION in %s" % (firmware_dir / "smsgw" / "__init__.py"))
    return m.group(1)


class Board:
    """The board's API (Basic auth)."""

    def __init__(self, url: str, user: str, password: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.timeout = timeout

    def call(self, method: str, path: str, body: bytes | dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", self.auth)
        req.add_header("Content-Type", "application/json" if isinstance(body, dict)
                       else "application/octet-stream")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        try:
            doc = json.loads(raw) if raw else {}
        except ValueError:
            doc = {"message": raw[:200].decode(errors="replace")}
        return status, doc if isinstance(doc, dict) else {"value": doc}

    def info(self) -> dict | None:
        try:
            status, doc = self.call("GET", "/ota")
        except (OSError, http.client.HTTPException):  # rebooting (also mid-answer: IncompleteRead)
            return None
        return doc if status == 200 else None


def _expect(status: int, doc: dict, what: str, ok=(200,)) -> dict:
    if status not in ok:
        raise OtaError("%s: HTTP %d %s" % (what, status, doc.get("message", doc)))
    return doc


def upload(board: Board, where: str, data: bytes, what: str, progress=lambda n: None) -> None:
    """PUT `data` in chunks to `where` (a path with its query, offset added), resuming at the
    size the board reports when a chunk was already there."""
    off = 0
    while True:
        chunk = data[off:off + CHUNK]
        status, doc = board.call("PUT", "%s&offset=%d" % (where, off), chunk)
        if status == 409 and isinstance(doc.get("size"), int):  # resume where the board is
            off = doc["size"]
            continue
        _expect(status, doc, "sending " + what)
        off = doc.get("size", off + len(chunk))
        progress(len(chunk))
        if off >= len(data):
            return


def update(board: Board, files: dict[str, Path], version: str, key: str, wait_s: float = 300,
           out=sys.stdout) -> str:
    """Run one update; returns the confirmed version, raises OtaError otherwise."""
    before = board.info()
    if before is None:
        raise OtaError("the board does not answer GET /ota (is the `ota` section configured?)")
    man = manifest_of(files, version)
    text, signature = sign(man, key)
    upload(board, "/ota/manifest?v=1", text, "the manifest")
    doc = _expect(*board.call("POST", "/ota/begin", {"signature": signature}), "begin")
    need = doc.get("need", [])
    total = sum(man["files"][p][1] for p in need)
    done = [0]
    t0 = time.monotonic()

    def progress(n: int) -> None:
        done[0] += n
        rate = done[0] / max(time.monotonic() - t0, 1e-3) / 1024
        out.write("\r  sending %d/%d bytes (%d files, %.1f KB/s)   " % (
            done[0], total, len(need), rate))
        out.flush()

    for p in need:
        upload(board, "/ota/file?" + urllib.parse.urlencode({"path": p}), files[p].read_bytes(),
               p, progress)
    if need:
        out.write("\n")
    _expect(*board.call("POST", "/ota/commit"), "commit", ok=(202,))
    out.write("  committed; waiting for the board to boot %s on probation\n" % version)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        time.sleep(1)
        inf = board.info()
        if not inf or inf.get("probation") == "running":
            continue
        last = inf.get("last") or {}
        if inf.get("version") == version and last.get("result") == "ok":
            return "%s → %s" % (before.get("version"), version)
        if last.get("to") == version and last.get("result") == "rolled back":
            raise OtaError("the board rolled back to %s: %s" % (
                inf.get("version"), last.get("reason", "?")))
    raise OtaError("no confirmation within %d s" % wait_s)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("ota", help="update a board over its HTTP API, with rollback")
    p.add_argument("--url", required=True, help="the board's API, http://DEVICE:PORT")
    p.add_argument("--user", default="sms")
    p.add_argument("--password", required=True)
    p.add_argument("--key", required=True, help="the board's update key (config ota.key)")
    p.add_argument("--firmware", help="firmware tree (main.py + smsgw/); default: the installed")
    p.add_argument("--board", default="unix", help="board module (%s)" % ", ".join(bundle.BOARDS))
    p.add_argument("--wait", type=float, default=300, help="seconds to wait for the confirmation")
    p.set_defaults(func=do_ota)


def do_ota(args: argparse.Namespace) -> int:
    from smsgate.cli import CliError
    from smsgate.runtime import FIRMWARE_DIR

    fw = Path(args.firmware) if args.firmware else FIRMWARE_DIR
    try:
        version = firmware_version(fw)
        files = bundle.build(args.board, firmware_dir=fw)
        print("smsgate ota: %s, firmware %s (%d files)" % (args.url, version, len(files)))
        result = update(Board(args.url, args.user, args.password), files, version, args.key,
                        args.wait)
    except (OtaError, bundle.BundleError) as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError("%s: %s" % (args.url, exc)) from None
    print(result)
    return 0
