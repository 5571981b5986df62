# The `webhooks` config section: its defaults and checks, apart from net/webhooks.py so that
# validating the section (config at boot, a PATCH /settings) or showing its values (GET
# /settings) does not load the delivery machinery (~20 KB of heap).

DEFAULTS = {
    "signing_key": None,
    "retry_count": 14,  # tries in all, as android-sms-gateway
    "retry_base_s": 10,  # first retry delay; doubles each try
    "retry_max_s": 86400,  # cap on one retry delay
    "timeout_s": 30,  # a 2xx must arrive within this
    "queue_max": 64,  # pending deliveries kept in flash
    "dead_max": 20,  # dead-letter entries kept
    "ca": None,  # path of a DER CA certificate for https receivers (None: not verified)
}
_NUMS = {
    "retry_count": (1, 100),
    "retry_base_s": (0.001, 86400),
    "retry_max_s": (0.001, 7 * 86400),
    "timeout_s": (0.1, 120),
    "queue_max": (1, 1000),
    "dead_max": (1, 200),
}


def validate(value, key="webhooks"):
    """Check the `webhooks` config section; return it merged over DEFAULTS.

    Raises:
        ConfigError naming the offending key.
    """
    from smsgw.errors import ConfigError
    from smsgw.section import check_section

    def check_other(name, k, v):
        if v is not None and (not isinstance(v, str) or not v):
            raise ConfigError(name, "must be a non-empty string")

    return check_section({} if value is None else value, key, DEFAULTS, _NUMS, check_other)
