# smsgw.alert: the standalone alert unit (input rules with escalation, TOTP SMS commands,
# heartbeat, carrier limits). Optional: the core never imports it; app.py calls start(ctx),
# config.py calls validate(value, key) for the sections rules, commands, relays, limits,
# heartbeat (alert/checks.py). Submodules load lazily: validating on the host imports no asyncio
# code.

SECTIONS = ("rules", "commands", "relays", "limits", "heartbeat")


def validate(value, key):
    """Check one of this package's config sections; `key` is its (dotted) name.

    Raises:
        ConfigError: naming the offending key, e.g. "rules.0.recipients.1".
    """
    name = key[key.rfind(".") + 1 :]
    if name not in SECTIONS:
        from smsgw.errors import ConfigError

        raise ConfigError(key, "not an alert section")
    if name == "limits":  # its module's own (PATCH /settings checks it at run time)
        from smsgw.alert.limits import validate as check
    else:
        check = getattr(__import__("smsgw.alert.checks", None, None, [name]), name)
    return check(value, key)


def check_config(cfg):
    """Cross-section check: a rule input pin must not also be a relay output."""
    from smsgw.errors import ConfigError

    relay_pins = list(cfg.get("relays", {}).values())
    for i, r in enumerate(cfg.get("rules", ())):
        if r.get("pin") in relay_pins:
            raise ConfigError("rules.%d.pin" % i, "pin is also a relay output")


def wanted(cfg):
    """True when the config asks for any alert-unit feature (app.py may skip start() else)."""
    return any(cfg.get(s) for s in SECTIONS)


def start(ctx):
    """Start the alert unit on the gateway context (ctx.cfg, .board, .modem, .outbox).

    Returns:
        The running Unit (`await unit.stop()` ends its tasks; `unit.health()` for /health).
    """
    from smsgw import forget
    from smsgw.alert.unit import Unit

    forget("smsgw.alert.checks")  # the config's checks ran (again when a config changes)
    cfg = getattr(ctx, "cfg", None) or getattr(ctx, "config", {})
    check_config(cfg)
    return Unit(ctx).start()
