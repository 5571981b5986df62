# Tiny logger: prints, and appends to a bounded flash log (/log.txt, one rotation to /log.1.txt)
# that `smsgate logs` reads. No `logging` module on the board; keep it this small.
import time

_path = None
_max = 8192
debug = False


def setup(path, max_bytes=8192, dbg=False):
    """Send log lines to `path` too (None: print only); rotate once past `max_bytes`."""
    global _path, _max, debug
    _path = path
    _max = max_bytes
    debug = dbg


def _write(t, level, msg):
    if not _path:
        return
    try:
        with open(_path, "a") as f:
            print(t, level, msg, file=f)
            full = f.seek(0, 2) > _max  # its size: os.stat's tuple costs 3x the heap
        if full:
            from smsgw.fsutil import rename

            rename(_path, _path[:-4] + ".1.txt")
    except OSError:
        pass  # a full or absent flash must never stop the gateway


def log(level, fmt, *args):
    # Logging runs in error paths, often because the heap is short, so it never raises: a
    # MemoryError out of an `except` block ended the inbox's task, and the board reset. No
    # line is built: print() writes the parts (the time formatted on the C stack), so a line
    # without arguments needs heap for the open file only (a fatal path's last words).
    try:
        msg = (fmt % args) if args else fmt
        t = int(time.time())  # the port's epoch (logs_api); a float on the unix port
        print(t, level, msg)
        _write(t, level, msg)
    except MemoryError:
        pass  # the line is lost; what it reported is counted where it happened


def info(fmt, *args):
    log("I", fmt, *args)


def warn(fmt, *args):
    log("W", fmt, *args)


def error(fmt, *args):
    log("E", fmt, *args)


def dprint(fmt, *args):
    if debug:
        print(fmt % args if args else fmt)


def exc(msg, e):
    """Log an exception with its traceback (flash log too)."""
    import sys
    import io

    try:
        buf = io.StringIO()
        if hasattr(sys, "print_exception"):
            sys.print_exception(e, buf)  # pyright: ignore[reportArgumentType] (stubs: no StringIO)
        else:  # CPython
            import traceback  # pyright: ignore[reportMissingImports] (not on the port)

            traceback.print_exception(type(e), e, e.__traceback__, file=buf)
        text = buf.getvalue()  # pyright: ignore[reportAttributeAccessIssue] (stubs)
    except MemoryError:  # no room for the traceback: the exception's own text at least
        text = e
    error("%s: %s", msg, text)
