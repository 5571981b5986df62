# One inbound SMS for the alert unit (alert/unit.py's command task loads this module for it and
# forgets it after): an ACK for a rule's alert, a command from an allow-listed number
# (alert/commands.py, loaded only then), or nothing. Functions of the Unit `u`.
from smsgw.alert import util
from smsgw.alert.rules import REPLY_PRIORITY


async def handle(u, number, text):
    """One inbound SMS: an ACK for a rule, or a command (authenticated), or nothing."""
    if not isinstance(text, str):
        return
    if u.engine is not None:
        code = parse_ack(text)
        if code is not None:
            if u.engine.ack(number, code) is None:
                u.counters["ack_unmatched"] = u.counters.get("ack_unmatched", 0) + 1
            return
    cmd_cfg = u.cfg.get("commands", {})
    if number not in cmd_cfg.get("allow", {}):  # commands.Auth's first check, unloaded
        u.counters["cmd_unknown_number"] += 1
        return
    from smsgw.alert import commands
    from smsgw.alert.unit import drop_commands

    try:
        cmd = commands.Auth(cmd_cfg, u.counters, u._path("alert_cmd.json"),
                            tat=u.cmd_tat).check(number, text)
        if cmd is not None:
            reply(u, number, await commands.run(cmd[0], cmd[1], commands.Actions(u)))
    finally:
        drop_commands()


def reply(u, number, text):
    """A command's answer to `number` (at most 300 characters), past the carrier caps."""
    u.replies += 1
    u.send(number, text[:300], "cr-%d-%d" % (util.wall(), u.replies), REPLY_PRIORITY)


def parse_ack(text):
    """'ACK 1234' (any case, spaces or a final '.'/'!' around) -> '1234', else None."""
    parts = text.strip().rstrip(".!").split()
    if len(parts) == 2 and parts[0].upper() == "ACK" and parts[1].isdigit():
        return parts[1]
    return None
