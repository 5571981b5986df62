# smsgw: the gateway firmware package. Pure modules (gsm7, pdu, concat) also import on CPython.
VERSION = "0.1.0"


def forget(name):
    """Forget module `name` (sys.modules and its package's attribute): its heap goes at the next
    collection and the next import loads it again. For modules only boot or a rare request
    needs. Cheap when it is not loaded (the idle sender asks every second)."""
    import sys

    if sys.modules.pop(name, None) is None:
        return
    i = name.rfind(".")
    mod = sys.modules.get(name[:i])
    if mod is not None and name[i + 1:] in dir(mod):
        delattr(mod, name[i + 1:])
