# First setup without a cable, imported only when one of its requests comes in
# (routes in net/wifi.py; authenticated like the whole API):
#   POST /wifi {"ssid", "password"}  -> 202: saved, the supervisor joins it now
#   POST /password {"password"}      -> 200: the new API password, in force at once
# Both are validated as provisioned config is (smsgw.config: errors name the key, 400) and
# written into the config file (fsutil.write_atomic) before they are used.
from smsgw.net.api import basic_auth, error, json_body, reply


def _body(request, keys):
    # the request's JSON object (only `keys`), else the 400 answer
    try:
        body = json_body(request)
    except ValueError as e:
        return error(400, str(e))
    if not isinstance(body, dict) or not body or any(k not in keys for k in body):
        return error(400, "expected an object with %s" % ", ".join(keys))
    return body


def save(path, changes):
    """Merge `changes` into the config file at `path`, validate the whole, write it atomically.

    Raises ConfigError naming the key (nothing written), OSError.
    """
    from smsgw import config, forget, fsutil

    # never provisioned (or unreadable, so the board runs on defaults): the defaults plus this
    user = config.merge(fsutil.read_json(path, {}), changes)
    try:
        config.validate(config.merge(config.DEFAULTS, user))
    finally:  # its tables are only needed now (startup.load_config drops them too)
        forget("smsgw.config")
    fsutil.write_json(path, user)


def _saved(ctx, changes):
    # None when saved, else the error answer
    from smsgw.errors import ConfigError

    try:
        save(ctx.cfg_path, changes)
    except ConfigError as e:
        return error(400, str(e))
    except OSError as e:
        return error(503, "config not written: %s" % e)
    return None


def wifi(ctx, sup, request):
    body = _body(request, ("ssid", "password"))
    if not isinstance(body, dict):
        return body
    ssid, password = body.get("ssid", ""), body.get("password", "")
    bad = _saved(ctx, {"wifi": {"ssid": ssid, "password": password}})
    if bad is not None:
        return bad
    sup.configure(ssid, password)
    return reply({"ssid": ssid, "name": sup.name, "state": "joining"}, 202)


def password(ctx, request):
    body = _body(request, ("password",))
    if not isinstance(body, dict):
        return body
    cfg = ctx.cfg
    new = body.get("password")
    changes = {"api": {"password": new}}
    if not cfg["wifi"]["ap_password"]:  # derived from the old one: the access point keeps it
        from smsgw.net import ap

        changes["wifi"] = {"ap_password": ap.password(cfg)}
    bad = _saved(ctx, changes)
    if bad is not None:
        return bad
    cfg["api"]["password"] = new
    cfg["wifi"].update(changes.get("wifi", {}))
    ctx.app.auth = basic_auth(cfg["api"]["user"], new)
    return reply({"user": cfg["api"]["user"], "changed": True})
