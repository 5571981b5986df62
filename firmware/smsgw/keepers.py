# What a real board keeps for itself and the unix board's host keeps for it: the watchdog
# (smsgw.watchdog), the reset cause (smsgw.resets) and the clock (smsgw.net.timesync). startup
# calls begin(ctx) before the tasks start and start(ctx, server) once they run, on boards whose
# `machine` has an RTC (the ESP32 boards). Config: device.watchdog_s (machine.WDT's timeout;
# 0: no watchdog).


def begin(ctx):
    """Start machine.WDT (device.watchdog_s) and count this boot's reset cause."""
    import machine

    from smsgw import resets

    ctx.wdt = None
    t = ctx.cfg["device"].get("watchdog_s", 0)
    if t > 0 and hasattr(machine, "WDT"):  # before the tasks: a start that hangs resets too
        ctx.wdt = machine.WDT(timeout=t * 1000)
    resets.boot(ctx.cfg["queue"]["dir"])
    ctx.health_checks["reset"] = resets.check


def start(ctx, server):
    """The clock keeper and the watchdog's feeder (tasks owned in ctx.tasks); `server`: the
    HTTP server's task, one of those the watchdog wants alive."""
    from smsgw.net import timesync

    ctx.timesync = timesync.start(ctx)
    if ctx.wdt is not None:
        from smsgw import watchdog

        watchdog.start(ctx, ctx.wdt, server, ctx.cfg["device"]["watchdog_s"])
