# smsgw.alert: the standalone alert unit (input rules with escalation, TOTP SMS commands,
# heartbeat, carrier limits). Optional: the core never imports it; app.py calls start(ctx),
# config.py calls validate(value, key) for the sections rules, commands, relays, limits,
# heartbeat. Submodules load lazily: validating on the host imports no asyncio code.

_VALIDATORS = {
    "rules": ("smsgw.alert.rules", "validate"),
    "commands": ("smsgw.alert.commands", "validate"),
    "relays": ("smsgw.alert.commands", "validate_relays"),
    "limits": ("smsgw.alert.limits", "validate"),
    "heartbeat": ("smsgw.alert.heartbeat", "validate"),
}
SECTIONS = tuple(_VALIDATORS)


def validate(value, key):
    """Check one of this package's config sections; `key` is its (dotted) name.

    Raises:
        ConfigError: naming the offending key, e.g. "rules.0.recipients.1".
    """
    name = key[key.rfind(".") + 1 :]
    if name not in _VALIDATORS:
        from smsgw.errors import ConfigError

        raise ConfigError(key, "not an alert section")
    mod, fn = _VALIDATORS[name]
    return getattr(__import__(mod, None, None, [fn]), fn)(value, key)


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
    from smsgw.alert.unit import Unit

    cfg = getattr(ctx, "cfg", None) or getattr(ctx, "config", {})
    check_config(cfg)
    return Unit(ctx).start()
