"""python-gammu (libgammu 1.45) drives the simulator: identify, SMSC, send, receive.

One `StateMachine.Init()` per model (it costs ~4.7 s); the tests of a model share it.
"""

from __future__ import annotations

import time

import gammu
import pytest

from smsgate.sim.harness import SimProcess

DEST = "+4915112345678"


@pytest.fixture(scope="module", params=["sim800", "sim7600"])
def phone(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gammu-" + request.param)
    with SimProcess(request.param, tmp) as sim:
        sim.wait_ready()
        sm = gammu.StateMachine()
        sm.SetConfig(0, {"Device": sim.link, "Connection": "at115200", "Model": "at",
                         "DebugFile": str(tmp / "gammu.log"), "DebugLevel": "textall"})
        sm.Init()
        yield sim, sm
        sm.Terminate()


def _send(sm, text: str, unicode: bool = False) -> None:
    info = {"Class": -1, "Unicode": unicode,
            "Entries": [{"ID": "ConcatenatedTextLong", "Buffer": text}]}
    for msg in gammu.EncodeSMS(info):
        msg["SMSC"] = {"Location": 1}
        msg["Number"] = DEST
        sm.SendSMS(msg)


def test_identify(phone):
    sim, sm = phone
    model = sim.status()["model"]
    assert sm.GetManufacturer() == "SIMCOM"
    assert sm.GetModel()[1] == ("SIMCOM_SIM800L" if model == "sim800" else "SIMCOM_SIM7600E")
    assert sm.GetIMEI().isdigit()
    assert sm.GetSMSC()["Number"] == "+15550000000"


@pytest.mark.parametrize(
    "text,unicode",
    [
        ("hello from gammu [with] {ext} ~chars€", False),
        ("Привет, мир! 你好 😀", True),
        ("".join(chr(0x41 + i % 26) for i in range(400)), False),
    ],
    ids=["gsm7", "unicode", "multipart400"],
)
def test_send_text_arrives_unchanged(phone, text, unicode):
    sim, sm = phone
    sim.clear_sent()
    _send(sm, text, unicode)
    sent = sim.wait_sent(1, 5)
    assert len(sent) == 1
    assert sent[0]["to"] == DEST
    assert sent[0]["text"] == text
    assert sent[0]["parts"] == (3 if len(text) == 400 else 1)
    assert len(set(sent[0]["mr"])) == sent[0]["parts"]


def test_receive_inbound(phone):
    sim, sm = phone
    # GSM-7 basic set only: libgammu 1.45 decodes extension characters (€ { }) into extra
    # trailing characters, even for PDUs it encoded itself (gammu.EncodePDU/DecodePDU).
    text = "inbound for gammu: 12 äöü Ñ ok"
    sim.send_sms("+4917012345", text)
    deadline = time.monotonic() + 5
    while sm.GetSMSStatus()["SIMUsed"] < 1:
        assert time.monotonic() < deadline, "message never stored"
        time.sleep(0.05)
    msgs = sm.GetNextSMS(Start=True, Folder=0)
    assert msgs[0]["Number"] == "+4917012345"
    assert msgs[0]["Text"] == text
    assert msgs[0]["State"] == "UnRead"
    sm.DeleteSMS(Folder=0, Location=msgs[0]["Location"])
    assert sm.GetSMSStatus()["SIMUsed"] == 0
