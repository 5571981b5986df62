"""CPython stand-in for MicroPython's built-in `micropython` module.

The firmware's pure modules (the codec, config checks) import on the host unchanged:
`from micropython import const` finds this module there. On a board, and on the MicroPython unix
port, the built-in module wins; this one is never installed on a board.
"""


def const(x):
    """Return `x`: MicroPython folds `const()` at compile time; CPython just uses the value."""
    return x
