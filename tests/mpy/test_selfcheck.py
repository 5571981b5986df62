# heapsize: 112K
# (64K until the imports check also covered the modules the gateway loads on use: compiled
# from source here, their names left less than selfcheck.MIN_FREE free at 64K; 96K until a
# few names more filled a pool of names in CI's run and left 19.x KB)
# smsgw.selfcheck (what `smsgate verify` runs on the board): parsing and verdicts with a fake
# AT channel; the real modem path is covered by tests/host/test_board_tools.py.
from smsgw import selfcheck
from smsgw.errors import ATError, ATTimeout


class FakeAT:
    def __init__(self, answers):
        self.answers = answers  # cmd -> list of lines, or an exception to raise
        self.sent = []

    async def cmd(self, cmd, timeout_ms=2000):
        cmd = cmd.decode() if isinstance(cmd, bytes) else cmd
        self.sent.append(cmd)
        a = self.answers.get(cmd, ATError(cmd, "ERROR"))
        if isinstance(a, Exception):
            raise a
        return a


def test_field():
    assert selfcheck._field(["+CREG: 0,5"], "+CREG:", 1) == "5"
    assert selfcheck._field(["+CSQ: 31,0"], "+CSQ:", 0) == "31"
    assert selfcheck._field(["OK"], "+CSQ:", 0) is None


async def test_registration_on_lte_only():
    at = FakeAT({"AT+CREG?": ["+CREG: 0,0"], "AT+CEREG?": ["+CEREG: 0,1"]})
    ok, detail = await selfcheck._registration(at)
    assert ok and detail == "CEREG stat 1", detail


async def test_registration_fails_with_what_was_seen():
    at = FakeAT({"AT+CREG?": ["+CREG: 0,2"]})  # searching; no CEREG/CGREG on this model
    ok, detail = await selfcheck._registration(at)
    assert not ok and "CREG 2" in detail, detail


async def test_signal():
    ok, detail = await selfcheck._signal(FakeAT({"AT+CSQ": ["+CSQ: 99,99"]}))
    assert not ok and "99" in detail
    ok, detail = await selfcheck._signal(FakeAT({"AT+CSQ": ["+CSQ: 15,0"]}))
    assert ok and detail == "rssi 15 (-83 dBm)", detail


async def test_probe_retries_then_reports_the_error():
    at = FakeAT({"AT": ATTimeout("AT")})
    res = await selfcheck._probe(at)
    assert isinstance(res, ATTimeout) and len(at.sent) == 3
    assert await selfcheck._probe(FakeAT({"AT": []})) is True


def test_version_and_heap_verdicts():
    res = []
    selfcheck._version("0.0.0-other", res)
    selfcheck._version(None, res)
    selfcheck._heap(res)
    assert res[0][0] == "firmware version" and not res[0][1] and "host has" in res[0][2]
    assert res[1][1] and res[2][0] == "free heap" and res[2][1], res[2]
    # held until less than MIN_FREE is free: the verdict turns
    import gc

    hog = []
    gc.collect()
    while gc.mem_free() >= selfcheck.MIN_FREE:
        hog.append(bytearray(1024))
    selfcheck._heap(res)
    del hog
    assert res[3][0] == "free heap" and not res[3][1] and "need 20000" in res[3][2], res[3]


def test_run_without_config_fails_cleanly():
    # No /config.json at this path on the test runner: the defaults load; the modem port ""
    # cannot open, which is a FAIL line, never an exception.
    res = selfcheck.run()
    names = [r[0] for r in res]
    assert names[0] == "firmware version" and "free heap" in names
    assert any(r[0] == "modem AT" and not r[1] for r in res), res
