# Settings changed over the API (GET/PATCH/PUT /settings, net/settings_api.py): overrides of the
# provisioned config kept in <queue.dir>/settings.json (fsutil.write_atomic: a power cut leaves
# the old or the new file) and merged over /config.json at every boot (startup.load_config),
# validated like it (a change at run time: by the two sections' own validators). The document
# has android-sms-gateway's names; each maps to a config key:
#   messages.limit_period (Disabled|PerMinute|PerDay) + limit_value -> limits.per_minute|per_day
#   messages.send_interval_min / send_interval_max (s)             -> limits.interval_min_s|max_s
#   webhooks.retry_count, retry_base_s, retry_max_s, timeout_s      -> webhooks.<same>
#   webhooks.signing_key (write-only: never in a GET)               -> webhooks.signing_key
# null resets a value to the provisioned one. Other sections of the app's document (encryption,
# gateway, logs, ping) are refused with the reason.
from smsgw.errors import ConfigError
from smsgw.section import check_dict, check_int

FILE = "/settings.json"
_PERIODS = ("Disabled", "PerMinute", "PerDay")
_WEBHOOK_NUMS = ("retry_count", "retry_base_s", "retry_max_s", "timeout_s")
_MESSAGES = ("limit_period", "limit_value", "send_interval_min", "send_interval_max")
_UNSUPPORTED = {
    "encryption": "end-to-end encryption is not supported",
    "gateway": "there is no cloud or private server mode",
    "logs": "the log is a bounded ring on the flash, not kept for days",
    "ping": "system:ping is not sent",
}


def load(qdir):
    """The saved overrides ({} when none or unreadable)."""
    from smsgw.fsutil import read_json

    return read_json(qdir + FILE, {})


def save(qdir, overrides):
    from smsgw.fsutil import write_json

    write_json(qdir + FILE, overrides)


def document(cfg):
    """GET /settings: the effective settings in the app's shape, secrets left out."""
    lim = cfg.get("limits") or {}
    pm, pd = lim.get("per_minute", 0), lim.get("per_day", 0)
    period, value = ("PerMinute", pm) if pm else ("PerDay", pd) if pd else ("Disabled", 0)
    from smsgw.net.webhook_cfg import DEFAULTS

    wh = cfg.get("webhooks") or {}
    return {
        "messages": {"limit_period": period, "limit_value": value,
                     "send_interval_min": lim.get("interval_min_s", 0),
                     "send_interval_max": lim.get("interval_max_s", 0)},
        "webhooks": dict((k, wh.get(k, DEFAULTS[k])) for k in _WEBHOOK_NUMS),
    }


def _set(dst, key, value):
    if value is None:
        dst.pop(key, None)
    else:
        dst[key] = value


def _messages(body, lim):
    check_dict(body, "messages", _MESSAGES)
    for k in ("send_interval_min", "send_interval_max"):
        if k in body:
            v = body[k]
            _set(lim, "interval_%s_s" % k[14:],
                 None if v is None else check_int(v, "messages." + k, 0, 3600))
    if "limit_period" in body or "limit_value" in body:
        old = "PerMinute" if lim.get("per_minute") else "PerDay" if lim.get("per_day") else \
            "Disabled"
        period = body.get("limit_period", old) or "Disabled"
        if period not in _PERIODS:
            raise ConfigError("messages.limit_period", "must be one of %s (PerHour is not "
                              "supported)" % ", ".join(_PERIODS))
        value = body.get("limit_value", lim.get("per_minute") or lim.get("per_day") or 0)
        value = check_int(value or 0, "messages.limit_value", 0,
                          1000 if period == "PerMinute" else 100000)
        lim.pop("per_minute", None)
        lim.pop("per_day", None)
        if period != "Disabled" and value:
            lim["per_minute" if period == "PerMinute" else "per_day"] = value


def _webhooks(body, wh):
    check_dict(body, "webhooks", _WEBHOOK_NUMS + ("signing_key",))
    for k, v in body.items():
        if k == "signing_key" and v is not None:
            if not isinstance(v, str) or not 8 <= len(v) <= 128:
                raise ConfigError("webhooks.signing_key", "must be 8..128 characters")
        _set(wh, k, v)


def sections(provisioned, overrides):
    """The effective `limits` and `webhooks` sections: the provisioned ones (raw, from
    /config.json) with `overrides` merged in, each validated by its own module (not the whole
    config: a request cannot spare its ~8 KB). None where neither has the section."""
    from smsgw.alert.limits import validate as limits_ok
    from smsgw.net.webhook_cfg import validate as webhooks_ok

    out = {}
    for k, check in (("limits", limits_ok), ("webhooks", webhooks_ok)):
        base, over = provisioned.get(k), overrides.get(k)
        if base is None and over is None:
            out[k] = None
            continue
        sec = dict(base or {})
        sec.update(over or {})
        check(sec, k)
        out[k] = sec
    return out


def patch(provisioned, overrides, body, replace=False):
    """Apply a PATCH (or, with `replace`, a PUT) body to the saved `overrides`; `provisioned`:
    /config.json as written (its sections `limits` and `webhooks` are used).

    Returns (new overrides, sections()). Raises ConfigError naming the document's key (or the
    config's, when the merged section is refused).
    """
    if not isinstance(body, dict):
        raise ConfigError("", "must be an object")
    for k in body:
        if k in _UNSUPPORTED:
            raise ConfigError(k, "not supported: " + _UNSUPPORTED[k])
    check_dict(body, "", ("messages", "webhooks"))
    new = {} if replace else dict((k, dict(v)) for k, v in overrides.items())
    if "messages" in body:
        _messages(body["messages"] or {}, new.setdefault("limits", {}))
    if "webhooks" in body:
        _webhooks(body["webhooks"] or {}, new.setdefault("webhooks", {}))
    for k in ("limits", "webhooks"):
        if k in new and not new[k] and k not in overrides:
            del new[k]  # nothing set: do not switch a feature on with an empty section
    return new, sections(provisioned, new)
