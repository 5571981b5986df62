# RFC 3339 timestamps (validUntil, scheduleAt, the list filters' from / to) to Unix seconds;
# pure, CPython too. Imported only when a request carries one.


def parse(s, name="time"):
    """Unix seconds of an RFC 3339 timestamp ("2026-01-02T03:04:05Z", "+02:00", fraction ok;
    without a zone: UTC, as Python's datetime.isoformat() writes a naive time). ValueError
    names `name`."""
    try:
        if not isinstance(s, str) or len(s) < 19 or s[4] != "-" or s[10] not in "Tt ":
            raise ValueError
        y, mo, d = int(s[0:4]), int(s[5:7]), int(s[8:10])
        h, mi, sec = int(s[11:13]), int(s[14:16]), int(s[17:19])
        rest = s[19:]
        if rest.startswith("."):
            i = 1
            while i < len(rest) and "0" <= rest[i] <= "9":
                i += 1
            rest = rest[i:]
        if rest in ("Z", "z", ""):
            off = 0
        else:
            sign = 1 if rest[0] == "+" else -1 if rest[0] == "-" else 0
            if not sign or len(rest) != 6:
                raise ValueError
            off = sign * (int(rest[1:3]) * 3600 + int(rest[4:6]) * 60)
    except (ValueError, IndexError):
        raise ValueError("%s: an RFC 3339 timestamp" % name)
    return _days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off


def _days(y, m, d):
    # days since 1970-01-01 (proleptic Gregorian; Howard Hinnant's civil algorithm)
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468
