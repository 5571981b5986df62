"""A virtual gateway or board served in the foreground (`smsgate virtual`, `--blank`): brought
up, kept until Ctrl-C or SIGTERM (or until it dies), always taken down."""

from __future__ import annotations

import signal
import time
from typing import Callable


def serve(up: Callable[[], None], alive: Callable[[], bool], down: Callable[[], None]) -> int:
    """Run `up()` (start, print what is served), then wait while `alive()`; `down()` always.

    SIGTERM counts as Ctrl-C. Returns 0 after Ctrl-C/SIGTERM, 1 when `alive()` turned false.
    """

    def _term(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, _term)
    try:
        up()
        print("Ctrl-C to stop.", flush=True)
        while alive():
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        print("stopping")
        return 0
    finally:
        signal.signal(signal.SIGTERM, old)
        down()
