# Wiring: config -> board -> AT channel -> modem -> supervisor -> store/outbox/inbox -> API,
# then optional features (each module's start(ctx)), loaded only when configured.
#
# The context object handed to features (the seam for webhooks/MQTT/alert):
#   ctx.cfg, .board, .at, .modem, .supervisor, .store, .outbox, .inbox, .app (microdot: add
#   routes before the server starts), .ready (asyncio.Event: modem usable), .features
#   ({name: whatever start() returned}), .health_checks ({name: fn() -> check dict}),
#   .tasks (tasks the app owns), .started (ticks_ms at boot), .online (asyncio.Event: the
#   network is up; Wi-Fi boards: set by net/wifi.py), .cfg_path (the config file).
import asyncio
import gc
import time

from micropython import const

from smsgw import log

TYPE_CHECKING = const(False)
if TYPE_CHECKING:  # the type checker's view only (tools/typecheck.sh); never runs
    from microdot import Microdot

    from smsgw.modem.at import ATChannel
    from smsgw.modem.modem import Modem
    from smsgw.modem.supervisor import Supervisor
    from smsgw.queue.inbox import Inbox
    from smsgw.queue.outbox import Outbox
    from smsgw.queue.store import Store

# feature module -> config sections that switch it on (when present, even as {})
FEATURES = (
    ("smsgw.net.webhooks", ("webhooks",)),
    ("smsgw.net.mqtt", ("mqtt",)),
    ("smsgw.net.email", ("email",)),
    ("smsgw.net.ota", ("ota",)),
    ("smsgw.alert", ("rules", "commands", "relays", "heartbeat", "limits")),
)


class Ctx:
    # The parts build() wires after construction (bare annotations: no code on MicroPython).
    at: "ATChannel | None"
    modem: "Modem | None"
    supervisor: "Supervisor | None"
    store: "Store | None"
    outbox: "Outbox | None"
    inbox: "Inbox | None"
    app: "Microdot | None"

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


def build(cfg):
    """Create every core object (nothing runs yet). Returns the context."""
    from smsgw.modem.at import ATChannel
    from smsgw.modem.modem import Modem
    from smsgw.queue.store import Store
    from smsgw.queue.outbox import Outbox
    from smsgw.queue.inbox import Inbox

    ctx = Ctx(cfg)
    board_mod = __import__("boards." + cfg["board"], None, None, ["Board"])
    ctx.board = board_mod.Board(cfg)
    ctx.at = ATChannel(ctx.board.open_modem())
    profile = __import__("smsgw.modem.profiles", None, None, ["get"]).get(cfg["modem"]["model"])
    _drop("smsgw.modem.profiles")  # the other models' tables: ~2 KB, only the one kept is used
    q = cfg["queue"]
    ctx.modem = Modem(ctx.at, profile, ctx.board, cfg["modem"], q["dir"] + "/sim_pin")
    try:
        from smsgw.modem.supervisor import Supervisor
    except ImportError:
        Supervisor = None
    if Supervisor is not None:
        ctx.supervisor = Supervisor(ctx.modem, ctx.board, cfg["modem"])
        ctx.ready = ctx.supervisor.ready
    ctx.store = Store(q["dir"], q["max_stored"], q["min_free_kb"])
    ctx.store.open()
    ctx.outbox = Outbox(ctx.store, cfg, ctx.modem, ctx.ready)
    ctx.inbox = Inbox(q["dir"], cfg, ctx.modem, ctx.ready, ctx.store)
    ctx.inbox.open()
    # The SMS codec the sender needs, imported now: a heap too small for it shows at boot
    # instead of as a MemoryError at the first send.
    from smsgw.codec import pdu, tpfields  # noqa: F401

    gc.collect()
    from smsgw.net import api

    ctx.app = api.make_app(ctx)
    gc.collect()
    return ctx


async def _sample_heap(ctx):
    # Live heap after a collection, twice a second; the maximum is the high-water mark in
    # /health (MicroPython keeps no peak of its own, and mem_alloc() without a collection
    # mostly measures garbage).
    while True:
        gc.collect()
        ctx.mem_live = gc.mem_alloc()
        ctx.mem_peak = max(ctx.mem_peak, ctx.mem_live)
        await asyncio.sleep_ms(500)


