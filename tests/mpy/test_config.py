# heapsize: 160K
# smsgw.config: defaults, merge, validation errors naming the dotted key, optional sections.
import json

from fsutil import rmtree, scratch
from smsgw import config
from smsgw.errors import ConfigError


def _err(over):
    try:
        config.validate(config.merge(config.DEFAULTS, over))
    except ConfigError as e:
        return e.key
    return None


def test_defaults_are_valid():
    cfg = config.validate(config.merge(config.DEFAULTS, {}))
    assert cfg["api"]["port"] == 8080 and cfg["board"] == "unix"


def test_merge_is_deep_and_does_not_touch_defaults():
    cfg = config.merge(config.DEFAULTS, {"api": {"port": 81}})
    assert cfg["api"]["port"] == 81 and cfg["api"]["user"] == "sms"
    assert config.DEFAULTS["api"]["port"] == 8080


def test_errors_name_the_key():
    assert _err({"api": {"port": 0}}) == "api.port"
    assert _err({"api": {"port": "80"}}) == "api.port"
    assert _err({"api": {"prot": 80}}) == "api.prot"
    assert _err({"board": "esp8266"}) == "board"
    assert _err({"modem": {"model": "sim900"}}) == "modem.model"
    assert _err({"log": {"debug": 1}}) == "log.debug"
    assert _err({"queue": {"max_messages": 500, "max_stored": 400}}) == "queue.max_messages"
    assert _err({"wifi": "x"}) == "wifi"
    assert _err({"nonsense": 1}) == "nonsense"


def test_modem_takes_numeric_driver_keys():
    assert _err({"modem": {"time_scale": 0.5, "cmgs_timeout_ms": 100}}) is None
    assert _err({"modem": {"cmgs_timeout_ms": "fast"}}) == "modem.cmgs_timeout_ms"
    assert _err({"modem": {"probe_ms": -1}}) == "modem.probe_ms"


def test_optional_section_validated_by_its_module():
    assert _err({"webhooks": 5}) is not None  # smsgw.net.webhooks rejects it
    assert _err({"limits": {"no_such_cap": 1}}) is not None
    assert _err({"mqtt_typo": {}}) == "mqtt_typo"


def test_load_merges_file_and_reports_bad_json():
    d = scratch("config")
    with open(d + "/config.json", "w") as f:
        f.write(json.dumps({"api": {"password": "pw"}, "device": {"name": "n1"}}))
    cfg = config.load(d + "/config.json")
    assert cfg["api"]["password"] == "pw" and cfg["device"]["name"] == "n1"
    assert config.load(d + "/absent.json")["api"]["password"] == ""
    with open(d + "/bad.json", "w") as f:
        f.write("{oops")
    try:
        config.load(d + "/bad.json")
        raise AssertionError("bad JSON accepted")
    except ConfigError as e:
        assert "JSON" in str(e)
    rmtree(d)
