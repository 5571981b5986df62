"""The CLI entry point: help, version, and the one-line error convention."""

import subprocess
import sys

from smsgate.cli import CliError, main


def test_help_lists_commands_and_exits_zero():
    out = subprocess.run(
        [sys.executable, "-m", "smsgate", "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0
    assert "usage: smsgate" in out.stdout


def test_no_command_prints_help_and_returns_2(capsys):
    assert main([]) == 2
    assert "usage: smsgate" in capsys.readouterr().out


def test_cli_error_carries_status():
    assert CliError("bad", status=2).status == 2
