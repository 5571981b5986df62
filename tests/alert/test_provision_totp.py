"""`smsgate provision --totp-uri NUMBER --qr` on a (blank) virtual board over mpremote."""

from __future__ import annotations

import json
import subprocess
import sys

from alertkit import R1, SECRET
from smsgate.vboard import VirtualBoard


def _smsgate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smsgate", *args], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_provision_prints_the_totp_uri_and_qr(tmp_path):
    cfg = tmp_path / "alert.json"
    cfg.write_text(json.dumps({"device": {"name": "pump-3"},
                               "commands": {"allow": {R1: SECRET}}}))
    port = str(tmp_path / "ttyBOARD")
    board = VirtualBoard(tmp_path / "flash", heap="256K", repl_link=port, blank=True,
                         log=tmp_path / "console.log")
    board.start()
    try:
        out = _smsgate("provision", "--port", port, "--config", str(cfg), "--no-restart",
                       "--totp-uri", R1, "--qr")
        assert out.returncode == 0, out.stdout + out.stderr
        lines = out.stdout.splitlines()
        uri = next(line for line in lines if line.startswith("otpauth://"))
        assert uri.startswith("otpauth://totp/pump-3:%2B15550000001?secret=" + SECRET)
        assert sum("\u2588" in line or "\u2580" in line for line in lines) > 10  # the QR
        assert SECRET not in out.stdout.replace(uri, "")  # the secret shows only in the URI
        on_flash = json.loads((tmp_path / "flash" / "config.json").read_text())
        assert on_flash["commands"]["allow"][R1] == SECRET
        # a number without a secret: refused before anything is written
        before = (tmp_path / "flash" / "config.json").read_text()
        bad = _smsgate("provision", "--port", port, "--device-name", "other", "--no-restart",
                       "--totp-uri", "+15550000999")
        assert bad.returncode == 2 and "not in commands.allow" in bad.stderr
        assert (tmp_path / "flash" / "config.json").read_text() == before
    finally:
        board.stop()
