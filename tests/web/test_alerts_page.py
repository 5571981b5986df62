"""The alert unit on the web page, in chromium against the virtual board: an input rule raises
an alert (the wire played by the board control server), the page shows the rule's state and
acknowledges it (POST /alerts/<rule>/ack through the engine's ACK path: the alerted recipient
is told, escalation stops); the API answers 404/409 for what it cannot acknowledge."""

from __future__ import annotations

import pytest
from alert.alertkit import HEAP, R1, R2, set_pin, wait_text

from smsgate.board_control import BoardControl
from smsgate.browser import PHONE, log_in
from smsgate.virtual import VirtualGateway

from .conftest import shot

CONFIG = {
    "device": {"name": "pump-3"},
    "rules": [
        {"name": "door", "pin": 14, "pull": "up", "active": 0, "debounce_ms": 30,
         "recipients": [R1, R2], "ack_window_s": 600, "cooldown_s": 0},
        {"name": "tank", "pin": 16, "pull": "down", "active": 1, "debounce_ms": 30,
         "recipients": [R1]},
    ],
    "heartbeat": {"boot": False, "interval_s": 0},
}


@pytest.fixture(scope="module")
def gw():
    with VirtualGateway(config=CONFIG, heap=HEAP, password="web-secret") as g:
        with BoardControl(g.data_dir) as bc:
            g.bc = bc
            yield g


def test_acknowledge_an_alert_from_the_page(gw, page):
    log_in(page, gw.url, gw.user, gw.password)
    page.wait_for_selector("#al tr[data-rule='door'] td.st-normal")
    assert page.query_selector("#al button") is None  # nothing to acknowledge
    assert page.is_visible("#nav-al")
    # no webhooks configured: the page does not start the feature just by being looked at
    page.wait_for_selector("#wh li:has-text('the first webhook registered')")
    assert "webhooks" not in gw.health()["checks"]
    set_pin(gw.bc.url, 14, 0)  # the door opens (active low, pulled up)
    wait_text(gw.sim, R1, "Reply ACK", timeout=20)
    row = "#al tr[data-rule='door']"
    page.wait_for_selector(row + " td.st-alert")  # the page follows without reloading
    assert R1 in page.inner_text(row)
    page.wait_for_selector("#st dt:text-is('Alert unit') + dd:has-text('open: door')")
    shot(page, "web-alert")
    shot(page, "web-alert-phone", PHONE)  # the table's rows stack: nothing wider than a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.focus(row + " button")  # keyboard: Enter on the focused button acknowledges
    page.keyboard.press("Enter")
    page.wait_for_selector(row + " td.st-acked")
    page.wait_for_selector("#note:has-text('Alert door acknowledged')")
    assert page.query_selector(row + " button") is None
    told = wait_text(gw.sim, R1, "acknowledged by the web page", timeout=20)
    assert told[0].startswith("pump-3: door acknowledged by the web page (ACK ")
    status, doc, _ = gw.api("GET", "/alerts")
    assert status == 200 and [a["state"] for a in doc] == ["acked", "normal"]
    assert "code" not in repr(doc).lower()  # the ACK code is the SMS credential: not shown
    assert not page.errors
    set_pin(gw.bc.url, 14, 1)


def test_ack_refusals(gw):
    import yaml

    from smsgate.runtime import REPO_ROOT

    doc = yaml.safe_load((REPO_ROOT / "docs" / "openapi.yaml").read_text())
    keys = set(doc["components"]["schemas"]["AlertRule"]["properties"])
    rules = gw.api("GET", "/alerts")[1]
    assert [set(r) for r in rules] == [keys, keys]  # as docs/openapi.yaml says
    assert gw.api("POST", "/alerts/tank/ack")[0] == 409  # no open alert
    assert gw.api("POST", "/alerts/nothing/ack")[0] == 404
    assert gw.api("POST", "/alerts/%zz/ack")[0] == 404
    assert gw.api("GET", "/alerts/door/ack")[0] == 405
    assert gw.api("DELETE", "/alerts")[0] == 405
    assert gw.api("GET", "/alerts", auth=False)[0] == 401


def test_no_alerts_without_rules(tmp_path):
    with VirtualGateway(password="web-secret") as g:
        assert g.api("GET", "/alerts")[0] == 404
