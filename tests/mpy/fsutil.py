# Test helpers for firmware tests: scratch directories on the host filesystem.
import os

from smsgw.fstree import rmtree

_n = [0]


def scratch(tag):
    """A fresh empty directory under /tmp, unique to this process and call."""
    _n[0] += 1
    tok = "".join("%02x" % b for b in os.urandom(4))
    path = "/tmp/smsgw-%s-%s-%d" % (tag, tok, _n[0])
    rmtree(path)
    os.mkdir(path)
    return path
