# Host-only stand-in for `os` on the virtual board (never deployed to a real board).
# It re-exports the unix port's built-in `os` and fixes one difference from an ESP32:
# VfsPosix mounted at "/" fails os.rename() when BOTH paths are absolute (ENOENT: the two
# paths share one buffer in the unix port's vfs_posix.c), which the firmware's journals use.
import sys

_path = sys.path[:]
_self = sys.modules.pop("os", None)
sys.path[:] = []  # find the built-in module, not this file
import os as _builtin  # noqa: E402

sys.path[:] = _path
if _self is not None:
    sys.modules["os"] = _self
del _path, _self

for _name in dir(_builtin):
    if not _name.startswith("__"):
        globals()[_name] = getattr(_builtin, _name)
del _name


def rename(old, new):
    """os.rename that also works with two absolute paths on the virtual board's flash."""
    if old[:1] == "/" and new[:1] == "/" and not old.startswith("/dev/"):
        cwd = _builtin.getcwd()
        if cwd == "/":
            return _builtin.rename(old[1:] or ".", new)
        _builtin.chdir("/")
        try:
            return _builtin.rename(old[1:] or ".", new)
        finally:
            _builtin.chdir(cwd)
    return _builtin.rename(old, new)
