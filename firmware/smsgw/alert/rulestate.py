# The rules' states as a reboot left them in the state file: alert/rules.py's Engine loads this
# module when it starts and forgets it after (Rule.dump and Engine.save write the file).
from smsgw.fsutil import read_json


def load(e):
    """Restore each rule of the Engine `e` from its state file (what is missing stays NORMAL)."""
    saved = read_json(e._path, {})
    now = e._ticks()
    for r in e.rules:
        rec = saved.get(r.name)
        if rec and len(rec) in (6, 7):  # 6: saved before the ACK attempt count
            r.st, r.step, r.code, r.deadline, r.last, act = rec[:6]
            r.fails = rec[6] if len(rec) > 6 else 0
            r.active = r.raw = bool(act)
            r.since = now
            # A clock that restarted (no NTP yet) must not stretch a deadline past one window.
            r.deadline = min(r.deadline, e._wall() + r.window)
            if r.last is not None and (e.last_alert is None or r.last > e.last_alert[1]):
                e.last_alert = (r.name, r.last)
