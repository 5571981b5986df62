# heapsize: 128K
# SMS commands: parsing, TOTP auth, replay refusal, rate limit, execution, config validation.
from fsutil import scratch
from smsgw.alert import checks, commands, totp
from smsgw.errors import ConfigError

SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # b"12345678901234567890"
KEY = totp.b32decode(SECRET)
ALICE = "+15550000001"
BOB = "+15550000002"
BOB_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
BOB_KEY = totp.b32decode(BOB_SECRET)
T0 = 1800000000
# a scratch dir of this run: another test run may be on the same machine at the same time
STATE = scratch("commands") + "/state.json"


class Clock:
    def __init__(self):
        self.ms = 0
        self.t = T0


def _auth(path=None, **cfg):
    c = Clock()
    conf = {"allow": {ALICE: SECRET, BOB: BOB_SECRET}}
    conf.update(cfg)
    counters = {}
    a = commands.Auth(conf, counters, path, ticks=lambda: c.ms, wall=lambda: c.t)
    return a, c, counters


def code(t, d=0, key=KEY):
    return totp.totp(key, t + d * 30)


def test_unset_clock_refuses_codes_with_a_reply():
    import asyncio

    a, c, counters = _auth()
    c.t = None  # the board's clock is not set: no code can be checked
    assert a.check(ALICE, code(T0) + " STATUS") == ("CLOCK", ())
    assert counters["cmd_no_clock"] == 1 and counters["cmd_accepted"] == 0
    assert a.check(BOB, "12345 STATUS") is None  # not shaped like a command: still silence
    reply = asyncio.run(commands.run("CLOCK", (), None))
    assert "clock is not set" in reply
    c.t = T0
    assert a.check(ALICE, code(T0) + " STATUS") == ("STATUS", ())


def test_parse_commands():
    assert commands.parse("123456 status") == ("123456", "STATUS", ())
    assert commands.parse("  123456   STATUS \n") == ("123456", "STATUS", ())
    assert commands.parse("123456 relay 1 on") == ("123456", "RELAY", ("1", True))
    assert commands.parse("123456 RELAY 12 OFF") == ("123456", "RELAY", ("12", False))
    assert commands.parse("123456 REBOOT") == ("123456", "REBOOT", ())
    assert commands.parse("123456 BALANCE") == ("123456", "BALANCE", ())
    assert commands.parse("123456 SEND +15550000009 Hello there, Bob") == (
        "123456", "SEND", ("+15550000009", "Hello there, Bob"))
    assert commands.parse("123456 SEND 5550000009 hi")[1] == "?"
    assert commands.parse("123456 RELAY x ON")[1] == "?"
    assert commands.parse("123456 STATUS now")[1] == "?"
    assert commands.parse("123456 DANCE")[1] == "?"
    for bad in ("", "STATUS", "12345 STATUS", "1234567 STATUS", "abcdef STATUS", "123456"):
        assert commands.parse(bad) is None, bad


def test_valid_code_accepted_once():
    a, c, n = _auth()
    msg = "%s STATUS" % code(T0)
    assert a.check(ALICE, msg) == ("STATUS", ())
    assert a.check(ALICE, msg) is None  # replay
    assert n["cmd_replayed"] == 1 and n["cmd_accepted"] == 1
    # an older code from the window is a replay too once a newer step was used
    assert a.check(ALICE, "%s STATUS" % code(T0, -1)) is None
    assert n["cmd_replayed"] == 2
    # the next step's code (clock skew +1) still works, once
    assert a.check(ALICE, "%s RELAY 1 ON" % code(T0, 1)) == ("RELAY", ("1", True))


def test_wrong_code_unknown_number_and_malformed_do_nothing():
    a, c, n = _auth()
    good = code(T0)
    wrong = "%06d" % ((int(good) + 1) % 1000000)
    assert a.check(ALICE, wrong + " STATUS") is None
    assert a.check("+15559999999", good + " STATUS") is None
    assert a.check(ALICE, "hello there") is None
    assert a.check(ALICE, "%s STATUS" % code(T0, 2)) is None  # 60 s ahead: outside the window
    assert (n["cmd_bad_code"], n["cmd_unknown_number"], n["cmd_malformed"]) == (2, 1, 1)
    assert n["cmd_accepted"] == 0
    assert a.check(ALICE, good + " STATUS") == ("STATUS", ())  # still usable afterwards


