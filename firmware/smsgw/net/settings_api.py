# GET /settings, PATCH /settings and PUT /settings (imported on their first request, smsgw.net.
# ondemand): the document and its rules are smsgw.settings'. A change is merged over the
# provisioned sections (re-read from ctx.cfg_path, so null brings their value back), validated,
# saved, then applied to the running gateway: the webhook retry and signing keys at once, the
# pacing (limits, pauses) by a new pacer on the outbox. 200 with the new document, 400 naming
# the key.
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
    from smsgw.fsutil import read_json

    qdir = ctx.cfg["queue"]["dir"]
    old = settings.load(qdir)
    provisioned = read_json(ctx.cfg_path, {})  # /config.json as written: what null brings back
    overrides, secs = settings.patch(provisioned, old, body, replace)
    hooks = ctx.features.get("smsgw.net.webhooks")
    # keep the key generated on first use (it lives in the overrides a PUT replaces), also
    # while the feature is not loaded (no webhook registered: startup._hooks_kept)
    key = hooks.cfg["signing_key"] if hooks is not None else \
        (old.get("webhooks") or {}).get("signing_key")
    if key and (secs["webhooks"] or {}).get("signing_key") is None:
        overrides.setdefault("webhooks", {})["signing_key"] = key
        secs["webhooks"] = dict(secs["webhooks"] or {}, signing_key=key)
    settings.save(qdir, overrides)
    ctx.cfg.update(secs)
    if hooks is not None:
        from smsgw.net.webhook_cfg import validate

        hooks.cfg = validate(secs["webhooks"])
    _pace(ctx, secs["limits"] or {})


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
