"""SMS -> e-mail on the virtual board: the firmware's own SMTP client (smsgw.net.smtp) against a
real SMTP server (aiosmtpd), from inbound SMS on the simulated modem to parsed mails."""

from __future__ import annotations

import shutil

import pytest
from aiosmtpd.smtp import AuthResult
from helpers import wait_until
from smsgate.virtual import VirtualGateway
from smtpkit import SmtpServer


def _gateway(tmp_path, smtp_url, **email):
    cfg = {"device": {"name": "pumphouse"},
           "email": dict({"server": smtp_url, "from": "gw@example.org",
                          "to": ["ops@example.org"], "retry_base_s": 0.2, "retry_max_s": 0.5,
                          "timeout_s": 10}, **email)}
    return VirtualGateway(config=cfg, data_dir=tmp_path / "flash", heap="512K",
                          repl_link=str(tmp_path / "repl"))


def _email_check(gw):
    return ((gw.health() or {}).get("checks") or {}).get("email") or {}


def _text(msg):
    return msg.get_content()


def test_inbound_sms_arrive_as_one_mail_each(tmp_path, smtp_server):
    with _gateway(tmp_path, smtp_server.url, route={"+4917": ["de@example.org"]}) as gw:
        gw.wait_ready()
        gw.sim.send_sms("+15551230001", "Door open at the pump house")
        long_text = "Grüße 👋 aus dem Feld — " * 8  # UCS-2, several parts
        gw.sim.send_sms("+4917000111", long_text)
        mails = smtp_server.inbox.wait(2, 60)
        assert len(mails) == 2, gw.console_text()[-2000:]
        by_rcpt = {tuple(rcpts): (frm, msg) for frm, rcpts, msg in mails}
        frm, msg = by_rcpt[("ops@example.org",)]
        assert frm == "gw@example.org"
        assert msg["Subject"] == "SMS from +15551230001: Door open at the pump house"
        assert msg["To"] == "ops@example.org"
        body = _text(msg)
        assert "Door open at the pump house" in body and "Board: pumphouse" in body
        _, msg = by_rcpt[("de@example.org",)]  # routed by the sender's prefix
        assert long_text in _text(msg)  # the multipart SMS, reassembled, as one mail
        assert msg["Subject"].startswith("SMS from +4917000111: Grüße 👋")
        assert msg.get_content_charset() == "utf-8"
        wait_until(lambda: _email_check(gw).get("observedValue") == 0, 10, "queue empty")
        assert _email_check(gw)["status"] == "pass"
        # no mail pending: the SMTP client has left the heap (it stops the gateway: last)
        loaded = gw.firmware_modules()
        assert "smsgw.net.email" in loaded and "smsgw.net.smtp" not in loaded, sorted(loaded)


def test_server_down_then_back_mail_arrives_once(tmp_path, smtp_server):
    with _gateway(tmp_path, smtp_server.url) as gw:
        gw.wait_ready()
        smtp_server.stop()
        gw.sim.send_sms("+15551230002", "while the mail server sleeps")
        wait_until(lambda: "error" in _email_check(gw).get("description", ""), 30,
                   "a failed try in /health")
        assert _email_check(gw)["status"] == "warn" and _email_check(gw)["observedValue"] == 1
        smtp_server.start()
        mails = smtp_server.inbox.wait(1, 60)
        assert len(mails) == 1
        wait_until(lambda: _email_check(gw).get("observedValue") == 0, 15, "queue drained")
        assert len(smtp_server.inbox.mails) == 1  # once


def test_power_cut_with_mails_pending_then_sent_after_boot(tmp_path, smtp_server):
    with _gateway(tmp_path, smtp_server.url) as gw:
        gw.wait_ready()
        smtp_server.stop()
        for i in range(2):
            gw.sim.send_sms("+1555123001%d" % i, "pending mail %d" % i)
        wait_until(lambda: _email_check(gw).get("observedValue") == 2, 30, "two mails queued")
        gw.kill_board()  # power cut: the journal in flash is all that is left
        smtp_server.start()
        gw.restart_board(kill=False)
        mails = smtp_server.inbox.wait(2, 60)
        got = sorted(_text(m) for _, _, m in mails)
        assert len(got) == 2 and "pending mail 0" in got[0] and "pending mail 1" in got[1]
        wait_until(lambda: _email_check(gw).get("observedValue") == 0, 15, "queue drained")
        assert len(smtp_server.inbox.mails) == 2


@pytest.mark.parametrize("bad", [{"server": "http://x"}, {"from": "nobody"}, {"to": ["a b"]},
                                 {"events": ["sms:nope"]}, {"user": "u"}])
def test_bad_email_config_names_the_key(bad):
    from smsgw.config import validate
    from smsgw.errors import ConfigError

    cfg = {"email": dict({"server": "smtp://127.0.0.1", "from": "gw@example.org",
                          "to": ["ops@example.org"]}, **bad)}
    with pytest.raises(ConfigError) as exc:
        validate(cfg)
    assert str(exc.value).startswith("email.")


def test_starttls_with_verified_certificate_and_auth(tmp_path, tls_cert):
    import ssl

    pem, key, der = tls_cert
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(pem, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((mechanism, auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"mail-secret")

    server = SmtpServer(tls_context=ctx, require_starttls=True, authenticator=authenticator,
                        auth_required=True).start()
    try:
        (tmp_path / "flash").mkdir()
        shutil.copy(der, tmp_path / "flash" / "smtp-ca.der")
        with _gateway(tmp_path, server.url, user="gw", password="mail-secret",
                      ca="/smtp-ca.der") as gw:
            gw.wait_ready()
            gw.sim.send_sms("+15551230003", "over TLS")
            mails = server.inbox.wait(1, 60)
            assert len(mails) == 1, gw.console_text()[-2000:]
            assert "over TLS" in _text(mails[0][2])
            assert logins == [("PLAIN", b"gw", b"mail-secret")]
    finally:
        server.stop()
