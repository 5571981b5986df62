# Carrier limits (the outbox pacer) with injected clocks: caps, quiet hours, priority, config.
from fsutil import scratch
from smsgw.alert import limits
from smsgw.errors import ConfigError


class Clock:
    def __init__(self, ms=0, wall=0):
        self.ms = ms
        self.wall = wall

    def ticks(self):
        return self.ms

    def clock(self):
        return self.wall

    def advance(self, s):
        self.ms += int(s * 1000)
        self.wall += int(s)


def _pacer(cfg, wall=12 * 3600):
    c = Clock(1000, wall)
    return limits.Pacer(cfg, ticks=c.ticks, clock=c.clock), c


def _send_while_allowed(p, c, total, segs=1, step_s=1):
    """Simulate the outbox: send when delay is 0, otherwise wait the asked time."""
    sent_at = []
    while len(sent_at) < total:
        d = p.delay_ms(segs, 0)
        if d:
            c.advance(max(d // 1000, step_s) if d >= 1000 else step_s)
            continue
        p.record(segs)
        sent_at.append(c.ms)
    return sent_at


def test_no_limits_never_delays():
    p, c = _pacer({})
    for _ in range(100):
        assert p.delay_ms(3, 0) == 0
        p.record(3)


def test_per_minute_cap_spreads_a_burst():
    p, c = _pacer({"per_minute": 6})
    times = _send_while_allowed(p, c, 20)
    # never more than 6 in any 60 s window, and nothing lost
    assert len(times) == 20
    for i in range(len(times) - 6):
        assert times[i + 6] - times[i] >= 60000, (i, times)
    # the first 6 go at once, the 7th waits about a minute
    assert times[5] == times[0]
    assert 59000 <= times[6] - times[0] <= 61000


def test_per_minute_delay_is_exact_for_the_oldest():
    p, c = _pacer({"per_minute": 2})
    p.record(1)
    c.advance(20)
    p.record(1)
    assert p.delay_ms(1, 0) == 40000  # first entry leaves the window 60 s after it was sent
    c.advance(40)
    assert p.delay_ms(1, 0) == 0


def test_multipart_counts_segments_and_long_message_not_stuck():
    p, c = _pacer({"per_minute": 6})
    p.record(4)
    assert p.delay_ms(3, 0) > 0  # 4 + 3 > 6
    assert p.delay_ms(2, 0) == 0
    c.advance(61)
    assert p.delay_ms(9, 0) == 0  # longer than the cap: goes alone in an empty window


def test_priority_bypasses_but_counts():
    p, c = _pacer({"per_minute": 2, "quiet_hours": "00:00-23:59"})
    assert p.delay_ms(1, 100) == 0
    p.record(1)
    p.record(1)
    assert p.minute_count() == 2
    assert p.delay_ms(1, 127) == 0
    assert p.delay_ms(1, 99) > 0


def test_per_day_cap_waits_for_midnight():
    p, c = _pacer({"per_day": 3}, wall=10 * 86400 + 23 * 3600)  # 23:00
    for _ in range(3):
        assert p.delay_ms(1, 0) == 0
        p.record(1)
    assert p.delay_ms(1, 0) == 3600 * 1000
    c.advance(3600)  # midnight: a new day
    assert p.delay_ms(1, 0) == 0


def test_quiet_hours_wrapping_midnight():
    q = {"quiet_hours": "22:00-07:00"}
    day = 20 * 86400
    for hhmm, want_s in (("21:59", 0), ("22:00", 9 * 3600), ("23:30", 7.5 * 3600),
                         ("00:00", 7 * 3600), ("06:59", 60), ("07:00", 0), ("12:00", 0)):
        h, m = hhmm.split(":")
        p, c = _pacer(q, wall=day + int(h) * 3600 + int(m) * 60)
        assert p.delay_ms(1, 0) == int(want_s * 1000), hhmm
        assert p.delay_ms(1, 100) == 0, hhmm


def test_quiet_hours_not_applied_while_the_clock_is_unset():
    from smsgw import clock

    p, c = _pacer({"quiet_hours": "00:00-23:59"})
    was = clock.source
    clock.source = "none"
    try:
        assert p.delay_ms(1, 0) == 0 and p.quiet_unknown == 1
    finally:
        clock.source = was
    assert p.delay_ms(1, 0) > 0


def test_quiet_hours_same_day_range():
    p, c = _pacer({"quiet_hours": "12:00-13:00"}, wall=12 * 3600 + 1800)
    assert p.delay_ms(1, 0) == 1800 * 1000
    p, c = _pacer({"quiet_hours": "12:00-13:00"}, wall=13 * 3600)
    assert p.delay_ms(1, 0) == 0


def test_window_ram_is_bounded():
    p, c = _pacer({"per_minute": 1000})
    for _ in range(500):
        p.record(1)
    assert len(p._window) <= 64
    assert p.minute_count() == 500


def test_ticks_wrap_is_handled():
    import time

    if not hasattr(time, "ticks_add"):
        return
    c = Clock(time.ticks_add(0, -10000), 0)
    p = limits.Pacer({"per_minute": 1}, ticks=c.ticks, clock=c.clock)
    p.record(1)
    c.ms = time.ticks_add(c.ms, 30000)  # crosses the wrap point
    assert p.delay_ms(1, 0) == 30000


def test_day_count_survives_a_reboot():
    import os

    path = scratch("limits") + "/day.json"  # not a fixed /tmp name: runs may overlap
    c = Clock(0, 5 * 86400 + 3600)
    p = limits.Pacer({"per_day": 3}, ticks=c.ticks, clock=c.clock, state_path=path)
    p.record(2)
    p2 = limits.Pacer({"per_day": 3}, ticks=c.ticks, clock=c.clock, state_path=path)
    assert p2.day_count == 2 and p2.delay_ms(2, 0) > 0 and p2.delay_ms(1, 0) == 0
    c.wall += 86400  # the next day: the saved count is stale
    p3 = limits.Pacer({"per_day": 3}, ticks=c.ticks, clock=c.clock, state_path=path)
    assert p3.day_count == 0
    os.remove(path)


def _err(value):
    try:
        limits.validate(value, "limits")
    except ConfigError as e:
        return e.key
    return None


def test_validate_names_the_key():
    assert _err({"per_minute": 6, "per_day": 500, "quiet_hours": "22:00-07:00"}) is None
    assert _err({"per_minute": -1}) == "limits.per_minute"
    assert _err({"per_minute": "6"}) == "limits.per_minute"
    assert _err({"per_day": True}) == "limits.per_day"
    assert _err({"quiet_hours": "22-07"}) == "limits.quiet_hours"
    assert _err({"quiet_hours": "25:00-07:00"}) == "limits.quiet_hours"
    assert _err({"quiet_hours": "07:00-07:00"}) == "limits.quiet_hours"
    assert _err({"per_hour": 3}) == "limits.per_hour"
    assert _err([1]) == "limits"


def test_pause_between_messages_within_its_range():
    p, c = _pacer({"interval_min_s": 2, "interval_max_s": 4})
    assert p.delay_ms(1, 0) == 0  # nothing sent yet
    p.record(1)
    d = p.delay_ms(1, 0)
    assert 2000 <= d <= 4000, d
    assert p.delay_ms(1, 100) == 0  # priority skips the pause (android-sms-gateway's >= 100)
    c.advance(4)
    assert p.delay_ms(1, 0) == 0
    sent = _send_while_allowed(p, c, 5)
    gaps = [b - a for a, b in zip(sent, sent[1:])]
    assert all(2000 <= g <= 5000 for g in gaps), gaps


def test_pause_range_is_checked():
    for cfg, key in (({"interval_min_s": -1}, "limits.interval_min_s"),
                     ({"interval_min_s": 5, "interval_max_s": 2}, "limits.interval_max_s")):
        try:
            limits.validate(cfg)
        except ConfigError as e:
            assert e.key == key, e.key
        else:
            raise AssertionError(cfg)
