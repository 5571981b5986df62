# Reset causes and the count of unexpected resets kept in flash (smsgw.resets), with a `machine`
# whose reset_cause() the test sets (the ESP32 port's codes).
import sys

from fsutil import rmtree, scratch
from smsgw import resets


class _Machine:
    cause = 1

    def reset_cause(self):
        return self.cause


def _boot(root, m, cause):
    m.cause = cause
    return resets.boot(root)


class _FakeMachine:
    def __init__(self):
        self.m = _Machine()

    def __enter__(self):
        self.was = sys.modules.get("machine")
        sys.modules["machine"] = self.m
        return self.m

    def __exit__(self, *exc):
        if self.was is None:
            sys.modules.pop("machine", None)
        else:
            sys.modules["machine"] = self.was


def test_causes_and_the_unexpected_count_survive_boots():
    root = scratch("resets")
    with _FakeMachine() as m:
        assert _boot(root, m, 1) == ("power-on", 0, False)
        assert resets.check()["status"] == "pass"
        assert _boot(root, m, 3) == ("watchdog", 1, True)
        c = resets.check()
        assert c["status"] == "warn" and c["observedValue"] == {"cause": "watchdog",
                                                                "unexpected": 1}
        assert _boot(root, m, 2) == ("hard", 2, True)  # a panic, or the reset after a crash
        assert resets.expect(root, "REBOOT command")
        assert _boot(root, m, 2) == ("hard", 2, False)  # announced: not counted
        assert _boot(root, m, 2) == ("hard", 3, True)  # the mark is used once
        assert _boot(root, m, 5) == ("soft", 3, False)
        assert _boot(root, m, 4) == ("deep-sleep", 3, False)
        assert _boot(root, m, 9) == ("unknown", 3, False)
        with open(root + "/resets.json", "w") as f:
            f.write('{"unexpec')  # torn by a power cut: counting starts again
        assert _boot(root, m, 3) == ("watchdog", 1, True)
    rmtree(root)


async def test_early_resets_in_a_row_until_a_boot_lasts_or_one_is_asked_for():
    # safe mode's count (smsgw.startup): unexpected resets, each before its boot lasted
    root = scratch("resets-early")
    with _FakeMachine() as m:
        _boot(root, m, 1)
        assert resets.early == 0
        for n in (1, 2, 3):  # hard resets (the heap's watch, a crash) soon after each boot
            _boot(root, m, 2)
            assert resets.early == n
        _boot(root, m, 3)  # the watchdog's count as well
        assert resets.early == 4
        await resets.keep_good(root, 0)  # this boot lasted
        _boot(root, m, 2)  # a crash after a boot that lasted: not early
        assert resets.early == 0
        _boot(root, m, 2)
        assert resets.early == 1
        assert resets.expect(root, "REBOOT command")
        _boot(root, m, 2)  # asked for: the count starts again
        assert resets.early == 0
        _boot(root, m, 2)
        _boot(root, m, 2)
        assert resets.early == 2
        for cause in (1, 5):  # a power-on (someone cycled it), a soft reset (the REPL)
            _boot(root, m, cause)
            assert resets.early == 0
            _boot(root, m, 2)
            assert resets.early == 1
        c = resets.safe_check()
        assert c["status"] == "warn" and c["observedValue"]["early"] == 1
    rmtree(root)
