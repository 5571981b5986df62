"""`smsgate virtual --blank` and `--repl-link`: the board's REPL from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from helpers import mpremote
from smsgate.procs import end_process
from smsgate.virtual import free_port


def _start(args, log):
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "smsgate", "virtual", *args],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _wait_up(proc, log, timeout=90):
    deadline = time.monotonic() + timeout
    while "Ctrl-C to stop" not in log.read_text():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)


def _stop(proc):
    return end_process(proc, 30)


def test_virtual_blank_serves_an_empty_board(tmp_path):
    link, flash, log = tmp_path / "ttyB", tmp_path / "flash", tmp_path / "out.txt"
    flash.mkdir()
    (flash / "main.py").write_text("print('old firmware')\n")
    proc = _start(["--blank", "--repl-link", str(link), "--data", str(flash)], log)
    try:
        _wait_up(proc, log)
        out = mpremote(link, "exec", "import os; print(sorted(os.listdir('/')))").stdout
        assert out.strip() == "['dev', 'host']"  # erased; only the host mount points
        mpremote(link, "fs", "cp", str(log), ":hello.txt")
        assert (flash / "hello.txt").exists()
    finally:
        assert _stop(proc) == 0, log.read_text()
    assert not link.exists() and not os.path.lexists(link)


def test_virtual_gateway_with_repl_link(tmp_path):
    link, log = tmp_path / "ttyG", tmp_path / "out.txt"
    proc = _start(["--repl-link", str(link), "--http-port", str(free_port()),
                   "--sim-scale", "0.05", "--password", "pw-repl-link"], log)
    try:
        _wait_up(proc, log)
        assert "board REPL:  mpremote connect %s" % link in log.read_text()
        # mpremote interrupts the running gateway (Ctrl-C), as on a real board.
        out = mpremote(link, "exec", "import os; print('config.json' in os.listdir('/'))")
        assert out.stdout.strip() == "True"
    finally:
        assert _stop(proc) == 0, log.read_text()