def _start_supervisor(ctx):
    if ctx.supervisor is None:
        raise ImportError("smsgw.modem.supervisor is missing: the modem cannot be brought up")
    t = ctx.supervisor.start()
    if t is not None and t not in ctx.tasks:
        ctx.tasks.append(t)


def _start_wifi(ctx):
    # ESP32 boards: the Wi-Fi supervisor; the unix board has the host's network all along
    if not getattr(ctx.board, "wifi", False):
        ctx.online.set()
        return
    try:
        ctx.features["smsgw.net.wifi"] = __import__("smsgw.net.wifi", None, None,
                                                    ["start"]).start(ctx)
    except Exception as e:  # no Wi-Fi must not take the SMS side down
        log.exc("wifi", e)


def _start_features(ctx):
    for mod_name, sections in FEATURES:
        if all(ctx.cfg.get(s) is None for s in sections):  # present, even empty: started
            continue
        try:
            mod = __import__(mod_name, None, None, ["start"])
            ctx.features[mod_name] = mod.start(ctx)
            log.info("feature %s started", mod_name)
        except Exception as e:  # a broken optional feature must not take the gateway down
            log.exc("feature %s" % mod_name, e)
        gc.collect()


def _replay_events(ctx):
    # events whose hand-off a power cut interrupted, now that their handlers are subscribed
    ho = ctx.store.handoff
    if ho.left:
        log.info("replaying %d interrupted event hand-offs", len(ho.left))
        from smsgw.queue.replay import replay

        replay(ho, ctx.outbox, ctx.inbox)
    ho.replayed()


_RESET_DELAY_S = 5  # before a reset after a fatal error: Ctrl-C reaches the REPL meanwhile


def _quietly(fn, *args):
    # Logging a fatal error can fail too (MemoryError inside log.exc near the heap limit, a
    # full or broken flash): the reset that follows must happen anyway.
    try:
        fn(*args)
    except Exception:
        pass


def _reset(board=None):
    """Reset the MCU after a short pause (no tight reboot loop hiding the REPL)."""
    import sys

    _quietly(log.error, "resetting in %d s (Ctrl-C for the REPL)", _RESET_DELAY_S)
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
        if e is None:
            _quietly(log.error, "loop error: %s", context.get("message"))
        else:
            _quietly(log.exc, "unhandled in task", e)
        _reset(ctx.board)

    return handler


async def start(ctx):
    """Start every task; returns once the HTTP server is listening in the background."""
    ctx.at.start()
    ctx.tasks.append(asyncio.create_task(_sample_heap(ctx)))
    _start_supervisor(ctx)
    ctx.tasks.append(ctx.outbox.start())
    ctx.inbox.start()
    _start_wifi(ctx)
    _start_features(ctx)
    _replay_events(ctx)
    api = ctx.cfg["api"]
    ctx.tasks.append(asyncio.create_task(ctx.app.start_server(api["host"], api["port"])))
    gc.collect()
    log.info("smsgate API on http://%s:%d/ (user %s)", api["host"], api["port"], api["user"])


def _drop(name):
    # forget a module only boot needs (the next import loads it again)
    import sys

    sys.modules.pop(name, None)
    i = name.rfind(".")
    mod = sys.modules.get(name[:i])
    if mod is not None and name[i + 1:] in dir(mod):
        delattr(mod, name[i + 1:])


def load_config(cfg_path):
    """config.load, then drop the config module (its tables are only needed at boot: ~8 KB)."""
    cfg = __import__("smsgw.config", None, None, ["load"]).load(cfg_path)
    _drop("smsgw.config")
    _drop("smsgw.section")  # its checks again only when a feature validates its section
    gc.collect()
    return cfg


async def run(cfg_path="/config.json"):
    """The firmware's main coroutine: never returns while the gateway runs."""
    cfg = load_config(cfg_path)
    lg = cfg["log"]
    log.setup(lg["path"], lg["max_bytes"], lg["debug"])
    ctx = build(cfg)
    ctx.cfg_path = cfg_path
    asyncio.get_event_loop().set_exception_handler(_on_loop_error(ctx))
    await start(ctx)
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
        _quietly(log.exc, "fatal", e)
        _reset()
