# Files here are run on the MicroPython unix port by tests/test_on_micropython.py, not collected
# directly by pytest (their async tests need the MicroPython runner).
collect_ignore_glob = ["*.py"]
