"""The virtual board: the MicroPython unix port behaving like an ESP32 with MicroPython.

`VirtualBoard` runs `micropython` with a host folder as the board's flash mounted at `/`,
`sys.path` like the ESP32, then boot.py and main.py. With `repl_link`, its REPL is exposed on a
pty (a symlink at that path) that mpremote can use like a board's USB serial port.
"""

from smsgate.vboard.board import HARD_RESET, SOFT_RESET, VirtualBoard

__all__ = ["HARD_RESET", "SOFT_RESET", "VirtualBoard"]
