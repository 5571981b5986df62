"""Host side of the alert unit: `smsgate totp` and the virtual board's pin control server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest

from smsgate.board_control import BoardControl
from smsgate.cli import main
from smsgw import clock
from smsgw.alert import totp

SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


def test_totp_uri_from_config(tmp_path, capsys):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"device": {"name": "pump-station-3"},
                               "commands": {"allow": {"+15550000001": SECRET}}}))
    assert main(["totp", "uri", "--config", str(cfg), "--number", "+15550000001"]) == 0
    uri = capsys.readouterr().out.strip()
    u = urlparse(uri)
    assert (u.scheme, u.netloc) == ("otpauth", "totp")
    assert u.path == "/pump-station-3:%2B15550000001"
    q = parse_qs(u.query)
    assert q["secret"] == [SECRET] and q["issuer"] == ["pump-station-3"]
    assert q["digits"] == ["6"] and q["period"] == ["30"] and q["algorithm"] == ["SHA1"]


def test_totp_uri_qr_draws_a_code(capsys):
    assert main(["totp", "uri", "--secret", SECRET, "--number", "+15550000001", "--qr"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("otpauth://totp/smsgate:")
    # compact terminal QR: half-block characters, a square-ish block of lines
    art = out[1:]
    assert len(art) > 10 and any("\u2588" in line or "\u2580" in line for line in art)


def test_totp_new_and_code(capsys):
    assert main(["totp", "new"]) == 0
    secret = capsys.readouterr().out.strip()
    assert len(totp.b32decode(secret)) == 20
    assert main(["totp", "code", "--secret", secret]) == 0
    code = capsys.readouterr().out.strip()
    assert totp.match(totp.b32decode(secret), code, clock.unix()) is not None


def test_totp_errors_are_one_line(tmp_path, capsys):
    assert main(["totp", "uri", "--secret", "not-base32!", "--number", "+1555"]) == 1
    assert capsys.readouterr().err.startswith("smsgate: secret is not base32")
    cfg = tmp_path / "c.json"
    cfg.write_text("{}")
    assert main(["totp", "uri", "--config", str(cfg), "--number", "+15550000001"]) == 1
    assert "not in commands.allow" in capsys.readouterr().err


def _req(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_board_control_pins(tmp_path):
    with BoardControl(tmp_path) as bc:
        assert _req(bc.url + "/pins/14", {"value": 0}) == (200, {"pin": 14, "value": 0})
        assert _req(bc.url + "/adc/34", {"value": 3100}) == (200, {"pin": 34, "value": 3100})
        assert json.loads((tmp_path / ".pins.json").read_text()) == {"14": 0, "34": 3100}
        # the firmware side (boards/unix.py) writes outputs; the server reports them
        (tmp_path / ".outputs.json").write_text(json.dumps({"25": 1}))
        assert _req(bc.url + "/pins/25") == (200, {"pin": 25, "value": 1, "input": None})
        assert _req(bc.url + "/pins/26")[1]["value"] is None
        assert _req(bc.url + "/pins")[1] == {"inputs": {"14": 0, "34": 3100},
                                             "outputs": {"25": 1}}
        for path, body in (("/pins/14", {"value": 2}), ("/pins/14", {"v": 1}),
                           ("/adc/1", {"value": -1}), ("/pins/14", {"value": True})):
            assert _req(bc.url + path, body)[0] == 400, (path, body)
        assert _req(bc.url + "/pins/99", {"value": 1})[0] == 404
        assert _req(bc.url + "/other")[0] == 404
    with pytest.raises(OSError):
        urllib.request.urlopen(bc.url + "/pins", timeout=1)


USER_CONFIG = {
    "api": {"password": "pump-station-pw"},
    "device": {"name": "pump-station-3"},
    "rules": [{"name": "door", "pin": 14, "pull": "up", "active": 0, "debounce_ms": 50,
               "message": "{device}: {name} opened at {time}",
               "recipients": ["+15550000001", "+15550000002"], "ack_window_s": 300,
               "cooldown_s": 600}],
    "commands": {"allow": {"+15550000001": SECRET}},
    "relays": {"1": 25},
    "limits": {"per_minute": 6, "per_day": 500, "quiet_hours": "22:00-07:00"},
}


def test_users_config_validates_with_the_firmware_config_on_cpython():
    from smsgw import config
    from smsgw.errors import ConfigError

    config.validate(config.merge(config.DEFAULTS, USER_CONFIG))
    bad = [
        (("rules", 0, "recipients", 1), "5550000002", "rules.0.recipients.1"),
        (("limits", "quiet_hours"), "22:00-7", "limits.quiet_hours"),
        (("relays", "1"), "25", "relays.1"),
        (("rules", 0, "debounce_ms"), -5, "rules.0.debounce_ms"),
        (("heartbeat",), {"interval_s": -1}, "heartbeat.interval_s"),
    ]
    for path, value, key in bad:
        cfg = json.loads(json.dumps(USER_CONFIG))
        node = cfg
        for p in path[:-1]:
            node = node[p]
        node[path[-1]] = value
        with pytest.raises(ConfigError) as exc:
            config.validate(config.merge(config.DEFAULTS, cfg))
        assert exc.value.key == key, (path, str(exc.value))
