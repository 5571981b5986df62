# The watchdog's feeder feeds only while the core tasks live (smsgw.watchdog).
import asyncio

from smsgw import watchdog


class _Obj:
    pass


class _WDT:
    feeds = 0

    def feed(self):
        self.feeds += 1


async def _forever():
    await asyncio.sleep(3600)


async def test_fed_while_the_core_tasks_live_then_not():
    ctx = _Obj()
    ctx.at, ctx.outbox, ctx.tasks = _Obj(), _Obj(), []
    ctx.at._task = asyncio.create_task(_forever())
    ctx.outbox.task = asyncio.create_task(_forever())
    server = asyncio.create_task(_forever())
    assert watchdog.dead(ctx, server) == []
    wdt = _WDT()
    feeder = watchdog.start(ctx, wdt, server, 1)  # a feed every 250 ms
    await asyncio.sleep_ms(600)
    assert wdt.feeds >= 2 and feeder in ctx.tasks
    ctx.outbox.task.cancel()  # the sender died: no more feeding, the WDT will reset the board
    await asyncio.sleep_ms(300)
    assert watchdog.dead(ctx, server) == ["sender"]
    n = wdt.feeds
    await asyncio.sleep_ms(600)
    assert wdt.feeds == n
    ctx.at._task = None  # stopped by its owner
    assert watchdog.dead(ctx, server) == ["AT reader", "sender"]
    for t in (feeder, server):
        t.cancel()


async def test_no_heap_to_look_at_the_tasks_still_feeds():
    # a MemoryError building the list of dead tasks ended the feeder: the watchdog then reset
    # a board whose loop ran fine
    from waits import until

    ctx = _Obj()
    ctx.at, ctx.outbox, ctx.tasks = _Obj(), _Obj(), []
    ctx.at._task = ctx.outbox.task = server = asyncio.create_task(_forever())
    real, short = watchdog.dead, [2]

    def dead(c, s):
        if short[0]:
            short[0] -= 1
            raise MemoryError("memory allocation failed, allocating 16 bytes")
        return real(c, s)

    watchdog.dead = dead
    wdt = _WDT()
    try:
        feeder = watchdog.start(ctx, wdt, server, 1)  # a look every 250 ms
        await until(lambda: wdt.feeds >= 3)
        assert not feeder.done() and short[0] == 0
    finally:
        watchdog.dead = real
    for t in (feeder, server):
        t.cancel()
