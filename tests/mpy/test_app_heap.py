# The heap's watch in smsgw.app's sampler: MemoryErrors of the core's work (the sender, the
# inbox, the HTTP server and API, the modem supervisor: each counts its own `oom`) that keep
# coming for device.starved_s reset the board for a fresh heap; a pause of a quarter of that
# (2 s at least) ends their run, and 0 never resets. And the line saying why a board resets
# reaches the flash log even from a full heap.
# heapsize: 96K (the modem channel's module does not load in 64K on 64-bit)
import asyncio

from fsutil import scratch
from smsgw import app, log
from smsgw.modem.at import ATChannel


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


def _fill_heap():
    """Hold every block the heap has left: the next allocation fails."""
    hog, size = None, 4096
    while size >= 16:
        try:
            hog = (hog, bytearray(size))
        except MemoryError:
            size //= 2
    return hog


class _Stream:  # what ATChannel wants of a modem stream, for a channel never run
    def readinto(self, buf):
        return 0

    def write(self, buf):
        return len(buf)


# Made at import, as a board makes its channel at boot: long before the fatal path. (Made in
# the test, a pointer to its buffers left on the C stack, which MicroPython's collector scans
# conservatively, kept them alive at times, and the line had no room.)
_AT = [ATChannel(_Stream())]


def _fatal_in_a_full_heap(with_modem):
    """app._fatal's log line and reset in a heap with no room left; `with_modem`: whether the
    context has a modem channel (whose buffers _fatal lets go). Returns (what the flash log
    holds, the board handed to the reset)."""
    path = scratch("fatal") + "/log.txt"
    log.setup(path)
    ctx = _ctx(1)
    ctx.board = "board"
    if with_modem:
        ctx.at = _AT.pop()  # released by the fatal path: once
    reset_for = [None]

    def reset(board=None):
        reset_for[0] = board

    real, app._reset = app._reset, reset
    hog = _fill_heap()
    try:
        app._fatal(ctx, log.error, app._STARVED)
    finally:
        del hog  # the heap back for the rest of the run
        app._reset = real
        log.setup(None)
    try:
        with open(path) as f:
            return f.read(), reset_for[0]
    except OSError:
        return "", reset_for[0]


def test_why_the_board_resets_reaches_the_log_even_in_a_full_heap():
    text, board = _fatal_in_a_full_heap(with_modem=True)
    assert " E %s\n" % app._STARVED in text, text
    assert board == "board"
    # with no buffers to let go, the same line finds no heap (the reset happens all the same)
    text, board = _fatal_in_a_full_heap(with_modem=False)
    assert "heap starved" not in text and board == "board", text
