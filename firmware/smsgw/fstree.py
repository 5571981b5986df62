# Directory trees on flash: walk and remove (OTA slots, test scratch directories). Apart from
# smsgw.fsutil so that the core gateway, which never removes a tree, does not carry it.
import os

from smsgw.fsutil import exists


def walk(path):
    """Yield (path, is_dir) of everything below `path`, a directory after its contents (so a
    caller may remove as it goes); nothing when `path` does not exist."""
    try:
        names = os.listdir(path)
    except OSError:
        return
    for n in names:
        p = path + "/" + n
        if os.stat(p)[0] & 0x4000:  # S_IFDIR
            yield from walk(p)
            yield p, True
        else:
            yield p, False


def rmtree(path):
    """Remove the directory `path` and everything below it (nothing to do when missing)."""
    for p, is_dir in walk(path):
        if is_dir:
            os.rmdir(p)
        else:
            os.remove(p)
    if exists(path):
        os.rmdir(path)
