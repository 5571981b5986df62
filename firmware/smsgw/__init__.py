# smsgw: the gateway firmware package. Pure modules (gsm7, pdu, concat) also import on CPython.
VERSION = "0.1.0"


def forget(*names):
    """Forget each module of `names` (sys.modules and its package's attribute): its heap goes at
    the next collection and the next import loads it again. For modules only boot or a rare
    request needs. Cheap when one is not loaded (the idle sender asks every second)."""
    import sys

    for name in names:
        if sys.modules.pop(name, None) is None:
            continue
        i = name.rfind(".")
        mod = sys.modules.get(name[:i])
        if mod is not None and name[i + 1:] in dir(mod):
            delattr(mod, name[i + 1:])


def unloaded(*names):
    """Those of `names` not imported now: what a use about to load them forgets after it
    (`forget(*unloaded(...))`). One that something resident imported stays: forgotten, the
    next import would load a second copy beside the one still in use."""
    import sys

    return [n for n in names if n not in sys.modules]


def call_loaded(name, fn, *args):
    """`fn(*args)` of module `name`, loaded for this call and forgotten after it (unless it was
    loaded before): code that runs rarely (boot's, a state change's, a file's upkeep, a
    cancel) stays on the flash between its uses."""
    fresh = unloaded(name)
    mod = __import__(name, None, None, [fn])
    try:
        return getattr(mod, fn)(*args)
    finally:
        forget(*fresh)
