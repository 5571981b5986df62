"""E-mail -> SMS: `smsgate mail-bridge` (aiosmtpd) in front of the virtual gateway, fed by
smtplib as an alarm panel or a NAS would."""

from __future__ import annotations

import smtplib
import socket
import subprocess
import sys
from email.message import EmailMessage

import pytest
from helpers import wait_until
from smsgate.virtual import VirtualGateway, free_port

DOMAIN = "sms.example.org"


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bridge")
    gw = VirtualGateway(data_dir=tmp / "flash", heap="512K")
    gw.start()
    port = free_port()
    log = open(tmp / "bridge.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "smsgate", "mail-bridge", "--listen", "127.0.0.1:%d" % port,
         "--device", gw.url, "--user", gw.user, "--password", gw.password, "--domain", DOMAIN,
         "--allow", "panel@example.org", "nas@example.org"],
        stdout=log, stderr=subprocess.STDOUT)

    def listening():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return proc.poll() is not None  # died: fail below instead of waiting on

    try:
        wait_until(listening, 30, "the bridge listening")
        assert proc.poll() is None, (tmp / "bridge.log").read_text()
        gw.wait_ready()
        yield gw, port, log
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
        gw.stop()


def _mail(to, text="", subject="Alarm", msg_id=None, sender="panel@example.org"):
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, to, subject
    if msg_id:
        m["Message-ID"] = msg_id
    m.set_content(text)
    return m


def _send(port, msg, sender="panel@example.org"):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        return s.send_message(msg, from_addr=sender)


def _texts(gw):
    return [m["text"] for m in gw.sim.sent()]


def test_mail_becomes_an_sms(rig):
    gw, port, _ = rig
    _send(port, _mail("+15551112222@" + DOMAIN, "Zone 3 intrusion 🚨", msg_id="<a1@panel>"))
    wait_until(lambda: "Zone 3 intrusion 🚨" in _texts(gw), 30, "the SMS at the simulator")
    sent = [m for m in gw.sim.sent() if m["text"] == "Zone 3 intrusion 🚨"]
    assert sent[0]["to"].endswith("15551112222")


def test_empty_body_sends_the_subject(rig):
    gw, port, _ = rig
    _send(port, _mail("+15551112223@" + DOMAIN, "", subject="Disk 2 failed", msg_id="<a2@nas>"),
          sender="nas@example.org")
    wait_until(lambda: "Disk 2 failed" in _texts(gw), 30, "the subject as SMS")


def test_same_message_id_twice_is_one_sms(rig):
    gw, port, _ = rig
    for _ in range(2):
        _send(port, _mail("+15551112224@" + DOMAIN, "only once please", msg_id="<dup@panel>"))
    # a later mail goes out after any duplicate of the first would have
    _send(port, _mail("+15551112224@" + DOMAIN, "the marker", msg_id="<marker@panel>"))
    wait_until(lambda: "the marker" in _texts(gw), 30, "the marker SMS")
    assert _texts(gw).count("only once please") == 1


def test_sender_not_allowed_is_refused(rig):
    _, port, _ = rig
    with pytest.raises(smtplib.SMTPSenderRefused) as exc:
        _send(port, _mail("+15551112225@" + DOMAIN, "spam", sender="evil@example.com"),
              sender="evil@example.com")
    assert exc.value.smtp_code == 550


def test_other_domain_and_bad_number_are_refused(rig):
    _, port, _ = rig
    with pytest.raises(smtplib.SMTPRecipientsRefused) as exc:
        _send(port, _mail("+15551112226@elsewhere.org", "x"))
    assert list(exc.value.recipients.values())[0][0] == 550
    with pytest.raises(smtplib.SMTPRecipientsRefused) as exc:
        _send(port, _mail("bob@" + DOMAIN, "x"))
    assert list(exc.value.recipients.values())[0][0] == 553


def test_device_down_defers_then_retry_succeeds(rig):
    gw, port, _ = rig
    mail = _mail("+15551112227@" + DOMAIN, "after the outage", msg_id="<down@panel>")
    gw.kill_board()
    with pytest.raises(smtplib.SMTPDataError) as exc:
        _send(port, mail)
    assert exc.value.smtp_code == 451  # a temporary failure: the MTA keeps the mail
    gw.restart_board(kill=False)
    gw.wait_ready()
    _send(port, mail)  # what the MTA does on its next try
    wait_until(lambda: "after the outage" in _texts(gw), 30, "the SMS after the retry")
    assert _texts(gw).count("after the outage") == 1
