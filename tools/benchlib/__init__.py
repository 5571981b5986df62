"""Helpers of `tools/bench.py`: the systems compared (smsgate, gammu-smsd, smstools3), the
measurements made on each against the same simulated modem, and the firmware footprint."""
