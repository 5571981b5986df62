# Host-only stand-in for `machine` on the virtual board (never deployed to a real board).
# It re-exports the unix port's built-in `machine` and adds what an ESP32 has and the
# virtual board can emulate: reset() ends the interpreter with an exit status the host
# bridge recognises, and the bridge starts the board again (boot.py, then main.py).
import sys

_path = sys.path[:]
_self = sys.modules.pop("machine", None)
sys.path[:] = []  # find the built-in module, not this file
import machine as _builtin  # noqa: E402

sys.path[:] = _path
if _self is not None:
    sys.modules["machine"] = _self
del _path, _self

for _name in dir(_builtin):
    if not _name.startswith("__"):
        globals()[_name] = getattr(_builtin, _name)
del _name

_EXIT_HARD = 90  # exit status: machine.reset() (next boot's cause HARD_RESET, as an ESP32's)
_EXIT_SOFT = 91  # exit status: machine.soft_reset()
# reset_cause() values of the ESP32 port (modmachine.c: brown-out reads as PWRON_RESET,
# machine.reset() and a panic as HARD_RESET, the task watchdog as WDT_RESET)
PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5
_cause = PWRON_RESET


def reset():
    """Hard reset: the interpreter exits and the bridge boots the board again."""
    raise SystemExit(_EXIT_HARD)


def soft_reset():
    """Soft reset, as Ctrl-D in the REPL does on a real board."""
    raise SystemExit(_EXIT_SOFT)


def reset_cause():
    return _cause


def unique_id():
    return b"\x24\x0a\xc4\x00\x00\x01"


def freq(hz=None):
    return 240000000
