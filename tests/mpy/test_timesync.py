# The clock keeper's AT+CCLK? reading: local time and zone to UTC, "no time yet" answers.
from smsgw.net.timesync import parse_cclk


def test_cclk_local_time_and_zone_to_utc():
    assert parse_cclk('+CCLK: "26/12/02,14:03:11+00"') == (2026, 12, 2, 14, 3, 11)
    assert parse_cclk('+CCLK: "26/12/02,14:03:11+08"') == (2026, 12, 2, 12, 3, 11)  # UTC+2
    assert parse_cclk('+CCLK: "26/12/02,14:03:11-20"') == (2026, 12, 2, 19, 3, 11)  # UTC-5
    # the zone rolls the date back over a new year
    assert parse_cclk('+CCLK: "27/01/01,00:30:00+04"') == (2026, 12, 31, 23, 30, 0)


def test_cclk_without_time_is_none():
    for line in ('+CCLK: "04/01/01,00:00:07+00"',  # SIM800 before network time
                 '+CCLK: "80/01/06,00:01:02+00"',  # SIM7600: the GPS epoch
                 '+CCLK: "26/13/02,14:03:11+00"', '+CCLK: ""', "+CCLK: 26/12/02", "OK"):
        assert parse_cclk(line) is None, line
