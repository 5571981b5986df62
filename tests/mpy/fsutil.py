# Test helpers for firmware tests: scratch directories on the host filesystem.
import os

_n = [0]


def rmtree(path):
    try:
        entries = os.listdir(path)
    except OSError:
        return
    for name in entries:
        p = path + "/" + name
        try:
            os.remove(p)
        except OSError:
            rmtree(p)
    os.rmdir(path)


def scratch(tag):
    """A fresh empty directory under /tmp, unique to this process and call."""
    _n[0] += 1
    tok = "".join("%02x" % b for b in os.urandom(4))
    path = "/tmp/smsgw-%s-%s-%d" % (tag, tok, _n[0])
    rmtree(path)
    os.mkdir(path)
    return path
