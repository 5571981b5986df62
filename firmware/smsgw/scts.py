# The SMS's own network timestamp (TP-SCTS: "YYYY-MM-DDTHH:MM:SS+HH:MM", local time and its UTC
# offset, as codec/tpread.py reads it) as Unix seconds. It dates a message received while
# the board's clock is unset (smsgw/clock.py), instead of the RTC's year 2000; imported only
# then. Plain arithmetic: the ports' time.mktime differ (the unix port's reads the host's zone).


def unix(ts):
    """Unix seconds of the timestamp `ts`, or None when it is not one."""
    try:
        y, mo, d = int(ts[0:4]), int(ts[5:7]), int(ts[8:10])
        h, mi, s = int(ts[11:13]), int(ts[14:16]), int(ts[17:19])
        off = (int(ts[20:22]) * 60 + int(ts[23:25])) * 60
        sign = ts[19]
    except (TypeError, ValueError, IndexError):
        return None
    if sign not in "+-" or not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    # days since 1970-01-01: count years from March, so that a leap day ends its year
    y -= mo <= 2
    mo += -3 if mo > 2 else 9  # March = 0 .. February = 11
    days = y * 365 + y // 4 - y // 100 + y // 400 + (153 * mo + 2) // 5 + d - 719469
    return days * 86400 + h * 3600 + mi * 60 + s - (off if sign == "+" else -off)
