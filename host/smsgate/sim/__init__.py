"""The SIM800 / SIM7600 modem simulator: a pty (or TCP) modem with a control HTTP API.

`smsgate sim modem ...` runs it; `smsgate.sim.harness.SimProcess` runs it for tests.
"""
