"""The virtual board as a serial device: the real mpremote against VirtualBoard's REPL pty."""

from __future__ import annotations

import time

import pytest
from helpers import mpremote

from smsgate.vboard import HARD_RESET, VirtualBoard

MAIN_PY = """\
import asyncio
import machine
print("main: up, cause %d" % machine.reset_cause())

async def tick():
    n = 0
    while True:
        n += 1
        with open("/ticks.txt", "a") as f:  # appended: a Ctrl-C mid-write keeps earlier ticks
            f.write("%d\\n" % n)
        await asyncio.sleep_ms(20)

try:
    asyncio.run(tick())
finally:
    print("main: stopped")
"""


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    root = tmp_path_factory.mktemp("vboard")
    flash = root / "flash"
    flash.mkdir()
    (flash / "stale.txt").write_text("erased by blank")
    b = VirtualBoard(flash, heap="128K", repl_link=root / "repl", blank=True, log=root / "con.log")
    try:
        b.start()
        yield b
    finally:
        b.stop()
    assert not b.alive
    assert not (root / "repl").exists()


def test_blank_board_has_empty_flash_and_esp32_paths(board):
    assert not (board.data_dir / "stale.txt").exists()
    out = mpremote(
        board.repl_link, "exec", "import os, sys; print(os.listdir('/'), sys.path, os.getcwd())"
    )
    # Only the mount point of the host's /dev (where the modem's pty lives) shows.
    assert out.stdout.strip() == "['dev', 'host'] ['', '.frozen', '/lib'] /"
    assert list(board.data_dir.iterdir()) == []


def test_fs_cp_ls_cat_sha256(board, tmp_path):
    src = tmp_path / "hello.txt"
    src.write_bytes(b"hello board\n" + bytes(range(256)))
    mpremote(board.repl_link, "fs", "mkdir", ":d")
    mpremote(board.repl_link, "fs", "cp", str(src), ":d/hello.txt")
    assert (board.data_dir / "d" / "hello.txt").read_bytes() == src.read_bytes()
    ls = mpremote(board.repl_link, "fs", "ls", ":d").stdout
    assert "hello.txt" in ls
    back = tmp_path / "back.txt"
    mpremote(board.repl_link, "fs", "cp", ":d/hello.txt", str(back))
    assert back.read_bytes() == src.read_bytes()
    (board.data_dir / "d" / "t.txt").write_text("line one\nline two\n")
    assert mpremote(board.repl_link, "fs", "cat", ":d/t.txt").stdout == "line one\nline two\n"
    import hashlib

    sha = mpremote(board.repl_link, "fs", "sha256sum", ":d/hello.txt").stdout
    assert hashlib.sha256(src.read_bytes()).hexdigest() in sha


def test_run_and_chained_exec(board, tmp_path):
    script = tmp_path / "s.py"
    script.write_text("import sys\nprint('run', sys.implementation.name, 6 * 7)\n")
    assert mpremote(board.repl_link, "run", str(script)).stdout.strip() == "run micropython 42"
    out = mpremote(board.repl_link, "exec", "x = 5", "exec", "print(x * 2)").stdout
    assert out.strip() == "10"
    err = mpremote(board.repl_link, "exec", "raise ValueError('boom')", check=False)
    assert err.returncode == 1 and "ValueError: boom" in err.stdout + err.stderr


def test_main_runs_at_reset_and_ctrl_c_interrupts_it(board):
    (board.data_dir / "main.py").write_text(MAIN_PY)
    try:
        mark = board.mark()
        boots = board.boots
        mpremote(board.repl_link, "reset")
        assert board.wait_output("main: up, cause 2", 10, since=mark), board.output(mark)
        # mpremote soft-resets first (one reboot), then machine.reset() ends the interpreter.
        assert board.boots == boots + 2 and board.exit_codes[-1] == HARD_RESET
        ticks = board.data_dir / "ticks.txt"
        deadline = time.monotonic() + 5
        while not (ticks.exists() and ticks.read_text().count("\n") >= 2):
            assert time.monotonic() < deadline, "main.py does not run"
            time.sleep(0.02)
        # mpremote's Ctrl-C stops the asyncio main.py; the REPL then answers.
        out = mpremote(board.repl_link, "exec",
                       "print('after', open('/ticks.txt').read().count('\\n') > 1)")
        assert out.stdout.strip() == "after True"
        assert board.wait_output("KeyboardInterrupt", 5, since=mark)
        assert board.wait_output("main: stopped", 5, since=mark)
        before = ticks.read_text()
        time.sleep(0.2)
        assert ticks.read_text() == before, "main.py still runs after Ctrl-C"
        # A soft reset in the raw REPL restarts the interpreter without main.py (as an ESP32).
        mark = board.mark()
        mpremote(board.repl_link, "soft-reset")
        assert board.wait_output("MPY: soft reboot", 5, since=mark)
        assert b"main: up" not in board.output(mark)
    finally:
        (board.data_dir / "main.py").unlink()


def test_machine_reset_cause_and_log(board):
    out = mpremote(board.repl_link, "exec", "import machine; print(machine.reset_cause())")
    assert out.stdout.strip() in ("1", "2", "5")
    assert b"boot #" in board.log_path.read_bytes()


