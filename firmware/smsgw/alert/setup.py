# The alert unit's start (alert/unit.py Unit.start): the pacer, the relays OFF, the input rules
# and their task, the command path, the heartbeat's boot message and task, the retry task and
# the /health check. Boot's code: Unit.start loads it and forgets it once the unit runs.
import asyncio

from smsgw import clock
from smsgw.alert import util


def start(u):
    """Start the Unit `u` (its tasks are u.tasks; u.stop() ends them)."""
    from smsgw import events

    cfg = u.cfg
    lim = cfg.get("limits")
    if lim:
        from smsgw.alert import limits

        clock.local_offset = lim.get("utc_offset_min", 0) * 60
        u.pacer = limits.Pacer(lim, state_path=u._path("alert_day.json"))
        if u.outbox is not None:
            u.outbox.pacer = u.pacer
    for n, pin in u.relays.items():
        u.board.pin(pin, "out", None)
        u.board.write_pin(pin, 0)  # relays start OFF after a boot (safe default)
    if cfg.get("rules"):
        _rules(u, cfg["rules"])
    if cfg.get("commands") or cfg.get("rules"):
        from smsgw.alert.unit import drop_commands

        util.count_commands(u.counters)
        drop_commands()  # config validation loaded them
        events.subscribe(u._on_event)
        u.tasks.append(asyncio.create_task(u._inbound_task()))
    _heartbeat(u, cfg.get("heartbeat", {}))
    u.tasks.append(asyncio.create_task(u._retry_task()))
    checks = getattr(u.ctx, "health_checks", None)
    if checks is not None:
        checks["alert"] = u.health_check


def _rules(u, rules_cfg):
    from smsgw.alert import rules

    for r in rules_cfg:
        if "pin" in r:
            u.board.pin(r["pin"], "in", r.get("pull"))
    u.engine = rules.Engine(rules_cfg, u.device, u.send, u._read, u._path("alert_state.json"))
    u.tasks.append(asyncio.create_task(u._rules_task()))


def _heartbeat(u, hb_cfg):
    fallback = u.hb_fallback
    for r in u.cfg.get("rules", ()):
        if r["recipients"][0] not in fallback:
            fallback.append(r["recipients"][0])
    u.hb_cfg = hb_cfg
    if u.modem is not None and hasattr(u.modem, "listeners"):
        u.modem.listeners.append(u._on_modem)
    u.hb_every = u._heartbeat("boot")
    if u.hb_every:
        u.tasks.append(asyncio.create_task(u._heartbeat_task()))
