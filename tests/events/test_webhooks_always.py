"""/webhooks with no `webhooks` section in the config, as android-sms-gateway always serves it:
registration works at once, every delivery is signed with a key generated on first use and kept
on the flash (never shown by GET /settings), and deliveries go on after a power cut."""

from __future__ import annotations

import json

from evharness import Receiver, wait_for

from smsgate.virtual import VirtualGateway


def test_webhooks_served_and_signed_without_a_webhooks_section():
    rx = Receiver(None)
    rx.start()
    try:
        with VirtualGateway(model="sim800", password="events-secret", heap="320K") as gw:
            gw.wait_ready()
            assert gw.api("GET", "/webhooks")[:2] == (200, [])
            assert gw.api("GET", "/webhooks/dead")[:2] == (200, [])
            assert gw.api("POST", "/webhooks", {"event": "sms:received"})[0] == 400
            # answered without starting the feature (~20 KB of heap): no key generated yet
            assert not (gw.data_dir / "data" / "settings.json").exists()
            status, hook, _ = gw.api("POST", "/webhooks", {"url": rx.url,
                                                           "event": "sms:received"})
            assert status == 201, hook
            saved = json.loads((gw.data_dir / "data" / "settings.json").read_text())
            rx.key = saved["webhooks"]["signing_key"]
            assert len(rx.key) >= 16
            assert rx.key not in json.dumps(gw.api("GET", "/settings")[1])
            gw.sim.send_sms("+15550001111", "hello hooks")
            wait_for(lambda: rx.got, 30, "a signed delivery")
            assert rx.bad_signatures == 0
            assert rx.got[0]["event"] == "sms:received" and rx.got[0]["webhookId"] == hook["id"]
            assert len(rx.got[0]["deviceId"]) == 21  # derived from the IMEI (smsgw.device)
            gw.restart_board()  # a power cut: the feature starts at boot, with the same key
            gw.sim.send_sms("+15550001111", "after the cut")
            wait_for(lambda: len(rx.got) >= 2, 30, "a delivery after the power cut")
            assert rx.bad_signatures == 0 and rx.got[-1]["payload"]["message"] == "after the cut"
            assert gw.api("GET", "/webhook")[1] == [hook]  # the app's alias
            assert gw.api("DELETE", "/webhooks/" + hook["id"])[0] == 204
            assert gw.api("DELETE", "/webhooks/" + hook["id"])[0] == 404
            assert gw.api("PUT", "/webhooks")[0] == 405
    finally:
        rx.stop()
