# The alert unit's config checks (config.py's OPTIONAL points each section here): validate
# dispatches to one function per section (rules, commands, relays, heartbeat; `limits` has its
# own in alert/limits.py, which PATCH /settings uses at run time too), and check_config checks
# across sections. They run when a config is loaded or changed, also on the host, not while the
# unit runs, so alert.start forgets this module. Every error names the dotted key.
from smsgw.alert import util
from smsgw.errors import ConfigError
from smsgw.section import check_dict, check_int

SECTIONS = ("rules", "commands", "relays", "limits", "heartbeat")
MAX_RULES = 16
_RULE_KEYS = ("name", "pin", "adc", "pull", "active", "debounce_ms", "threshold", "hysteresis",
              "direction", "message", "normal_message", "recipients", "ack_window_s",
              "cooldown_s")
_COMMAND_KEYS = ("allow", "max_attempts", "window_s", "balance_ussd", "reboot_delay_s")
_HEARTBEAT_KEYS = ("boot", "interval_s", "sms", "event", "recipients", "message",
                   "boot_message", "under_voltage", "under_voltage_message")


def validate(value, key):
    """Check one of the alert unit's config sections; `key` is its (dotted) name.

    Raises:
        ConfigError: naming the offending key, e.g. "rules.0.recipients.1".
    """
    name = key[key.rfind(".") + 1 :]
    if name not in SECTIONS:
        raise ConfigError(key, "not an alert section")
    if name == "limits":  # its module's own (PATCH /settings checks it at run time)
        from smsgw.alert.limits import validate as check
    else:
        check = globals()[name]
    return check(value, key)


def check_config(cfg):
    """Across sections: a rule's input pin must not also be a relay output."""
    relay_pins = list(cfg.get("relays", {}).values())
    for i, r in enumerate(cfg.get("rules", ())):
        if r.get("pin") in relay_pins:
            raise ConfigError("rules.%d.pin" % i, "pin is also a relay output")


def rules(value, key="rules"):
    """Check the `rules` section (a list of rule objects). Raises ConfigError naming the key."""
    if not isinstance(value, list) or len(value) > MAX_RULES:
        raise ConfigError(key, "must be a list of at most %d rules" % MAX_RULES)
    names = []
    for i, r in enumerate(value):
        k = "%s.%d" % (key, i)
        _rule(r, k)
        if r["name"] in names:
            raise ConfigError(k + ".name", "duplicate rule name")
        names.append(r["name"])
    return value


def _rule(r, k):
    check_dict(r, k, _RULE_KEYS)
    if "name" not in r:
        raise ConfigError(k + ".name", "required")
    util.check_str(r["name"], k + ".name", 24)
    if ("pin" in r) == ("adc" in r):
        raise ConfigError(k + ".pin", "give exactly one of pin (digital) or adc (analog)")
    if "pin" in r:
        check_int(r["pin"], k + ".pin", 0, 63)
        if r.get("pull") not in (None, "up", "down", "none"):
            raise ConfigError(k + ".pull", "must be up, down or none")
        check_int(r.get("active", 1), k + ".active", 0, 1)
    else:
        check_int(r["adc"], k + ".adc", 0, 63)
        if "threshold" not in r:
            raise ConfigError(k + ".threshold", "required for an analog rule")
        check_int(r["threshold"], k + ".threshold", -1000000, 1000000)
        check_int(r.get("hysteresis", 0), k + ".hysteresis", 0, 1000000)
        if r.get("direction", "above") not in ("above", "below"):
            raise ConfigError(k + ".direction", "must be above or below")
    check_int(r.get("debounce_ms", 50), k + ".debounce_ms", 0, 60000)
    util.check_str(r.get("message", "x"), k + ".message", 300)
    if r.get("normal_message") is not None:
        util.check_str(r["normal_message"], k + ".normal_message", 300)
    if "recipients" not in r:
        raise ConfigError(k + ".recipients", "required")
    check_numbers(r["recipients"], k + ".recipients")
    check_int(r.get("ack_window_s", 300), k + ".ack_window_s", 1, 7 * 86400)
    check_int(r.get("cooldown_s", 600), k + ".cooldown_s", 0, 30 * 86400)


def commands(value, key="commands"):
    """Check the `commands` section. Raises ConfigError naming the key."""
    check_dict(value, key, _COMMAND_KEYS)
    allow = value.get("allow", {})
    check_dict(allow, key + ".allow", allow)
    if len(allow) > 20:
        raise ConfigError(key + ".allow", "at most 20 numbers")
    from smsgw.alert.totp import b32decode

    for number, secret in allow.items():
        k = "%s.allow.%s" % (key, number)
        util.check_number(number, k)
        util.check_str(secret, k, 128)
        try:
            if len(b32decode(secret)) < 10:
                raise ConfigError(k, "secret too short (at least 16 base32 characters)")
        except ValueError as e:
            raise ConfigError(k, "secret is not base32 (%s)" % e)
    check_int(value.get("max_attempts", 5), key + ".max_attempts", 1, 100)
    check_int(value.get("window_s", 300), key + ".window_s", 1, 86400)
    util.check_str(value.get("balance_ussd", "*100#"), key + ".balance_ussd", 20)
    check_int(value.get("reboot_delay_s", 10), key + ".reboot_delay_s", 0, 600)
    return value


def relays(value, key="relays"):
    """`relays`: {"1": 25, ...} relay number (as text) -> output pin."""
    check_dict(value, key, value)
    for n, pin in value.items():
        if not (isinstance(n, str) and n.isdigit() and 0 < len(n) <= 2):
            raise ConfigError("%s.%s" % (key, n), "relay names are numbers 1..99")
        check_int(pin, "%s.%s" % (key, n), 0, 63)
    return value


def heartbeat(value, key="heartbeat"):
    """Check the `heartbeat` section. Raises ConfigError naming the key."""
    check_dict(value, key, _HEARTBEAT_KEYS)
    for k in ("boot", "sms", "event", "under_voltage"):
        if not isinstance(value.get(k, True), bool):
            raise ConfigError("%s.%s" % (key, k), "must be true or false")
    check_int(value.get("interval_s", 86400), key + ".interval_s", 0, 30 * 86400)
    check_numbers(value.get("recipients", []), key + ".recipients", 0, 10)
    for k in ("message", "boot_message", "under_voltage_message"):
        util.check_str(value.get(k, "x"), "%s.%s" % (key, k), 300)
    return value


def check_numbers(value, key, min_n=1, max_n=10):
    if not isinstance(value, list) or not min_n <= len(value) <= max_n:
        raise ConfigError(key, "must be a list of %d..%d numbers" % (min_n, max_n))
    for i, n in enumerate(value):
        util.check_number(n, "%s.%d" % (key, i))
    return value
