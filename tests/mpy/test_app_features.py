# heapsize: 148K
# (148K: the webhooks feature, compiled from source here, imports net/lines and net/dns
# since the hostile-network limits, and smsgw.startup compiles beside smsgw.app; a board
# loads them as .mpy)
# smsgw.startup's optional features: a feature starts when its config section is present, even
# empty (defaults apply), and stays off when the section is absent. The microdot app is a
# stand-in that records routes (microdot is not on the unix port's path here). Without a
# provisioned signing key, the webhooks feature generates one and keeps it (smsgw.settings).
from fsutil import scratch
from smsgw.fstree import rmtree
from smsgw import app, config, events, startup


class _App:
    def __init__(self):
        self.routes = []

    def route(self, path, methods=None):
        def deco(fn):
            self.routes.append((path, tuple(methods or ("GET",))))
            return fn

        return deco


def _ctx(user, d):
    user = dict(user)
    user["queue"] = {"dir": d}
    user["api"] = {"password": "app-features"}
    ctx = app.Ctx(config.validate(config.merge(config.DEFAULTS, user)))
    ctx.app = _App()
    return ctx


async def _stop(ctx):
    for name, feature in ctx.features.items():
        if name == "smsgw.net.webhooks":
            events.unsubscribe(feature.on_event)
        await feature.stop()


async def test_empty_webhooks_section_starts_the_feature_with_a_kept_signing_key():
    import json

    d = scratch("appfeat")
    try:
        ctx = _ctx({"webhooks": {}}, d)
        startup._start_features(ctx)
        try:
            assert list(ctx.features) == ["smsgw.net.webhooks"], ctx.features
            assert "webhooks" in ctx.health_checks and len(ctx.tasks) == 1
            # its endpoints are net/webhook_api's (loaded on demand): no routes added here
            assert ctx.app.routes == [], ctx.app.routes
            key = ctx.features["smsgw.net.webhooks"].cfg["signing_key"]
            with open(d + "/settings.json") as f:
                assert json.load(f)["webhooks"]["signing_key"] == key and len(key) >= 16
        finally:
            await _stop(ctx)
    finally:
        rmtree(d)


async def test_absent_sections_start_no_feature():
    d = scratch("appfeat")
    try:
        ctx = _ctx({}, d)
        startup._start_features(ctx)
        assert ctx.features == {} and ctx.app.routes == [] and ctx.tasks == []
    finally:
        rmtree(d)
