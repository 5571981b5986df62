"""The firmware's modem stack on the MicroPython unix port against the SIM800/SIM7600 simulator."""

from __future__ import annotations

import time

import pytest
from helpers import wait_until
from modem_agent import Agent, agent_config

from smsgw.codec import pdu, submit


def _send(ag, number: str, text: str, srr: bool = False) -> tuple[int, dict]:
    _enc, parts = submit.encode_submit(number, text, srr=srr)
    assert len(parts) == 1
    hexpdu, tpdu_len = parts[0]
    rep = ag.call("send", hex=hexpdu, len=tpdu_len)
    return rep.get("mr"), rep


def test_init_configures_the_modem(pair):
    model, sim, ag = pair
    st = ag.call("status")
    assert st["ready"] and st["registered"] and st["ready_event"]
    assert st["imei"] and st["model"] and st["rssi"] is not None
    s = sim.status()
    assert s["echo"] == 0 and s["cmee"] == 1 and s["cmgf"] == 0
    assert s["cnmi"] == ([2, 1, 0, 1, 0] if model == "sim800" else [1, 1, 0, 1, 0])


def test_send_pdu_reaches_the_network(pair):
    model, sim, ag = pair
    sim.clear_sent()
    mr, rep = _send(ag, "+15551234567", "hello from %s" % model)
    assert isinstance(mr, int), rep
    sent = sim.wait_sent(1)
    assert sent[-1]["text"] == "hello from %s" % model and sent[-1]["to"] == "+15551234567"
    assert mr in sent[-1]["mr"]


def test_inbound_sms_via_cmti_then_delete(pair):
    model, sim, ag = pair
    sim.send_sms("+15557654321", "ping %s" % model)
    rep = ag.call("incoming", ms=5000)
    kind, index, hexpdu = rep["item"]
    assert kind == "sms" and index is not None
    d = pdu.decode(hexpdu)
    assert d["text"] == "ping %s" % model and d["number"] == "+15557654321"
    used_before = _used(sim)
    assert ag.call("delete", index=index) == {"op": "delete"}
    assert _used(sim) == used_before - 1


def _used(sim) -> int:
    st = sim.storage()
    return sum(len(v["messages"]) for v in st.values() if isinstance(v, dict))


def test_status_report_paired_by_mr(pair):
    model, sim, ag = pair
    mr, rep = _send(ag, "+15551112222", "with report", srr=True)
    assert isinstance(mr, int), rep
    rep = ag.call("reports", ms=5000)
    kind, index, hexpdu = rep["item"]
    assert kind == "report"
    d = pdu.decode(hexpdu)
    assert d["mr"] == mr and d["status"] == 0
    assert index is None  # +CDS: the report came inline (CNMI ds=1 on both models)


def test_ussd(pair):
    model, sim, ag = pair
    rep = ag.call("ussd", code="*100#", ms=5000)
    assert "error" not in rep, rep
    m, text, dcs = rep["ussd"]
    assert m in (0, 1) and text


def test_reboot_mid_send_surfaces_error_and_reinits(pair):
    model, sim, ag = pair
    before = ag.call("status")
    sim.fault("reboot", during="CMGS")
    mr, rep = _send(ag, "+15553334444", "during a brown-out")
    assert rep.get("error") in ("ATError", "ATTimeout"), rep
    if rep["error"] == "ATError":
        assert rep["kind"] == "REBOOT"
    st = wait_until(lambda: _ready_again(ag, before), 20, "re-init after the reboot")
    assert st["counters"]["starts"] > before["counters"]["starts"]
    assert sim.status()["echo"] == 0  # ATE0 again after the reboot
    sim.clear_sent()
    mr, rep = _send(ag, "+15553334444", "after the reboot")
    assert isinstance(mr, int), rep
    assert sim.wait_sent(1)[-1]["text"] == "after the reboot"


def _ready_again(ag, before):
    st = ag.call("status")
    if st["ready_event"] and st["counters"]["starts"] > before["counters"]["starts"]:
        return st
    return None


def test_silent_modem_recovered(pair):
    model, sim, ag = pair
    before = ag.call("status")["supervisor"]
    sim.fault("silent", n=3)
    st = wait_until(
        lambda: _recovered(ag, before), 20, "supervisor recovery from a silent modem"
    )
    sup = st["supervisor"]
    assert sup["failures"] > before["failures"] and sup["last_error"]
    assert sup["recoveries"] + sup["reinits"] > before["recoveries"] + before["reinits"]


