"""Child processes the host side starts (simulator, virtual board, peers, brokers): the one way
to end one."""

from __future__ import annotations

import signal
import subprocess


def end_process(proc: subprocess.Popen | None, timeout: float = 5.0,
                sig: int = signal.SIGTERM) -> int | None:
    """Send `sig` to `proc` when it still runs, wait up to `timeout` seconds, then kill it.

    Returns:
        its exit status (None for no process).
    """
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode
