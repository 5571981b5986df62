# What a real board keeps for itself and the unix board's host keeps for it: the watchdog
# (smsgw.watchdog), the reset cause (smsgw.resets) and the clock (smsgw.net.timesync). startup
# calls begin(ctx) before the tasks start and start(ctx, server) once they run, on boards whose
# `machine` has an RTC (the ESP32 boards). Config: device.watchdog_s (machine.WDT's timeout;
# 0: no watchdog); device.safe_after, device.good_after_s (safe mode: smsgw.startup).


def begin(ctx):
    """Start machine.WDT (device.watchdog_s) and count this boot's reset cause; `ctx.safe`:
    device.safe_after unexpected resets in a row came early (smsgw.resets)."""
    import machine

    from smsgw import resets

    ctx.wdt = None
    t = ctx.cfg["device"].get("watchdog_s", 0)
    if t > 0 and hasattr(machine, "WDT"):  # before the tasks: a start that hangs resets too
        ctx.wdt = machine.WDT(timeout=t * 1000)
    resets.boot(ctx.cfg["queue"]["dir"])
    ctx.health_checks["reset"] = resets.check
    n = ctx.cfg["device"]["safe_after"]
    ctx.safe = 0 < n <= resets.early


def start(ctx, server):
    """The clock keeper and the watchdog's feeder (tasks owned in ctx.tasks); `server`: the
    HTTP server's task, one of those the watchdog wants alive."""
    import asyncio

    from smsgw import resets
    from smsgw.net import timesync

    dev = ctx.cfg["device"]
    ctx.tasks.append(asyncio.create_task(resets.keep_good(ctx.cfg["queue"]["dir"],
                                                          dev["good_after_s"])))
    ctx.timesync = timesync.start(ctx)
    if ctx.wdt is not None:
        from smsgw import watchdog

        watchdog.start(ctx, ctx.wdt, server, dev["watchdog_s"])
