"""`smsgate virtual --blank`: a virtual board with an empty flash, served until Ctrl-C."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from smsgate.foreground import serve
from smsgate.vboard.board import VirtualBoard


def serve_blank(data: str | None, heap: str, repl_link: str | None) -> int:
    """Erase the flash folder, boot MicroPython, expose its REPL; run until Ctrl-C/SIGTERM.

    Args:
        data: the flash folder (erased; kept afterwards). None: a temporary one, removed.
        heap: MicroPython heap size.
        repl_link: where the REPL's pty link goes (None: inside the temporary folder).
    Returns:
        0 after a clean stop, 1 when the board died.
    """
    tmp = Path(tempfile.mkdtemp(prefix="smsgate-blank-"))
    flash = Path(data) if data else tmp / "flash"
    link = Path(repl_link) if repl_link else tmp / "ttyBOARD"
    board = VirtualBoard(flash, heap=heap, repl_link=link, blank=True, log=tmp / "console.log")

    def up():
        board.start()
        print("blank virtual board (MicroPython only, empty flash) is up")
        print("  REPL:        %s   e.g. mpremote connect %s fs ls" % (link, link))
        print("  board flash: %s" % flash)
        print("  console log: %s" % board.log_path)
        print("  next:        smsgate install --port %s --board unix" % link)

    def down():
        board.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    return serve(up, lambda: board.alive, down)
