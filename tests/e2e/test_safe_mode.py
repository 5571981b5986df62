"""Safe mode: a board whose boots keep ending in an unexpected reset soon after they start
starts the next one without its optional features (smsgw.resets counts them, smsgw.startup
leaves the features off; config `device.safe_after`, `device.good_after_s`).

The board is an ESP32 one (the reset cause and the count are its keepers') with webhooks, MQTT
and the alert unit configured on a heap that holds its core but not all of that: each boot with
every feature starves for heap and resets. After `safe_after` such
resets in a row the board runs the core, says so (log line and /health check `safe-mode`), and
sends SMS again. A power-on (someone cycles the board after changing its configuration) starts
the count over: every feature is tried again.
"""

from __future__ import annotations

from contextlib import contextmanager

from smsgate.virtual import free_port

from .conftest import make_gateway, poll, send, sent_with
from .test_heap_guard import _is_64bit

# 64-bit: the features need ~270K on this board, its core fits from ~215K; 32-bit: x 0.65
HEAP = "240K" if _is_64bit() else "156K"
SAFE_AFTER = 2
CONFIG = {
    "webhooks": {"signing_key": "safe-mode"},  # provisioned: the delivery chain loads at boot
    "mqtt": {"url": "mqtt://127.0.0.1:%d" % free_port()},  # nobody there: the bridge retries
    "rules": [{"name": "door", "pin": 14, "pull": "up", "active": 0,
               "recipients": ["+15551230009"]}],
    # starved_s: the heap's watch resets a board whose heap stays short after 5 s, not 120
    "device": {"safe_after": SAFE_AFTER, "good_after_s": 600, "starved_s": 5},
}
FEATURES = ["smsgw.net.webhooks", "smsgw.net.mqtt", "smsgw.alert"]


@contextmanager
def _board(flash):
    gw = make_gateway(board="tcall-sim800l", heap=HEAP, config=CONFIG, data_dir=flash,
                      fw_scale=1.0)
    try:
        yield gw.start(wait=False)  # not `with gw`: it waits for a board that resets meanwhile
    finally:
        gw.stop()


def test_early_resets_in_a_row_start_the_core_only_until_a_power_on(tmp_path):
    flash = tmp_path / "flash"
    with _board(flash) as gw:
        safe = poll(lambda: gw.checks().get("safe-mode"), timeout=180, every=0.5,
                    what="safe mode after %d early resets" % SAFE_AFTER)
        assert safe["status"] == "warn", safe
        assert safe["observedValue"] == {"early": SAFE_AFTER, "off": FEATURES}, safe
        reset = gw.checks()["reset"]["observedValue"]
        assert reset["cause"] == "hard" and reset["unexpected"] == SAFE_AFTER, reset
        console = gw.console_text()
        # the firmware reset itself for its heap (its watch, or a MemoryError no task lived
        # through), not the watchdog
        assert console.count("heap starved") + console.count("unhandled in task") == \
            SAFE_AFTER, console[-3000:]
        assert ("safe mode: %d unexpected resets in a row came early; not started: %s"
                % (SAFE_AFTER, ", ".join(FEATURES))) in console, console[-3000:]
        # the core works: an SMS goes out, and the board stays up
        resets = console.count("hard reset")
        send(gw, "sent in safe mode")
        poll(lambda: sent_with(gw.sim, "sent in safe mode"), timeout=60, what="the SMS sent")
        assert gw.console_text().count("hard reset") == resets, gw.console_text()[-3000:]
        checks = gw.checks()
        assert "mqtt" not in checks and "webhooks" not in checks, sorted(checks)
    # powered on again (someone cycles the board, say after changing its configuration): the
    # count starts over, the first boot tries every feature, and with this heap it comes back
    # to safe mode after SAFE_AFTER early resets again, not at once
    with _board(flash) as gw:
        line = "safe mode: %d unexpected resets in a row" % SAFE_AFTER
        text = poll(lambda: line in gw.console_text() and gw.console_text(), timeout=180,
                    every=0.5, what="safe mode again")
        assert "feature smsgw.net.mqtt started" in text.split(line)[0], text[-3000:]
