# Configuration: one dict of DEFAULTS, merged with /config.json from flash, validated at boot.
# Also imported by the host (`smsgate provision`, `smsgate virtual --config`) on CPython.
# Errors name the dotted key: ConfigError("api.port", "must be 1..65535").
from smsgw.errors import ConfigError
from smsgw.section import check_dict, check_int, check_len

DEFAULTS = {
    "board": "unix",
    # ESP32 boards (net/wifi.py): the network to join (ssid "": none, the setup access point
    # opens); ap_password: the setup access point's WPA2 password ("": derived from
    # api.password, net/ap.py); the setup access point also opens after
    # setup_after_s without Wi-Fi; rejoin attempts back off up to backoff_max_s.
    "wifi": {"ssid": "", "password": "", "ap_password": "", "setup_after_s": 300,
             "backoff_max_s": 60},
    # password: at least MIN_PASSWORD characters; absent from /config.json, the first boot
    # generates one and writes it there (`smsgate verify` shows it). allow_priority: API/MQTT
    # clients may send priority >= 100 (past the carrier caps and quiet hours).
    "api": {"user": "sms", "password": "", "port": 8080, "host": "0.0.0.0",
            "allow_priority": False},
    # Other numeric modem keys (timeouts in ms, time_scale, queue_depth...) are read by
    # smsgw.modem.modem / smsgw.modem.supervisor; any such key is accepted when it is a
    # number >= 0.
    "modem": {"model": "sim800", "port": "", "pin": "", "baud": 115200},
    "queue": {
        "dir": "/data",  # where the durable journals live
        "max_messages": 100,  # pending messages before POST answers 429
        "max_stored": 400,  # messages kept (oldest finished ones are compacted away)
        "min_free_kb": 8,  # free flash below this answers 503
        "retries": 3,  # temporary +CMS errors retried this many times per part
        "backoff_ms": 5000,  # first retry delay, doubled each time
        "max_text": 1600,  # characters per message
        "max_recipients": 10,
    },
    "inbox": {"max_messages": 100, "sweep_ms": 60000, "orphan_ms": 3600000},
    # connections served at once (ESP32: ~10 lwIP sockets for listen + these + MQTT +
    # webhooks), seconds to read one request, bytes of request line + headers
    "http": {"max_body": 4096, "max_connections": 4, "read_timeout_s": 5, "max_header": 2048},
    # watchdog_s: machine.WDT's timeout on the ESP32 boards (0: none; smsgw.keepers);
    # starved_s: MemoryErrors of the core's work this long, without a pause of a quarter of
    # it, reset the board for a fresh heap (0: never; smsgw.app); safe_after: unexpected
    # resets in a row, each within good_after_s of its boot, that start the next boot without
    # the optional features (0: never; smsgw.startup, ESP32 boards)
    "device": {"id": "", "name": "smsgate", "watchdog_s": 30, "starved_s": 120,
               "safe_after": 3, "good_after_s": 300},
    "log": {"path": "/log.txt", "max_bytes": 8192, "debug": False},
}

BOARDS = ("unix", "tcall_sim800l", "t_sim7600")
MODELS = ("sim800", "sim7600")
_CHOICES = {"board": BOARDS, "modem.model": MODELS}
_RANGES = {
    "api.port": (1, 65535),
    "modem.baud": (1200, 4000000),
    "queue.max_messages": (1, 5000),
    "queue.max_stored": (2, 10000),
    "queue.min_free_kb": (0, 100000),
    "queue.retries": (0, 20),
    "queue.backoff_ms": (0, 3600000),
    "queue.max_text": (1, 10000),
    "queue.max_recipients": (1, 100),
    "inbox.max_messages": (1, 5000),
    "inbox.sweep_ms": (100, 86400000),
    "inbox.orphan_ms": (0, 604800000),
    "http.max_body": (256, 1048576),
    "http.max_connections": (1, 16),
    "http.read_timeout_s": (1, 120),
    "http.max_header": (512, 16384),
    "log.max_bytes": (512, 1048576),
    "wifi.setup_after_s": (0, 86400),
    "wifi.backoff_max_s": (1, 3600),
    "device.starved_s": (0, 86400),
    "device.safe_after": (0, 100),
    "device.good_after_s": (10, 86400),
}
# strings: "" (unset) or this many characters (WPA2 keys are 8..63; an SSID at most 32 bytes)
_LENGTHS = {"wifi.ssid": (1, 32), "wifi.password": (8, 63), "wifi.ap_password": (8, 63)}
MIN_PASSWORD = 8  # api.password (smsgw.password generates one when there is none)
_NUMERIC_EXTRA = ("modem",)  # sections that also take any extra key with a number >= 0

