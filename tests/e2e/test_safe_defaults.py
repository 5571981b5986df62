"""Safe defaults on the virtual board, tried as a user and as an attacker would:
no board serves without a password, the SIM PIN is sent at most once and never shown."""

from __future__ import annotations

import json
import subprocess
import sys

from smsgate.sim.harness import SimProcess
from smsgate.virtual import free_port

from .conftest import make_gateway, poll

MSG = {"textMessage": {"text": "hi"}, "phoneNumbers": ["+15551230001"]}


def _flash_config(gw) -> dict:
    return json.loads((gw.data_dir / "config.json").read_text())


def _write_flash_config(gw, cfg: dict) -> None:
    (gw.data_dir / "config.json").write_text(json.dumps(cfg))


def _everything_shown(gw) -> str:
    """What anyone may see: /health (with auth: the full document), the flash log, console."""
    status, doc, _ = gw.api("GET", "/health")
    log = gw.data_dir / "log.txt"
    return json.dumps(doc) + (log.read_text() if log.exists() else "") + gw.console_text()


def test_first_boot_generates_a_password_and_never_shows_it(tmp_path):
    with make_gateway(data_dir=tmp_path / "flash") as gw:
        old = gw.password
        gw.kill_board()
        cfg = _flash_config(gw)
        del cfg["api"]["password"]  # a board provisioned without one
        _write_flash_config(gw, cfg)
        gw.restart_board(kill=False, wait=False)
        new = poll(lambda: _flash_config(gw)["api"].get("password"), timeout=30,
                   what="a password generated into config.json")
        assert new != old and len(new) >= 8
        gw.password = new
        gw.wait_ready(60)
        assert gw.api("POST", "/message", MSG, auth=False)[0] == 401
        assert gw.api("POST", "/message", MSG, auth=("sms", old))[0] == 401
        assert gw.api("POST", "/message", MSG)[0] == 202
        assert new not in _everything_shown(gw)
        # the next boot keeps it
        gw.restart_board()
        assert _flash_config(gw)["api"]["password"] == new
        assert gw.api("GET", "/messages?limit=1")[0] == 200


def test_short_or_empty_password_stops_the_board_with_a_clear_error(tmp_path):
    with make_gateway(data_dir=tmp_path / "flash") as gw:
        for bad in ("", "short"):
            gw.kill_board()
            cfg = _flash_config(gw)
            cfg["api"]["password"] = bad
            _write_flash_config(gw, cfg)
            mark = len(gw.console_text())
            gw.restart_board(kill=False, wait=False)
            poll(lambda: "config error" in gw.console_text()[mark:], timeout=30,
                 what="the board's config error")
            line = [x for x in gw.console_text()[mark:].splitlines() if "config error" in x][0]
            assert "api.password: must be at least 8 characters" in line, line
            assert not _up(gw)  # stopped at the REPL: nothing serves
            assert _flash_config(gw)["api"]["password"] == bad  # not replaced behind one's back


def _up(gw) -> bool:
    try:
        gw.api("GET", "/health", auth=False, timeout=1)
        return True
    except OSError:
        return False


def test_virtual_cli_refuses_a_short_password():
    out = subprocess.run(
        [sys.executable, "-m", "smsgate", "virtual", "--password", "pw", "--http-port",
         str(free_port()), "--sim-scale", "0.05"],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode != 0
    assert "api.password: must be at least 8 characters" in out.stderr, out.stderr


def _cpin_sent(sim, pin: str) -> int:
    sent = "".join(e["data"] for e in sim.log() if e["dir"] == "rx")
    return sent.count('AT+CPIN="%s"' % pin)


def _modem_check(gw) -> dict:
    try:
        status, doc, _ = gw.api("GET", "/health", timeout=3)
    except OSError:  # not serving yet
        return {}
    return doc["checks"]["modem"] if status == 200 else {}


def test_pin_with_a_lost_answer_is_never_sent_again_nor_shown(tmp_path):
    sim = SimProcess("sim800", tmpdir=tmp_path / "sim", time_scale=0.05, pin="97531864")
    sim.start()
    try:
        sim.fault("mute", match="AT+CPIN=")  # the PIN's answer is lost: uncertain
        gw = make_gateway(attach=sim.link, data_dir=tmp_path / "flash",
                          config={"modem": {"pin": "97531864"}})
        gw.start(wait=False)
        try:
            poll(lambda: "uncertain" in _modem_check(gw).get("output", ""), timeout=60,
                 what="/health saying why the modem is not ready")
            assert _cpin_sent(sim, "97531864") == 1
            # a power cut: the next boot does not send it either, and says why
            gw.restart_board(kill=True, wait=False)
            poll(lambda: "not sent again" in _modem_check(gw).get("output", ""), timeout=60,
                 what="the PIN mark kept across a power cut")
            assert _cpin_sent(sim, "97531864") == 1
            assert _modem_check(gw)["observedValue"] is False
            shown = _everything_shown(gw)
            assert "97531864" not in shown, shown[max(0, shown.find("97531864") - 300):][:400]
            # The owner checked the SIM and clears the mark: the PIN goes once more, works.
            gw.kill_board()
            (gw.data_dir / "data" / "sim_pin").unlink()
            gw.restart_board(kill=False, wait=True, timeout=60)
            assert _cpin_sent(sim, "97531864") == 2
            assert not (gw.data_dir / "data" / "sim_pin").exists()
        finally:
            gw.stop()
    finally:
        sim.stop()


def test_wrong_pin_is_sent_once_and_a_new_one_is_tried(tmp_path):
    sim = SimProcess("sim7600", tmpdir=tmp_path / "sim", time_scale=0.05, pin="1234")
    sim.start()
    try:
        gw = make_gateway("sim7600", attach=sim.link, data_dir=tmp_path / "flash",
                          config={"modem": {"pin": "99999999"}})
        gw.start(wait=False)
        try:
            poll(lambda: "rejected" in _modem_check(gw).get("output", ""), timeout=60,
                 what="the wrong PIN reported")
            gw.restart_board(kill=True, wait=False)
            poll(lambda: "rejected earlier" in _modem_check(gw).get("output", ""), timeout=60,
                 what="the mark kept across a power cut")
            assert _cpin_sent(sim, "99999999") == 1  # 2 SIM attempts left, not 0
            assert "99999999" not in _everything_shown(gw)
            gw.kill_board()
            cfg = _flash_config(gw)
            cfg["modem"]["pin"] = "1234"  # the owner fixes the config
            _write_flash_config(gw, cfg)
            gw.restart_board(kill=False, wait=True, timeout=60)
            assert _cpin_sent(sim, "1234") == 1 and _cpin_sent(sim, "99999999") == 1
        finally:
            gw.stop()
    finally:
        sim.stop()


def test_priority_past_the_caps_needs_api_allow_priority(tmp_path):
    urgent = dict(MSG, priority=100)
    with make_gateway(data_dir=tmp_path / "a") as gw:
        status, body, _ = gw.api("POST", "/message", urgent)
        assert status == 400 and "api.allow_priority" in body["message"], body
        assert gw.api("POST", "/message", dict(MSG, priority=99))[0] == 202
    with make_gateway(data_dir=tmp_path / "b", config={"api": {"allow_priority": True}}) as gw:
        status, body, _ = gw.api("POST", "/message", urgent)
        assert status == 202, body
        gw.wait_state(body["id"], ("Sent", "Delivered"))
