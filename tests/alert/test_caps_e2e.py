"""Carrier limits on the virtual board: a burst beyond the per-minute cap is spread out, nothing
is lost, and an alert overtakes the held bulk messages."""

from __future__ import annotations

import time

from alertkit import HEAP, R1, set_pin, wait_until
from smsgate.board_control import BoardControl
from smsgate.virtual import VirtualGateway

CAP = 6
BULK = 10
BULK_TO = "+15550000042"

CONFIG = {
    "device": {"name": "pump-3"},
    "rules": [{"name": "door", "pin": 14, "pull": "up", "active": 0, "debounce_ms": 30,
               "recipients": [R1], "ack_window_s": 600, "cooldown_s": 0}],
    "limits": {"per_minute": CAP, "per_day": 500},
    "heartbeat": {"boot": False, "interval_s": 0},
}


def test_burst_spread_nothing_lost_alert_overtakes():
    with VirtualGateway(config=CONFIG, heap=HEAP) as gw, BoardControl(gw.data_dir) as bc:
        sim = gw.sim
        ids = []
        for i in range(BULK):
            st, body, _ = gw.api("POST", "/message", {
                "textMessage": {"text": "bulk %d" % i}, "phoneNumbers": [BULK_TO],
                "withDeliveryReport": False})
            assert st == 202, body
            ids.append(body["id"])
        seen: dict[str, float] = {}

        def poll():
            for m in sim.sent():
                seen.setdefault(m["text"], time.monotonic())
            return seen

        wait_until(lambda: len(poll()) >= CAP, 20, "first %d sent" % CAP)
        t_cap = time.monotonic()
        time.sleep(2)
        assert len(poll()) == CAP  # the cap holds the rest
        held = [i for i in ids if gw.api("GET", "/messages/" + i)[1]["state"] == "Pending"]
        assert len(held) == BULK - CAP  # held in the durable queue, not dropped
        set_pin(bc.url, 14, 0)  # an alert now: priority, past the cap
        wait_until(lambda: any("door alert" in t for t in poll()), 10, "alert sent")
        # it overtook every held bulk message: none more had left when the alert went
        assert sum(t.startswith("bulk") for t in seen) == CAP
        # the held ones go when the minute has passed
        wait_until(lambda: sum(t.startswith("bulk") for t in poll()) == BULK, 75, "all bulk")
        late = sorted(at for t, at in seen.items() if t.startswith("bulk"))[CAP:]
        assert min(late) - t_cap >= 50  # spread out: one minute after the first ones
        for i in ids:
            assert gw.api("GET", "/messages/" + i)[1]["state"] in ("Sent", "Delivered")
        assert gw.health()["checks"]["alert"]["observedValue"]["paced"] >= 1


def test_quiet_hours_hold_bulk_but_not_alerts():
    now = time.gmtime()
    minute = now.tm_hour * 60 + now.tm_min
    start, end = (minute - 60) % 1440, (minute + 60) % 1440  # quiet now (may wrap midnight)
    quiet = "%02d:%02d-%02d:%02d" % (start // 60, start % 60, end // 60, end % 60)
    cfg = dict(CONFIG, limits={"quiet_hours": quiet, "utc_offset_min": 0})
    with VirtualGateway(config=cfg, heap=HEAP) as gw, BoardControl(gw.data_dir) as bc:
        st, body, _ = gw.api("POST", "/message", {
            "textMessage": {"text": "newsletter"}, "phoneNumbers": [BULK_TO],
            "withDeliveryReport": False})
        assert st == 202
        set_pin(bc.url, 14, 0)
        wait_until(lambda: any("door alert" in m["text"] for m in gw.sim.sent()), 10, "alert")
        time.sleep(1.5)
        assert [m["text"] for m in gw.sim.sent() if m["to"] == BULK_TO] == []
        assert gw.api("GET", "/messages/" + body["id"])[1]["state"] == "Pending"
        assert gw.health()["checks"]["alert"]["observedValue"]["paced"] >= 1
