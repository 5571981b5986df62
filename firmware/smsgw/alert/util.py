# Small shared helpers of the alert package: clocks (injectable), the message templates, the
# string and phone-number checks (the sections' checks are alert/checks.py), the command
# counters. No state: it is loaded with the modules that use it (alerting, commands, heartbeat,
# inbound, setup, checks) and forgotten with them.
# Imports on CPython too (config validation runs on the host during `smsgate provision`).
from smsgw import clock
from smsgw.clock import ticks_add, ticks_diff, ticks_ms  # noqa: F401 (util.ticks_*)
from smsgw.errors import ConfigError


def fill(template, fields):
    """Replace {device} {name} {value} {time} (only those; other braces stay as written)."""
    for k in fields:
        template = template.replace("{" + k + "}", str(fields[k]))
    return template


def count_commands(counters):
    """The command counters of /health (alert/commands.py's Auth counts them), from boot on."""
    for k in ("cmd_accepted", "cmd_unknown_number", "cmd_bad_code", "cmd_replayed",
              "cmd_rate_limited", "cmd_malformed", "cmd_no_clock"):
        counters.setdefault(k, 0)


def wall():
    """Unix seconds from the board's RTC, set or not (smsgw.clock: escalation deadlines and
    reply ids; what needs the true time asks clock.now())."""
    return clock.unix()


def uptime(seconds):
    """'3d04h05m', '4h05m' or '5m12s'."""
    d, s = divmod(int(seconds), 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    if d:
        return "%dd%02dh%02dm" % (d, h, m)
    if h:
        return "%dh%02dm" % (h, m)
    return "%dm%02ds" % (m, s)


def fmt_time(t):
    """'YYYY-MM-DD HH:MM:SS' of local Unix seconds `t`; says so while the clock is unset."""
    if not clock.is_set():
        return "(clock not set)"
    return "%04d-%02d-%02d %02d:%02d:%02d" % clock.gmtime(t)[:6]


# --- checks the commands' parsing needs too (the sections' checks: alert/checks.py) --------


def check_str(value, key, max_len=160, empty=False):
    if not isinstance(value, str):
        raise ConfigError(key, "must be a string")
    if len(value) > max_len or (not empty and not value):
        raise ConfigError(key, "must be 1..%d characters" % max_len)
    return value


def check_number(value, key):
    """A phone number in international format: '+' and 3..15 digits (E.164)."""
    check_str(value, key, 16)
    if value[0] != "+" or not (4 <= len(value) <= 16) or not value[1:].isdigit():
        raise ConfigError(key, "must be an international number like +15550000001")
    return value
