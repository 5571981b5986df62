# The `mqtt` config section: its defaults and checks, apart from net/mqtt.py so that validating
# a config (at boot, and on the host: `smsgate provision`) loads no MQTT code, and the bridge,
# once it has its section, does not carry them (mqtt.start forgets this module). The broker
# URL's form is net/url.py's `mqtt`.
DEFAULTS = {
    "url": None,  # mqtt://user:pass@host:port or mqtts://...
    "tls": False,  # TLS even with an mqtt:// URL (mqtts:// always uses it)
    "ca": None,  # path of a DER CA certificate; None: the broker's certificate is not verified
    "prefix": "smsgate",
    "discovery": True,
    "discovery_prefix": "homeassistant",
    "client_id": None,  # default: "smsgate-<device-id>"
    "keepalive_s": 60,
    "reconnect_max_s": 60,  # back-off cap (1, 2, 4, ... seconds)
    "status_interval_s": 60,
    "queue_max": 32,  # publishes waiting for the broker; oldest dropped beyond
    "fleet": None,  # the board's fleet (net/fleet.py): {"group", "prefixes", "weight"}
}
_NUMS = {
    "keepalive_s": (1, 3600),
    "reconnect_max_s": (0.01, 3600),
    "status_interval_s": (0.1, 86400),
    "queue_max": (1, 500),
}


def validate(value, key="mqtt"):
    """Check the `mqtt` config section; return it merged over DEFAULTS (raises ConfigError)."""
    from smsgw.errors import ConfigError
    from smsgw.net.url import mqtt
    from smsgw.section import check_section

    def check_other(name, k, v):
        if k == "fleet":
            return  # net/fleet.py checks it, below
        if k in ("tls", "discovery"):
            if not isinstance(v, bool):
                raise ConfigError(name, "must be a boolean")
        elif v is not None and (not isinstance(v, str) or not v or "#" in v or "+" in v):
            raise ConfigError(name, "must be a non-empty string without wildcards")

    out = check_section(value, key, DEFAULTS, _NUMS, check_other)
    if out["fleet"] is not None:
        from smsgw.net.fleet import validate as fleet_validate

        out["fleet"] = fleet_validate(out["fleet"], key + ".fleet")
    if out["url"] is None:
        raise ConfigError(key + ".url", "required")
    try:
        mqtt(out["url"])
    except ValueError as exc:
        raise ConfigError(key + ".url", str(exc)) from None
    return out
