# The one config-checking vocabulary: config.py, the optional features' validate() (webhooks,
# mqtt, email: check_section) and the alert unit (through alert/util) say the same things the
# same way; every error names the dotted key. Kept apart from config.py so a feature validating
# its section does not load the whole schema.
from smsgw.errors import ConfigError


def check_dict(value, key, allowed):
    """`value` must be an object whose keys are all in `allowed`; returns it."""
    if not isinstance(value, dict):
        raise ConfigError(key, "must be an object")
    for k in value:
        if k not in allowed:
            raise ConfigError("%s.%s" % (key, k) if key else k, "unknown key")
    return value


def check_int(value, key, lo, hi, integer=True):
    """`value` must be an integer (any number when not `integer`) in lo..hi; returns it."""
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        raise ConfigError(key, "must be an integer" if integer else "must be a number")
    if not lo <= value <= hi:
        raise ConfigError(key, "must be %s..%s" % (lo, hi))
    return value


def check_len(value, key, lo, hi):
    """`value` must be a string of lo..hi characters; returns it."""
    if not isinstance(value, str):
        raise ConfigError(key, "must be a string")
    if not lo <= len(value) <= hi:
        raise ConfigError(key, "must be %d..%d characters" % (lo, hi))
    return value


def check_section(value, key, defaults, nums, check_other):
    """Return `value` merged over `defaults`, or raise ConfigError naming the key.

    It must be an object of known keys; numbers in `nums` ({key: (lo, hi)}) must lie in range;
    every other key goes to `check_other(name, k, v)`, which raises ConfigError.
    """
    check_dict(value, key, defaults)
    out = dict(defaults)
    for k, v in value.items():
        name = "%s.%s" % (key, k)
        if k in nums:
            check_int(v, name, nums[k][0], nums[k][1], False)
        else:
            check_other(name, k, v)
        out[k] = v
    return out
