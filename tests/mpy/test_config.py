# heapsize: 160K
# smsgw.config: defaults, merge, validation errors naming the dotted key, optional sections.
import json

from fsutil import scratch
from smsgw.fstree import rmtree
from smsgw import config
from smsgw.password import new_password
from smsgw.errors import ConfigError


PW = {"api": {"password": "long-enough"}}


def _err(over):
    try:
        config.validate(config.merge(config.merge(config.DEFAULTS, PW), over))
    except ConfigError as e:
        return e.key
    return None


def test_defaults_with_a_password_are_valid():
    cfg = config.validate(config.merge(config.DEFAULTS, PW))
    assert cfg["api"]["port"] == 8080 and cfg["board"] == "unix"
    assert cfg["api"]["allow_priority"] is False


def test_empty_or_short_password_is_refused():
    for pw in ("", "short", "1234567"):
        try:
            config.validate(config.merge(config.DEFAULTS, {"api": {"password": pw}}))
            raise AssertionError("password %r accepted" % pw)
        except ConfigError as e:
            assert e.key == "api.password" and "at least 8 characters" in str(e), str(e)
    assert _err({"api": {"password": 12345678}}) == "api.password"
    assert _err({"api": {"password": "12345678"}}) is None
    assert _err({"api": {"allow_priority": 1}}) == "api.allow_priority"


def test_first_load_generates_and_keeps_a_password():
    d = scratch("config-pw")
    path = d + "/config.json"
    with open(path, "w") as f:
        f.write(json.dumps({"device": {"name": "n1"}}))
    pw = config.load(path)["api"]["password"]
    assert len(pw) >= config.MIN_PASSWORD and pw != new_password()
    with open(path) as f:
        saved = json.loads(f.read())
    assert saved["api"]["password"] == pw and saved["device"]["name"] == "n1"
    assert config.load(path)["api"]["password"] == pw  # the next boot keeps it
    # No file at all (not provisioned; the self-check): a password in RAM, no file created.
    import os

    assert len(config.load(d + "/absent.json")["api"]["password"]) >= config.MIN_PASSWORD
    assert "absent.json" not in os.listdir(d)
    # An explicit empty password is a config error, never replaced.
    with open(path, "w") as f:
        f.write(json.dumps({"api": {"password": ""}}))
    try:
        config.load(path)
        raise AssertionError("empty password accepted")
    except ConfigError as e:
        assert e.key == "api.password"
    rmtree(d)


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


def test_wifi_section():
    assert _err({"wifi": {"ssid": "home", "password": "wpa2-secret", "setup_after_s": 60}}) is None
    assert _err({"wifi": {"ssid": "open-cafe", "password": ""}}) is None  # an open network
    assert _err({"wifi": {"password": "short"}}) == "wifi.password"  # WPA2: 8..63
    assert _err({"wifi": {"ssid": "x" * 33}}) == "wifi.ssid"
    assert _err({"wifi": {"ssid": 5}}) == "wifi.ssid"
    assert _err({"wifi": {"ap_password": "1234567"}}) == "wifi.ap_password"
    assert _err({"wifi": {"setup_after_s": -1}}) == "wifi.setup_after_s"
    assert _err({"wifi": {"backoff_max_s": 0}}) == "wifi.backoff_max_s"
    assert _err({"wifi": {"sid": "home"}}) == "wifi.sid"


def test_setup_ap_password_derived_from_the_api_password_unless_set():
    from smsgw.net import ap

    a = ap.password({"api": {"password": "long-enough"}, "wifi": {"ap_password": ""}})
    assert len(a) == 12 and a == ap.password({"api": {"password": "long-enough"}})
    assert a != ap.password({"api": {"password": "long-enough2"}})
    chosen = {"api": {"password": "x"}, "wifi": {"ap_password": "chosen-1"}}
    assert ap.password(chosen) == "chosen-1"


def test_setup_ap_name_is_the_host_name():
    from smsgw.net import ap

    assert ap.name({"device": {"name": "smsgate"}}, "2345") == "smsgate-2345"
    assert ap.name({}, "2345") == "smsgate-2345"
    assert ap.name({"device": {"name": "Shop gate #2"}}, "2345") == "Shop-gate--2"
    assert ap.hostname("x" * 40) == "x" * 32 and ap.hostname("") == "smsgate"


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
        f.write(json.dumps({"api": {"password": "pw-123456"}, "device": {"name": "n1"}}))
    cfg = config.load(d + "/config.json")
    assert cfg["api"]["password"] == "pw-123456" and cfg["device"]["name"] == "n1"
    with open(d + "/bad.json", "w") as f:
        f.write("{oops")
    try:
        config.load(d + "/bad.json")
        raise AssertionError("bad JSON accepted")
    except ConfigError as e:
        assert "JSON" in str(e)
    rmtree(d)
