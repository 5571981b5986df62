# smsgw.alert: the standalone alert unit (input rules with escalation, TOTP SMS commands,
# heartbeat, carrier limits). Optional: the core never imports it; startup calls start(ctx),
# config.py has alert/checks.py check the sections rules, commands, relays, limits, heartbeat.
# Submodules load lazily: validating on the host imports no asyncio code. This file stays in
# the heap while the unit runs: it holds the entry point only.


def start(ctx):
    """Start the alert unit on the gateway context (ctx.cfg, .board, .modem, .outbox).

    Returns:
        The running Unit (`await unit.stop()` ends its tasks; `unit.health()` for /health).
    """
    from smsgw import forget
    from smsgw.alert.checks import check_config
    from smsgw.alert.unit import Unit

    cfg = getattr(ctx, "cfg", None) or getattr(ctx, "config", {})
    check_config(cfg)
    del check_config
    forget("smsgw.alert.checks")  # the config's checks ran (again when a config changes)
    return Unit(ctx).start()
