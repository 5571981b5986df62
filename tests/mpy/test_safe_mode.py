# heapsize: 200K
# (200K: net/ota.py compiles from source here; a board loads it as .mpy)
# Safe mode (smsgw.startup, with smsgw.resets' count of early resets): the configured features
# stay off but OTA, the board says which, and an update on probation is not confirmed.
from fsutil import scratch
from smsgw.fstree import rmtree
from smsgw import app, config, resets, startup
from smsgw.net import ota


class _App:
    def route(self, path, methods=None):
        return lambda fn: fn


def _ctx(user, d):
    user = dict(user, queue={"dir": d}, api={"password": "safe-mode"})
    ctx = app.Ctx(config.validate(config.merge(config.DEFAULTS, user)))
    ctx.app = _App()
    return ctx


async def test_safe_mode_starts_ota_only_and_its_probation_does_not_confirm():
    # ctx.safe: smsgw.keepers sets it after device.safe_after early resets in a row
    d = scratch("safemode")
    try:
        ctx = _ctx({"webhooks": {}, "mqtt": {"url": "mqtt://127.0.0.1:1"},
                    "ota": {"key": "update-key-0123456789"},
                    "heartbeat": {"boot": False, "interval_s": 0}}, d)
        ctx.safe = True
        resets.early = 3
        startup._start_features(ctx)
        up = ctx.features.get("smsgw.net.ota")
        assert list(ctx.features) == ["smsgw.net.ota"], ctx.features
        assert "mqtt" not in ctx.health_checks and "webhooks" not in ctx.health_checks
        check = ctx.health_checks["safe-mode"]()
        assert check["status"] == "warn", check
        assert check["observedValue"] == {
            "early": 3, "off": ["smsgw.net.webhooks", "smsgw.net.mqtt", "smsgw.alert"]}, check
        written, resets_asked = [], []
        was = ota.write_state
        ota.write_state = written.append  # not the host's /fw/state

        async def reset(delay_s):
            resets_asked.append(delay_s)

        up._reset = reset
        ctx.ready.set()
        ctx.app.server = object()  # modem ready, HTTP serving: what confirms a version
        try:
            await up._probation({"run": "b", "prev": "a", "trying": True, "from": "1",
                                 "to": "2"})
        finally:
            ota.write_state = was
        assert written and written[0]["run"] == "a", written
        assert written[0]["last"] == {"from": "1", "to": "2", "result": "rolled back",
                                      "reason": "probation: safe mode"}, written
        assert up.probation == "rolled back" and resets_asked
    finally:
        resets.early = 0
        resets.off = []
        rmtree(d)
