# The running gateway: its context, the heap sampler, the fatal-error policy and the main
# coroutine. The wiring (config -> board -> modem -> queue -> API -> features) is in
# smsgw.startup, loaded for boot only.
#
# The context object handed to features (the seam for webhooks/MQTT/alert):
#   ctx.cfg, .board, .at, .modem, .supervisor, .store, .outbox, .inbox, .app (net/httpd.Server: add
#   routes before the server starts), .ready (asyncio.Event: modem usable), .features
#   ({name: whatever start() returned}), .health_checks ({name: fn() -> check dict}),
#   .tasks (tasks the app owns), .started (ticks_ms at boot), .online (asyncio.Event: the
#   network is up; Wi-Fi boards: set by net/wifi.py), .cfg_path (the config file), .safe
#   (safe mode: the optional features stay off; ESP32 boards: smsgw.keepers); ESP32 boards
#   also .wdt (machine.WDT or None) and .timesync (net/timesync): smsgw.keepers.
import asyncio
import gc
import time

from micropython import const

from smsgw import forget, log

TYPE_CHECKING = const(False)
if TYPE_CHECKING:  # the type checker's view only (tools/typecheck.sh); never runs
    from smsgw.net.httpd import Server

    from smsgw.modem.at import ATChannel
    from smsgw.modem.modem import Modem
    from smsgw.modem.supervisor import Supervisor
    from smsgw.queue.inbox import Inbox
    from smsgw.queue.outbox import Outbox
    from smsgw.queue.store import Store


class Ctx:
    # The parts build() wires after construction (bare annotations: no code on MicroPython).
    at: "ATChannel | None"
    modem: "Modem | None"
    supervisor: "Supervisor | None"
    store: "Store | None"
    outbox: "Outbox | None"
    inbox: "Inbox | None"
    app: "Server | None"
    safe = False  # safe mode (smsgw.keepers sets it on the ESP32 boards)

    def __init__(self, cfg):
        self.cfg = cfg
        self.board = self.at = self.modem = self.supervisor = None
        self.store = self.outbox = self.inbox = self.app = None
        self.ready = asyncio.Event()
        self.online = asyncio.Event()
        self.cfg_path = "/config.json"
        self.features = {}
        self.health_checks = {}
        self.tasks = []
        self.started = time.ticks_ms()
        self.mem_peak = self.mem_live = 0
        self.requests = self.auth_failures = self.api_errors = 0

    def mem_now(self):
        return self.mem_live or gc.mem_alloc()


_STARVED_GAP_MS = const(2000)  # a pause this long at least ends a run of MemoryErrors
_STARVED = "heap starved: no room for the gateway's work for device.starved_s"