# Optional sections: validated by their own module's validate(value, key) ("module" or
# "module:function"), imported lazily. Feature modules keep their line here true.
OPTIONAL = {
    "webhooks": "smsgw.net.webhook_cfg",
    "mqtt": "smsgw.net.mqtt_cfg",
    "email": "smsgw.net.email",
    "ota": "smsgw.net.ota",
    "rules": "smsgw.alert.checks",
    "commands": "smsgw.alert.checks",
    "relays": "smsgw.alert.checks",
    "heartbeat": "smsgw.alert.checks",
    "limits": "smsgw.alert.checks",
}


def _copy(d):
    return {k: (_copy(v) if isinstance(v, dict) else v) for k, v in d.items()}


def merge(base, over):
    """Deep-merge dict `over` into a copy of `base` (dicts merge, everything else replaces)."""
    out = _copy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def _type_name(v):
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, dict):
        return "an object"
    return "a list"


def _check(value, default, key):
    if isinstance(default, bool) or not isinstance(default, int):
        ok = isinstance(value, type(default)) and isinstance(value, bool) == isinstance(
            default, bool
        )
    else:
        ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok:
        raise ConfigError(key, "must be %s" % _type_name(default))
    if key in _CHOICES and value not in _CHOICES[key]:
        raise ConfigError(key, "must be one of %s" % ", ".join(_CHOICES[key]))
    if key in _RANGES:
        check_int(value, key, _RANGES[key][0], _RANGES[key][1])
    if key in _LENGTHS and value:
        check_len(value, key, _LENGTHS[key][0], _LENGTHS[key][1])
    if isinstance(default, dict):
        _check_dict(value, default, key)


def _check_dict(d, defaults, prefix):
    for k, v in d.items():
        key = prefix + "." + k if prefix else k
        if k in defaults:
            _check(v, defaults[k], key)
        elif prefix in _NUMERIC_EXTRA:
            check_int(v, key, 0, 1 << 31, False)
        elif not prefix and k in OPTIONAL:
            _validate_optional(k, v)
        else:
            check_dict({k: v}, prefix, defaults)  # raises: unknown key


def _validate_optional(name, value):
    where = OPTIONAL[name].split(":")
    fn_name = where[1] if len(where) > 1 else "validate"
    try:
        fn = getattr(__import__(where[0], None, None, [fn_name]), fn_name)
    except (ImportError, AttributeError):
        raise ConfigError(name, "not supported by this firmware (%s missing)" % OPTIONAL[name])
    fn(value, name)


def validate(cfg):
    """Check a full config dict; raises ConfigError naming the first wrong key."""
    if not isinstance(cfg, dict):
        raise ConfigError("", "must be an object")
    _check_dict(cfg, DEFAULTS, "")
    if len(cfg.get("api", DEFAULTS["api"]).get("password", "")) < MIN_PASSWORD:
        raise ConfigError("api.password", "must be at least %d characters (leave it out of the"
                          " config: the first boot generates one)" % MIN_PASSWORD)
    q = cfg.get("queue", DEFAULTS["queue"])
    if q.get("max_messages", 1) >= q.get("max_stored", 2):
        raise ConfigError("queue.max_messages", "must be below queue.max_stored")
    return cfg


def load(path="/config.json"):
    """DEFAULTS merged with the JSON file at `path` (absent: defaults), validated.

    A file without `api.password` gets a generated one written into it (no file: a generated
    one in RAM only).
    """
    import json

    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        text = None
    try:
        user = json.loads("{}" if text is None else text)
    except ValueError:
        raise ConfigError("", "%s is not valid JSON" % path)
    if not isinstance(user, dict):
        raise ConfigError("", "must be an object")
    api = user.get("api")
    if api is None or isinstance(api, dict) and "password" not in api:
        from smsgw.password import first  # first boot only: not loaded otherwise

        first(path, user, text is not None)
    return validate(merge(DEFAULTS, user))
