# The hardware watchdog (machine.WDT): started at boot, fed only while the event loop runs and
# the core tasks (AT reader, sender, HTTP server) are alive. A loop that hangs (a blocking call
# that never returns) or a core task that ended stops the feeding, and the board resets: the
# next boot's cause is "watchdog" (smsgw.resets counts it). Once started it cannot be stopped
# (docs/ESP32-PORT.md "Watchdog and resets").
import asyncio


def dead(ctx, server):
    """Names of the core tasks that are not running (none: all alive); `server`: the HTTP
    server's task."""
    out = []
    for name, t in (("AT reader", ctx.at._task), ("sender", ctx.outbox.task),
                    ("HTTP server", server)):
        if t is None or t.done():
            out.append(name)
    return out


async def feed(wdt, timeout_s, ctx, server):
    """The feeder task: a feed every quarter of the timeout while every core task lives."""
    from smsgw import log

    said = False
    while True:
        try:
            gone = dead(ctx, server)
        except MemoryError:  # no heap to look now: the loop runs (this task does), so feed
            gone = None
        if not gone:
            wdt.feed()
            said = False
        elif not said:  # not fed any more: the watchdog resets the board within timeout_s
            said = True
            log.error("watchdog: %s not running, no more feeding", ", ".join(gone))
        await asyncio.sleep_ms(timeout_s * 250)


def start(ctx, wdt, server, timeout_s):
    """Own the feeder task (ctx.tasks); `wdt`: the machine.WDT smsgw.keepers started."""
    t = asyncio.create_task(feed(wdt, timeout_s, ctx, server))
    ctx.tasks.append(t)
    return t
