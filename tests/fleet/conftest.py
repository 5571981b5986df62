"""Fixtures for the fleet tests; the helpers live in fleetharness.py."""

from fleetharness import broker, fleet  # noqa: F401 (pytest fixtures)