def _recovered(ag, before):
    st = ag.call("status")
    sup = st["supervisor"]
    if st["ready_event"] and sup["failures"] > before["failures"]:
        return st
    return None


@pytest.mark.parametrize("model", ["sim800", "sim7600"])
def test_sweep_finds_messages_stored_before_start(make_pair, model):
    sim, _ = make_pair(model, start_agent=False)
    sim.wait_ready(10)
    sim.send_sms("+15550001111", "stored while nobody listened")
    wait_until(lambda: _used(sim) >= 1, 5, "the message in storage")
    ag = Agent(agent_config(model, sim.link, str(sim.tmpdir)), sim.tmpdir / "agent.log")
    try:
        assert "error" not in ag.call("wait_ready", ms=10000)
        rep = ag.call("sweep")
        assert rep["n"] >= 1, rep
        kind, index, hexpdu = ag.call("incoming", ms=2000)["item"]
        assert kind == "sms" and index is not None
        assert pdu.decode(hexpdu)["text"] == "stored while nobody listened"
    finally:
        ag.stop()


def test_zombie_modem_ends_in_mcu_reset(make_pair):
    # Commands are ignored until a power cycle; the virtual board cannot cut the modem's power,
    # so the ladder ends with board.reset() = exit status 3 (the virtual board restarts).
    sim, ag = make_pair("sim800", boot_timeout_ms=800)
    assert "error" not in ag.call("wait_ready", ms=10000)
    sim.fault("zombie")
    assert ag.wait_exit(30) == 3, ag.log()
    # the ladder tried the reset command before giving up (the zombie ignored it)
    assert any("AT+CFUN=1,1" in str(e) for e in sim.log()), sim.log()[-5:]


def _at(ag) -> dict:
    return ag.call("status")["at"]


def test_garbage_on_the_line_is_counted(pair):
    model, sim, ag = pair
    before = _at(ag)["garbage"]
    sim.fault("garbage", bytes="00FFF0FE80E0")
    rep = ag.call("signal")
    assert "error" not in rep, rep
    assert wait_until(lambda: _at(ag)["garbage"] >= before + 6, 5, "garbage counted")


def test_lost_ok_times_out_then_next_command_works(pair):
    model, sim, ag = pair
    t0 = _at(ag)["timeouts"]
    sim.fault("lose_ok")
    rep = ag.call("signal")
    assert rep["error"] == "ATTimeout" and rep["cmd"] == "AT+CSQ", rep
    assert _at(ag)["timeouts"] == t0 + 1
    rep = ag.call("signal")
    assert "error" not in rep, rep
    assert wait_until(lambda: ag.call("status")["ready_event"], 10, "ready after the probe")


def test_late_answer_is_not_taken_for_the_next_command(pair):
    # The answer comes after our timeout (2 s default): it must be dropped as stray lines,
    # not handed to the commands that follow.
    model, sim, ag = pair
    sim.fault("slow", s=2.6)
    rep = ag.call("signal")
    assert rep["error"] == "ATTimeout", rep
    time.sleep(1.0)
    sim.network(rssi=7)
    rep = ag.call("signal")
    assert rep["signal"][0] == 7, rep
    assert _at(ag)["stray"] >= 1


def test_sim_pin_unlocks(make_pair):
    sim, ag = make_pair("sim800", sim_pin="1234", pin="1234")
    st = ag.call("wait_ready", ms=10000)
    assert "error" not in st and st["sim"] == "READY", (st, ag.log())
    assert sim.status()["sim"] == "READY"


def test_wrong_pin_is_sent_once_only(make_pair):
    sim, ag = make_pair("sim800", sim_pin="1234", pin="9999", backoff_max_ms=50)
    st = wait_until(lambda: _failures(ag), 20, "several start attempts")
    assert "PIN" in st["supervisor"]["last_error"]
    sends = [e for e in sim.log() if e["dir"] == "rx" and "AT+CPIN=" in e["data"]]
    assert len(sends) == 1, sends
    assert not st["ready_event"]


def _failures(ag):
    st = ag.call("status")
    return st if st["supervisor"]["failures"] >= 4 else None