def test_rate_limit_per_number():
    a, c, n = _auth(max_attempts=3, window_s=60)
    for _ in range(3):
        assert a.check(ALICE, "000000 STATUS") is None
    assert n["cmd_bad_code"] == 3
    # the 4th attempt is not checked, even with a good code (no unlimited guessing)
    assert a.check(ALICE, "%s STATUS" % code(T0)) is None
    assert n["cmd_rate_limited"] == 1
    c.ms += 20000  # one token back every window_s / max_attempts
    assert a.check(ALICE, "%s STATUS" % code(T0)) == ("STATUS", ())
    assert a.check(ALICE, "000000 STATUS") is None and n["cmd_bad_code"] == 4
    assert a.check(ALICE, "000001 STATUS") is None and n["cmd_rate_limited"] == 2


def test_junk_from_an_owners_number_spends_nothing():
    # Anyone can send SMS "from" an allow-listed number: junk must not lock its owner out.
    a, c, n = _auth(max_attempts=3, window_s=300)
    for i in range(50):
        assert a.check(ALICE, "junk %d" % i) is None
        assert a.check(ALICE, "12345 STATUS") is None  # not a 6-digit code: not a command
    assert n["cmd_malformed"] == 100 and n["cmd_rate_limited"] == 0
    assert a.check(ALICE, "%s STATUS" % code(T0)) == ("STATUS", ())
    # a valid code costs nothing: the owner keeps all attempts
    assert a.check(ALICE, "%s STATUS" % code(T0, 1)) == ("STATUS", ())
    for _ in range(3):
        assert a.check(ALICE, "000000 STATUS") is None
    assert n["cmd_bad_code"] == 3 and n["cmd_rate_limited"] == 0
    # another owner's bucket is untouched
    assert a.check(BOB, "%s STATUS" % code(T0, 0, BOB_KEY)) == ("STATUS", ())


def test_replay_refused_after_reboot():
    import os

    try:
        os.remove(STATE)
    except OSError:
        pass
    a, c, n = _auth(STATE)
    msg = "%s STATUS" % code(T0)
    assert a.check(ALICE, msg) is not None
    b, c2, n2 = _auth(STATE)  # power cut: a new Auth reads the last step from flash
    assert b.check(ALICE, msg) is None and n2["cmd_replayed"] == 1
    os.remove(STATE)


class Actions:
    def __init__(self):
        self.relays = {}
        self.rebooted = False
        self.sent = []

    def status(self):
        return "STATUS ok"

    def relay(self, n, on):
        if n != "1":
            return False
        self.relays[n] = on
        return True

    def send_text(self, number, text):
        self.sent.append((number, text))
        return "queued"

    async def balance(self):
        return "Balance: 12.50"

    def reboot(self):
        self.rebooted = True


async def test_run_each_command():
    x = Actions()
    assert await commands.run("STATUS", (), x) == "STATUS ok"
    assert await commands.run("RELAY", ("1", True), x) == "RELAY 1 ON"
    assert x.relays == {"1": True}
    assert await commands.run("RELAY", ("7", False), x) == "RELAY 7: no such relay"
    assert await commands.run("SEND", ("+15550000009", "hi"), x) == "SEND to +15550000009: queued"
    assert x.sent == [("+15550000009", "hi")]
    assert await commands.run("BALANCE", (), x) == "BALANCE: Balance: 12.50"
    assert await commands.run("REBOOT", (), x) == "REBOOT: restarting" and x.rebooted
    assert (await commands.run("?", ("usage: X",), x)) == "ERROR usage: X"


async def test_balance_failure_is_a_reply():
    x = Actions()

    async def broken():
        raise OSError(110)

    x.balance = broken
    assert (await commands.run("BALANCE", (), x)).startswith("BALANCE failed")


def _err(fn, value, key):
    try:
        fn(value, key)
    except ConfigError as e:
        return e.key
    return None


def test_validate_names_the_key():
    v = checks.commands
    assert _err(v, {"allow": {ALICE: SECRET}}, "commands") is None
    assert _err(v, {"allow": {"15550000001": SECRET}}, "commands") == "commands.allow.15550000001"
    assert _err(v, {"allow": {ALICE: "not base32!"}}, "commands") == "commands.allow." + ALICE
    assert _err(v, {"allow": {ALICE: "GEZDGNBV"}}, "commands") == "commands.allow." + ALICE
    assert _err(v, {"allow": []}, "commands") == "commands.allow"
    assert _err(v, {"alow": {}}, "commands") == "commands.alow"
    assert _err(v, {"max_attempts": 0}, "commands") == "commands.max_attempts"
    r = checks.relays
    assert _err(r, {"1": 25}, "relays") is None
    assert _err(r, {"1": 99}, "relays") == "relays.1"
    assert _err(r, {"one": 25}, "relays") == "relays.one"
    assert _err(r, [25], "relays") == "relays"
