"""Fixtures for the webhook and MQTT tests; the helpers live in evharness.py."""

from evharness import broker, mpy_gateway, receiver, tls_cert  # noqa: F401 (pytest fixtures)
