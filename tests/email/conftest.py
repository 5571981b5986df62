"""Fixtures of the e-mail tests: a real SMTP server, and the TLS certificate."""

import pytest
from helpers import tls_cert  # noqa: F401 (a fixture)
from smtpkit import SmtpServer


@pytest.fixture
def smtp_server():
    s = SmtpServer().start()
    yield s
    s.stop()
