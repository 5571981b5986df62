# Times while the board's clock is unset: a received SMS is dated by its network timestamp
# (smsgw.scts), the sent/delivered/... event times are null rather than a year-2000 reading.
from smsgw import clock, events, scts
from smsgw.queue import sms_events
from smsgw.queue.journal import DELIVERED, PENDING, SENT


def test_network_timestamps_in_unix_seconds():
    assert scts.unix("1970-01-01T00:00:00+00:00") == 0
    assert scts.unix("2000-01-01T00:00:00+00:00") == 946684800
    assert scts.unix("2026-12-02T15:04:05+01:00") == 1796220245  # the zone is taken off
    assert scts.unix("2024-02-29T23:59:59-02:30") == 1709260199  # a leap day, a western zone
    assert scts.unix("2024-03-01T00:00:00+00:00") == 1709251200
    for bad in (None, "", "2024-13-01T00:00:00+00:00", "2024-03-01T00:00:00Z"):
        assert scts.unix(bad) is None, bad


class _Journal:
    meta = {"to": ["+15550001"], "id": "m1"}
    rs = [[2]]

    def why(self, r):
        return None


def test_event_times_are_null_while_the_clock_is_unset():
    got = []

    def take(name, payload):
        got.append(payload)

    events.subscribe(take)
    was = clock.source
    try:
        clock.source = "none"
        sms_events.outgoing(_Journal(), 0, PENDING, SENT)
        sms_events.outgoing(_Journal(), 0, SENT, DELIVERED)
        assert got[0]["sentAt"] is None and got[1]["deliveredAt"] is None, got
        clock.source = "rtc"
        sms_events.outgoing(_Journal(), 0, PENDING, SENT)
        assert got[2]["sentAt"].endswith("Z") and not got[2]["sentAt"].startswith("2000"), got
    finally:
        clock.source = was
        events.unsubscribe(take)
