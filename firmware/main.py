# Board entry point: boot the firmware slot that /fw/state names, then start the SMS gateway
# (everything lives in smsgw.app). Over-the-air updates (smsgw.net.ota) keep two slots, /fw/a and
# /fw/b, beside what `smsgate install` writes at the root ("root"). This file is never replaced by
# an update: it must decide which slot to import before any of them is imported.
import gc
import sys


def _slot():
    import json
    import os

    try:
        with open("/fw/state") as f:
            st = json.load(f)
    except (OSError, ValueError):
        return "root"
    if st.get("trying"):  # a new version on probation
        st["boots"] = st.get("boots", 0) + 1
        if st["boots"] > 2:  # never confirmed: it crashed, hung (watchdog) or lost power twice
            st = {"run": st.get("prev", "root"), "prev": st.get("run"),
                  "last": {"from": st.get("from"), "to": st.get("to"), "result": "rolled back",
                           "reason": "not confirmed after 2 boots"}}
        with open("/fw/state.tmp", "w") as f:
            json.dump(st, f)
        os.rename("/fw/state.tmp", "/fw/state")
    return st.get("run", "root")


_run = _slot()
if _run != "root":
    sys.path[:0] = ["/fw/" + _run, "/fw/" + _run + "/lib"]
del _run, _slot
gc.collect()
from smsgw import app  # noqa: E402

gc.collect()
app.main("/config.json")
