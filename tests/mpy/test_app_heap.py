# The heap's watch in smsgw.app's sampler: MemoryErrors of the core's work (the sender, the
# inbox, the HTTP server and API, the modem supervisor: each counts its own `oom`) that keep
# coming for device.starved_s reset the board for a fresh heap; a pause of a quarter of that
# (2 s at least) ends their run, and 0 never resets.
import asyncio

from smsgw import app


class _Part:  # an outbox, inbox, HTTP app or supervisor: only its counters are read
    def __init__(self):
        self.counters = {"oom": 0}


class _Reset(Exception):
    pass


def _ctx(starved_s, supervisor=True):
    ctx = app.Ctx({"device": {"starved_s": starved_s}})
    ctx.outbox, ctx.inbox, ctx.app = _Part(), _Part(), _Part()
    ctx.supervisor = _Part() if supervisor else None
    return ctx


async def _watch(ctx, ms, bumps):
    """Run the sampler for `ms`; `bumps`: [(ms after the start, part)], each counts one
    MemoryError there. Returns the ms after the start at which it reset the board, or None."""
    import time

    t0 = time.ticks_ms()
    resets = []

    def reset(board=None):
        resets.append(time.ticks_diff(time.ticks_ms(), t0))
        raise _Reset()

    real, app._reset = app._reset, reset
    task = asyncio.create_task(app._sample_heap(ctx))
    try:
        for at, part in bumps:
            await asyncio.sleep_ms(max(0, at - time.ticks_diff(time.ticks_ms(), t0)))
            if task.done():
                break
            part.counters["oom"] += 1
        while not task.done() and time.ticks_diff(time.ticks_ms(), t0) < ms:
            await asyncio.sleep_ms(50)
    finally:
        app._reset = real
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, _Reset):
            pass
    return resets[0] if resets else None


async def test_memory_errors_that_keep_coming_reset_the_board():
    ctx = _ctx(1)
    # the sender and the HTTP server refused by turns, 300 ms apart: a run of 1 s resets
    parts = (ctx.outbox, ctx.app, ctx.inbox, ctx.supervisor)
    at = await _watch(ctx, 4000, [(300 * i, parts[i % 4]) for i in range(14)])
    assert at is not None and 1000 <= at < 3500, at


async def test_a_pause_ends_the_run_and_nothing_resets():
    ctx = _ctx(1)
    # two short bursts 2.6 s apart (more than the 2 s pause that ends a run): together they
    # span more than the window, yet neither lasts it
    bumps = [(0, ctx.outbox), (400, ctx.outbox), (3000, ctx.app), (3400, ctx.app)]
    assert await _watch(ctx, 4200, bumps) is None
    assert ctx.outbox.counters["oom"] == 2 and ctx.app.counters["oom"] == 2


async def test_starved_s_0_never_resets_and_a_board_without_supervisor_is_watched():
    ctx = _ctx(0)
    assert await _watch(ctx, 1800, [(100 * i, ctx.outbox) for i in range(15)]) is None
    ctx = _ctx(1, supervisor=False)
    at = await _watch(ctx, 4000, [(250 * i, ctx.inbox) for i in range(14)])
    assert at is not None, "no supervisor: the others' MemoryErrors still count"


async def test_what_the_parts_counted_before_the_watch_began_is_no_run():
    ctx = _ctx(1)
    ctx.outbox.counters["oom"] = 50  # counted at boot, before the sampler started
    assert await _watch(ctx, 2000, []) is None
