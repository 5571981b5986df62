# Which firmware slot runs: "root" (what `smsgate install` wrote at /) or an over-the-air slot
# (/fw/a, /fw/b). /fw/state is written by net/ota.py; main.py reads it on its own before anything
# of a slot is imported (it cannot import this module from a slot it has not chosen yet).
STATE = "/fw/state"


def read_state():
    """The slot state ({} when there is none or it cannot be read)."""
    from smsgw.fsutil import read_json

    return read_json(STATE, {})


def slot_dir(slot):
    """The directory that holds `slot`'s code ("" for the root install)."""
    return "" if slot in (None, "root") else "/fw/" + slot


def code_dir():
    """The directory of the running firmware's files (smsgw/, boards/, lib/, www/)."""
    return slot_dir(read_state().get("run"))
