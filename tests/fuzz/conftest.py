"""The fuzz tally is printed (and written to FUZZ_REPORT) at the end; see fuzzkit.py."""

from fuzzkit import pytest_terminal_summary  # noqa: F401 (pytest hook)
