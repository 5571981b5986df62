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


def test_causes_and_the_unexpected_count_survive_boots():
    root = scratch("resets")
    m = _Machine()
    was = sys.modules.get("machine")
    sys.modules["machine"] = m
    try:
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
    finally:
        if was is None:
            sys.modules.pop("machine", None)
        else:
            sys.modules["machine"] = was
        rmtree(root)
