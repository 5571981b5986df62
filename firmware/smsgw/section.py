# An optional feature's config section merged over its defaults (webhooks, mqtt): one checker,
# kept apart from config.py so a feature validating its section does not load the whole schema.
from smsgw.errors import ConfigError


def check_section(value, key, defaults, nums, check_other):
    """Return `value` merged over `defaults`, or raise ConfigError naming the key.

    It must be an object of known keys; numbers in `nums` ({key: (lo, hi)}) must lie in range;
    every other key goes to `check_other(name, k, v)`, which raises ConfigError.
    """
    if not isinstance(value, dict):
        raise ConfigError(key, "must be an object")
    out = dict(defaults)
    for k, v in value.items():
        name = "%s.%s" % (key, k)
        if k not in defaults:
            raise ConfigError(name, "unknown key")
        if k in nums:
            lo, hi = nums[k]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
                raise ConfigError(name, "must be a number in %s..%s" % (lo, hi))
        else:
            check_other(name, k, v)
        out[k] = v
    return out
