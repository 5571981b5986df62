# GET /settings, PATCH /settings and PUT /settings (imported on their first request, smsgw.net.
# ondemand): the document and its rules are smsgw.settings'. A change is validated against the
# provisioned config (re-read from ctx.cfg_path, so null brings its value back), saved, then
# applied to the running gateway: the webhook retry and signing keys at once, the pacing (limits,
# pauses) by a new pacer on the outbox. 200 with the new document, 400 naming the key.
from smsgw.net.api import error, json_body, reply
from smsgw.net.ondemand import misrouted


async def settings(ctx, request):
    from smsgw import settings

    if request.method in ("PATCH", "PUT"):
        bad = misrouted(request, request.method, "/settings")
        if bad:
            return bad
        try:
            body = json_body(request)
        except ValueError as e:
            return error(400, str(e))
        from smsgw.errors import ConfigError

        try:
            _change(ctx, settings, body, request.method == "PUT")
        except ConfigError as e:  # it may name a key the client made up: printable ASCII only
            return error(400, "".join(c if " " <= c <= "~" else "?" for c in str(e)))
    else:
        bad = misrouted(request, "GET", "/settings")
        if bad:
            return bad
    return reply(settings.document(ctx.cfg))


def _change(ctx, settings, body, replace):
    import sys

    import smsgw

    qdir = ctx.cfg["queue"]["dir"]
    try:
        provisioned = __import__("smsgw.config", None, None, ["load"]).load(ctx.cfg_path)
        overrides, cfg = settings.patch(provisioned, settings.load(qdir), body, replace)
    finally:  # the config's tables (~8 KB) are needed for this change only
        sys.modules.pop("smsgw.config", None)
        if "config" in dir(smsgw):
            delattr(smsgw, "config")
    hooks = ctx.features.get("smsgw.net.webhooks")
    if hooks is not None and (cfg.get("webhooks") or {}).get("signing_key") is None:
        # keep the key generated on first use (it lives in the overrides a PUT replaces)
        key = hooks.cfg["signing_key"]
        overrides.setdefault("webhooks", {})["signing_key"] = key
        if cfg.get("webhooks") is None:
            cfg["webhooks"] = {}
        cfg["webhooks"]["signing_key"] = key
    settings.save(qdir, overrides)
    for k in ("limits", "webhooks"):
        ctx.cfg[k] = cfg.get(k)
    if hooks is not None:
        from smsgw.net.webhooks import validate

        hooks.cfg = validate(cfg.get("webhooks"))
    _pace(ctx, cfg.get("limits") or {})


def _pace(ctx, lim):
    # a new pacer with the new caps (today's count is kept in its file); none when no cap
    pacer = None
    if any(lim.get(k) for k in ("per_minute", "per_day", "quiet_hours", "interval_min_s",
                                "interval_max_s")):
        from smsgw.alert.limits import Pacer

        pacer = Pacer(lim, state_path=ctx.cfg["queue"]["dir"] + "/alert_day.json")
    ctx.outbox.pacer = pacer
    unit = ctx.features.get("smsgw.alert")
    if unit is not None:
        unit.pacer = pacer
    ctx.outbox.wake.set()  # a held message looks at the new caps now
