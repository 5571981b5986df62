# Carrier limits as the outbox's pacer: per-minute and per-day segment caps, quiet hours and a
# pause between messages (interval_min_s..interval_max_s, random: android-sms-gateway's
# send_interval_min/max, set through PATCH /settings).
# Priority messages (>= PRIORITY) are never delayed but still count against the caps.
# Held messages are not dropped: the outbox keeps them in its durable queue and asks again.
from smsgw.clock import is_set, local_seconds, ticks_add, ticks_diff, ticks_ms
from smsgw.errors import ConfigError
from smsgw.fsutil import read_json, write_json

PRIORITY = 100  # outbox priority from which messages go first and past pacing
_MINUTE_MS = 60000
_DAY_S = 86400
_MAX_WINDOW = 64  # entries kept for the per-minute window (bounded RAM)
KEYS = ("per_minute", "per_day", "quiet_hours", "utc_offset_min", "interval_min_s",
        "interval_max_s")


def parse_quiet(text, key="limits.quiet_hours"):
    """'22:00-07:00' -> (start_minute, end_minute) of the day; may wrap midnight.

    Raises:
        ConfigError: not HH:MM-HH:MM, or an empty range.
    """
    try:
        a, b = text.split("-")
        start, end = _minute(a), _minute(b)
    except (ValueError, AttributeError):
        raise ConfigError(key, "must be 'HH:MM-HH:MM'")
    if start == end:
        raise ConfigError(key, "empty range")
    return start, end


def _minute(hhmm):
    h, m = hhmm.strip().split(":")
    if len(m) != 2 or not (h.isdigit() and m.isdigit()):
        raise ValueError(hhmm)
    h, m = int(h), int(m)
    if h > 23 or m > 59:
        raise ValueError(hhmm)
    return h * 60 + m


def validate(value, key="limits"):
    """Check the `limits` section. Raises ConfigError naming the key."""
    from smsgw.section import check_dict, check_int  # here: section leaves after boot

    check_dict(value, key, KEYS)
    check_int(value.get("per_minute", 0), key + ".per_minute", 0, 1000)
    check_int(value.get("per_day", 0), key + ".per_day", 0, 100000)
    check_int(value.get("utc_offset_min", 0), key + ".utc_offset_min", -840, 840)
    lo = check_int(value.get("interval_min_s", 0), key + ".interval_min_s", 0, 3600)
    hi = check_int(value.get("interval_max_s", 0), key + ".interval_max_s", 0, 3600)
    if hi and hi < lo:
        raise ConfigError(key + ".interval_max_s", "must be >= interval_min_s")
    q = value.get("quiet_hours")
    if q not in (None, ""):
        parse_quiet(q, key + ".quiet_hours")
    return value


class Pacer:
    """The outbox's pacing hook (0 = unlimited for each cap).

    Args:
        cfg: the validated `limits` section.
        ticks: monotonic milliseconds (injectable; default time.ticks_ms).
        clock: local wall seconds (injectable; default Unix time + utc_offset_min).
        state_path: small JSON file keeping today's segment count across reboots (one write
            per message sent, the same order as the outbox's own journal writes).
    """

    def __init__(self, cfg, ticks=None, clock=None, state_path=None):
        self.per_minute = cfg.get("per_minute", 0)
        self.per_day = cfg.get("per_day", 0)
        q = cfg.get("quiet_hours")
        self.quiet = parse_quiet(q) if q else None
        self.gap = (cfg.get("interval_min_s", 0), cfg.get("interval_max_s", 0))
        self._next_ok = None  # ticks_ms before which no message goes (the pause after the last)
        self._ticks = ticks or ticks_ms
        self._clock = clock or local_seconds
        self._window = []  # [ticks_ms, segments] of the last minute, oldest first
        self._day = None
        self.day_count = 0
        self.held = 0  # how many times a message was asked to wait (health)
        self.quiet_unknown = 0  # quiet hours not applied: the clock was unset (health)
        self._path = state_path
        if state_path and self.per_day:
            saved = read_json(state_path)
            if isinstance(saved, list) and len(saved) == 2:
                self._day, self.day_count = saved
                self._roll_day()  # a new day since the save: starts from 0

    def delay_ms(self, segments, priority=0):
        """Milliseconds to wait before sending `segments` more (0 = go now)."""
        if priority >= PRIORITY:
            return 0
        d = max(self._quiet_ms(), self._minute_ms(segments), self._daily_ms(segments),
                self._gap_ms())
        if d:
            self.held += 1
        return d

    def record(self, segments, priority=0):
        """Count `segments` just handed to the modem."""
        now = self._ticks()
        self._prune(now)
        if len(self._window) >= _MAX_WINDOW:  # fold the oldest two: keeps RAM bounded
            t, n = self._window.pop(0)
            self._window[0][1] += n
        self._window.append([now, segments])
        lo, hi = self.gap
        if hi or lo:
            import os

            pause = lo + (max(hi, lo) - lo) * os.urandom(1)[0] / 255
            self._next_ok = ticks_add(now, int(pause * 1000))
        self._roll_day()
        self.day_count += segments
        if self._path and self.per_day:
            write_json(self._path, [self._day, self.day_count])

    def _gap_ms(self):
        if self._next_ok is None:
            return 0
        return max(0, ticks_diff(self._next_ok, self._ticks()))

    def minute_count(self):
        self._prune(self._ticks())
        return sum(n for _, n in self._window)

    def _prune(self, now):
        w = self._window
        while w and ticks_diff(now, w[0][0]) >= _MINUTE_MS:
            w.pop(0)

    def _minute_ms(self, segments):
        if not self.per_minute:
            return 0
        now = self._ticks()
        self._prune(now)
        used = sum(n for _, n in self._window)
        if used + segments <= self.per_minute or not self._window:
            return 0  # an empty window always lets one message through, even a long one
        # wait until enough of the oldest entries leave the window
        need = used + segments - self.per_minute
        for t, n in self._window:
            need -= n
            if need <= 0:
                return max(1, _MINUTE_MS - ticks_diff(now, t))
        return _MINUTE_MS

    def _roll_day(self):
        day = self._clock() // _DAY_S
        if day != self._day:
            self._day = day
            self.day_count = 0

    def _daily_ms(self, segments):
        if not self.per_day:
            return 0
        self._roll_day()
        if self.day_count + segments <= self.per_day or (self.day_count == 0):
            return 0
        return (_DAY_S - self._clock() % _DAY_S) * 1000

    def _quiet_ms(self):
        if not self.quiet:
            return 0
        if not is_set():  # the local time is unknown: sending beats holding forever
            self.quiet_unknown += 1
            return 0
        start, end = self.quiet
        now_s = self._clock() % _DAY_S
        m = now_s // 60
        inside = (start <= m < end) if start < end else (m >= start or m < end)
        if not inside:
            return 0
        return ((end * 60 - now_s) % _DAY_S) * 1000
