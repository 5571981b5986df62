# Flash writes that survive a power cut: the firmware's one temp-file-and-rename writer and one
# line appender, and the JSON state files' reader and writer. Used by every layer (queue, net,
# alert, log), so it lives at the top.
import os


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def makedirs(path):
    """Create `path` and its missing parents (os.makedirs is not in MicroPython)."""
    cur = ""
    for part in path.split("/"):
        if not part:
            cur = "/" if not cur else cur
            continue
        cur = cur + part if cur.endswith("/") or not cur else cur + "/" + part
        if not exists(cur):
            os.mkdir(cur)


def chunks(path, size=512):
    """Yield the file `path` in pieces through one buffer of `size` bytes (each piece is a
    memoryview of it, valid until the next): opened at the first next(), closed at the end or
    when the generator is closed."""
    buf = bytearray(size)
    mv = memoryview(buf)
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                return
            yield mv[:n]


def write_atomic(path, data):
    """Replace `path` with `data` (bytes, or fn(f) that writes into the open binary file) so a
    crash leaves the old or the new content, never a mix: the firmware's one temp + rename."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        if callable(data):
            data(f)
        else:
            f.write(data)
    rename(tmp, path)


def read_json(path, default=None):
    """The JSON value in `path`; `default` when the file is missing or unreadable, or (when a
    default is given) holds another type than the default's: the firmware's state files are
    small and a torn or foreign one must not stop a boot."""
    import json

    try:
        with open(path) as f:
            value = json.loads(f.read())  # json.load(f) reads a byte per call
    except (OSError, ValueError):
        return default
    if default is not None and type(value) is not type(default):
        return default
    return value


def write_json(path, value):
    """Replace the JSON file `path` with `value`, atomically (see write_atomic), written while
    it is serialised (MicroPython's json.dump writes piece by piece): the heap never holds the
    whole text, nor its encoded copy (a POST near the heap's limit failed there)."""
    import json

    write_atomic(path, lambda f: json.dump(value, f))


def append(path, data):
    """Append `data` (bytes or str ending in a newline) to the line file `path`. A torn last
    line (a power cut mid-append) is cut off first, so the new record never glues onto it."""
    if isinstance(data, str):
        data = data.encode()
    try:
        f = open(path, "r+b")
    except OSError:  # no file yet
        f = open(path, "wb")
    with f:
        n = f.seek(0, 2)
        torn = False
        if n:
            f.seek(n - 1)
            torn = f.read(1) != b"\n"
        if torn:
            f.seek(0)
            old = f.read()
        else:
            f.write(data)
    if torn:  # rare (after a power cut): rewrite the complete lines plus the new one
        write_atomic(path, old[: old.rfind(b"\n") + 1] + data)


def rename(src, dst):
    """os.rename that also works on the unix port's VfsPosix mounted at "/" (its rename fails
    with ENOENT for an absolute destination; relative to "/" it works)."""
    try:
        os.rename(src, dst)
    except OSError:
        if not dst.startswith("/") or os.getcwd() != "/":
            raise
        os.rename(src, dst[1:])