def test_power_cut_and_restart(tmp_path):
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "main.py").write_text("print('booted')\n")
    (flash / "boot.py").write_text("print('boot.py ran')\n")
    b = VirtualBoard(flash, heap="64K")
    b.start()
    try:
        assert b.wait_output("boot.py ran", 5) and b.wait_output("booted", 5)
        pid = b.pid
        mark = b.mark()
        b.restart()
        assert b.pid != pid and b.alive
        assert b.wait_output("booted", 5, since=mark)
        b.kill()
        assert b.wait(5) and not b.alive
        assert b.exit_codes[-1] < 0  # killed by a signal: nothing flushed
        mark = b.mark()
        b.start()  # power back on
        assert b.alive and b.wait_output("booted", 5, since=mark)
    finally:
        b.stop()
    assert not b.alive


def _read_until(port, needle: bytes, timeout: float = 5.0) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while needle not in data and time.monotonic() < deadline:
        data += port.read(4096)
    assert needle in data, data
    return data


def test_friendly_repl_echo_ctrl_c_and_ctrl_d(tmp_path):
    import serial

    flash = tmp_path / "flash"
    flash.mkdir()
    b = VirtualBoard(flash, heap="64K", repl_link=tmp_path / "tty")
    try:
        b.start()
        port = serial.Serial(str(tmp_path / "tty"), 115200, timeout=0.1)
        port.write(b"\r")
        _read_until(port, b">>> ")
        port.write(b"6*7\r")  # the REPL echoes what is typed, as on a board
        assert _read_until(port, b">>> ").endswith(b"6*7\r\n42\r\n>>> ")
        port.write(b"while True: pass\r\r")
        _read_until(port, b"... \r\n")
        time.sleep(0.2)
        port.write(b"\x03")  # Ctrl-C interrupts the loop
        assert b"KeyboardInterrupt" in _read_until(port, b">>> ")
        (flash / "main.py").write_text("print('main ran')\n")
        port.write(b"\x04")  # Ctrl-D: soft reboot, main.py runs, back to the REPL
        out = _read_until(port, b">>> ")
        assert b"MPY: soft reboot\r\nmain ran\r\n" in out, out
        port.write(b"x = 2 + 3; x\r")
        assert _read_until(port, b">>> ").endswith(b"5\r\n>>> ")
        port.close()
    finally:
        b.stop()


def test_mpremote_gets_in_despite_a_reset_loop(tmp_path):
    # A firmware that resets at once at every boot (a crash loop): mpremote's Ctrl-C still
    # stands at the next boot, which then stops at the REPL instead of running main.py.
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "main.py").write_text("import machine, time\ntime.sleep_ms(30)\nmachine.reset()\n")
    b = VirtualBoard(flash, heap="64K", repl_link=tmp_path / "tty")
    try:
        b.start()
        deadline = time.monotonic() + 10
        while b.boots < 5:
            assert time.monotonic() < deadline, b.output()
            time.sleep(0.05)
        for _ in range(3):
            out = mpremote(tmp_path / "tty", "exec", "print('in', 6 * 7)")
            assert out.stdout.strip() == "in 42"
        assert -9 in b.exit_codes  # machine.reset() in main.py ends the interpreter hard
    finally:
        b.stop()


def test_sys_exit_in_main_is_a_soft_reboot_and_machine_reset_a_hard_one(tmp_path):
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "main.py").write_text(
        "import sys, machine\n"
        "n = len(open('/n.txt').read()) if 'n.txt' in __import__('os').listdir() else 0\n"
        "open('/n.txt', 'a').write('x')\n"
        "print('main run', n + 1, 'cause', machine.reset_cause())\n"
        "if n == 0:\n    sys.exit()\n"
        "if n == 1:\n    machine.reset()\n"
    )
    b = VirtualBoard(flash, heap="64K")
    try:
        b.start()
        assert b.wait_output("main run 3 cause 2\r\n", 10), b.output()
        out = b.output().decode()
        assert "main run 1 cause 1" in out  # power on
        assert "MPY: soft reboot\r\nmain run 2 cause 5" in out  # sys.exit(): soft reboot
        assert "main run 3 cause 2" in out  # machine.reset(): hard reset
        assert b.boots == 3
    finally:
        b.stop()


def test_raw_repl_entry_right_after_power_on(tmp_path):
    # mpremote's Ctrl-C + Ctrl-A arriving while the interpreter is still starting: our SIGINT
    # may land once its REPL is up, which the unix port dies of. The Ctrl-A written to the
    # dying REPL must reach the next one (seen as "could not enter raw repl" on a busy machine:
    # before the fix about 1 start in 3 failed with both cores busy).
    import os
    import tty

    for i in range(8):
        root = tmp_path / str(i)
        b = VirtualBoard(root / "flash", heap="64K", repl_link=root / "tty", blank=True)
        try:
            b.start()
            fd = os.open(str(root / "tty"), os.O_RDWR | os.O_NOCTTY)
            try:
                tty.setraw(fd)
                time.sleep(0.01 * i)  # sweep the instant across the interpreter's start
                os.write(fd, b"\r\x03")
                os.write(fd, b"\r\x01")
                assert b.wait_output(b"raw REPL; CTRL-B to exit", 20), (i, b.output()[-300:])
            finally:
                os.close(fd)
        finally:
            b.stop()