async def _sample_heap(ctx):
    # Live heap after a collection, twice a second; the maximum is the high-water mark in
    # /health (MicroPython keeps no peak of its own, and mem_alloc() without a collection
    # mostly measures garbage).
    # It also watches the core's MemoryErrors. Each part survives one (it counts, answers 503
    # or tries again), but when they keep coming for device.starved_s (no pause of a quarter
    # of it) the heap is starved: what stays resident grew (the names every module loaded
    # interned, a feature started) or the free heap is cut into pieces too small for the work.
    # Only a fresh heap cures that, so the board resets: the queue is on the flash, nothing
    # accepted is lost. Allocation-free but for the log line.
    window = ctx.cfg["device"].get("starved_s", 0) * 1000
    gap = max(_STARVED_GAP_MS, window // 4)
    sup = ctx.supervisor
    seen = -1  # MemoryErrors the core's parts counted (each in its own /health counters)
    first = last = 0  # ticks of the current run's first and latest MemoryError
    run = False
    while True:
        gc.collect()
        ctx.mem_live = gc.mem_alloc()
        ctx.mem_peak = max(ctx.mem_peak, ctx.mem_live)
        n = ctx.outbox.counters["oom"] + ctx.inbox.counters["oom"] + ctx.app.counters["oom"] + (
            0 if sup is None else sup.counters["oom"])
        if seen < 0:
            seen = n  # what they counted before the watch began is no run
        if n != seen and window:
            now = time.ticks_ms()
            if not run or time.ticks_diff(now, last) > gap:
                first, run = now, True  # a new run
            seen = n
            last = now
            if time.ticks_diff(now, first) >= window:
                # no arguments: the line needs no heap to be formatted
                _fatal(ctx, log.error, _STARVED)
        await asyncio.sleep_ms(500)


_RESET_DELAY_S = 5  # before a reset after a fatal error: Ctrl-C reaches the REPL meanwhile


def _quietly(fn, what, detail=None):
    # Logging a fatal error can fail too (MemoryError inside log.exc near the heap limit, a
    # full or broken flash): the reset that follows must happen anyway. Fixed arguments: a
    # call with *args needs heap for their tuple, and would raise before the `try`.
    try:
        if detail is None:
            fn(what)
        else:
            fn(what, detail)
    except Exception:
        pass


def _fatal(ctx, fn, what, detail=None):
    """Log why with `fn(what[, detail])`, then reset. The modem channel's buffers go first
    (nothing reads it again): room for the line when a starved heap is the reason (before
    it, a board reset for its heap left no word of it in the log). A line without arguments
    allocates 128 B with its flash write (32-bit)."""
    at = None if ctx is None else ctx.at
    if at is not None:
        at.release()
    gc.collect()
    _quietly(fn, what, detail)
    _reset(None if ctx is None else ctx.board)


def _reset(board=None):
    """Reset the MCU after a short pause (no tight reboot loop hiding the REPL)."""
    import sys

    _quietly(log.error, "resetting in a few seconds (Ctrl-C for the REPL)")
    time.sleep(_RESET_DELAY_S)
    try:
        if board is not None:
            board.reset()
        import machine

        machine.reset()
    except Exception:  # no board or machine reset here (or it failed): leave the interpreter
        pass
    sys.exit(3)


def _on_loop_error(ctx):
    def handler(loop, context):
        e = context.get("exception")
        # which task: its coroutine prints as "<generator object 'name' ...>" with no heap (a
        # MemoryError's log line has no room for the traceback that would say it)
        print("task ended:", getattr(context.get("future"), "coro", None))
        if e is None:
            _fatal(ctx, log.error, "loop error: %s", context.get("message"))
        else:
            _fatal(ctx, log.exc, "unhandled in task", e)

    return handler


async def run(cfg_path="/config.json"):
    """The firmware's main coroutine: never returns while the gateway runs."""
    # A collection every few KB allocated, not only once the heap is full: garbage is reused
    # low in the heap, what lives long stays packed at the bottom and the top stays one free
    # stretch for a request body (32-bit core: smallest heap 144K -> 138K). Boot: every 2 KB;
    # then every quarter of what boot left free, so a roomy heap is not collected per request
    # (GET /health at 256K: 109 req/s at a fixed 2 KB, 555 so, 790 without).
    gc.threshold(2048)
    from smsgw import startup

    cfg = startup.load_config(cfg_path)
    lg = cfg["log"]
    log.setup(lg["path"], lg["max_bytes"], lg["debug"])
    ctx = startup.build(cfg)
    ctx.cfg_path = cfg_path
    asyncio.get_event_loop().set_exception_handler(_on_loop_error(ctx))
    await startup.start(ctx)
    del startup
    forget("smsgw.startup")  # boot-only code: its bytecode leaves the heap
    gc.collect()
    gc.threshold(max(2048, gc.mem_free() // 4))
    while True:
        await asyncio.sleep(3600)


def main(cfg_path="/config.json"):
    """Entry point called by main.py: run forever. A config error stops at the REPL (a reboot
    would not fix it); any other fatal error is logged to flash and the MCU reset."""
    from smsgw.errors import ConfigError

    try:
        asyncio.run(run(cfg_path))
    except (KeyboardInterrupt, SystemExit):
        raise
    except ConfigError as e:
        _quietly(log.error, "config error, gateway not started: %s", e)
    except BaseException as e:  # anything else, even a CancelledError out of the loop
        _fatal(None, log.exc, "fatal", e)  # the loop's objects are garbage: room
