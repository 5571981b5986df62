# Startup: config -> board -> AT channel -> modem -> supervisor -> store/outbox/inbox -> API, then
# the optional features (each module's start(ctx)), loaded only when configured. Only boot runs
# this module: app.run drops it once the gateway is up (its bytecode then leaves the heap), and
# the tables only boot needs (config, section, the modem profiles) go with it.
import asyncio
import gc

from smsgw import app, forget, log

# feature module -> config sections that switch it on (when present, even as {}); webhooks:
# see _hooks_kept
FEATURES = (
    ("smsgw.net.webhooks", ("webhooks",)),
    ("smsgw.net.mqtt", ("mqtt",)),
    ("smsgw.net.email", ("email",)),
    ("smsgw.net.ota", ("ota",)),
    ("smsgw.alert", ("rules", "commands", "relays", "heartbeat", "limits")),
)


def build(cfg):
    """Create every core object (nothing runs yet). Returns the context."""
    from smsgw.modem.at import ATChannel
    from smsgw.modem.modem import Modem
    from smsgw.queue.store import Store
    from smsgw.queue.outbox import Outbox
    from smsgw.queue.inbox import Inbox

    ctx = app.Ctx(cfg)
    board_mod = __import__("boards." + cfg["board"], None, None, ["Board"])
    ctx.board = board_mod.Board(cfg)
    ctx.at = ATChannel(ctx.board.open_modem())
    profile = __import__("smsgw.modem.profiles", None, None, ["get"]).get(cfg["modem"]["model"])
    forget("smsgw.modem.profiles")  # the other models' tables: ~2 KB, only the one kept is used
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
    gc.collect()
    from smsgw.net import api

    ctx.app = api.make_app(ctx)
    gc.collect()
    _keepers(ctx, "begin")
    return ctx


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


def _hooks_kept(ctx):
    # The webhook delivery chain (~15 KB) is loaded at boot only with something to deliver to:
    # a provisioned `webhooks` section, a registered webhook (net/webhooks.py's file: "[]" when
    # none), a dead letter or a delivery not finished (net/webhook_queue.py's files; journal
    # lines A: queued, D: finished). A section only settings.json has (the generated signing
    # key, retry keys) loads nothing: the first registration starts it (net/webhook_api).
    # (No new names here: each one stays in the interned-string pool, README.)
    from smsgw.fsutil import read_json

    q = ctx.cfg["queue"]["dir"]
    if ctx.cfg.get("webhooks") is not None and (
            read_json(ctx.cfg_path, {}).get("webhooks") is not None
            or read_json(q + "/settings.json", {}).get("webhooks") is None):
        return True
    import os

    for name, n in (("/webhooks.json", 2), ("/wh_dead.log", 0)):
        try:
            if os.stat(q + name)[6] > n:
                return True
        except OSError:
            pass
    n = 0
    try:
        with open(q + "/wh_queue.log", "rb") as f:
            for line in f:
                n += (line[:1] == b"A") - (line[:1] == b"D")
    except OSError:
        pass
    return n > 0


def _start_features(ctx):
    off = []
    for mod_name, sections in FEATURES:
        if mod_name == "smsgw.net.webhooks":
            if not _hooks_kept(ctx):
                continue
        elif all(ctx.cfg.get(s) is None for s in sections):  # present, even empty: started
            continue
        if ctx.safe and mod_name != "smsgw.net.ota":  # OTA stays: an update may be the cure
            off.append(mod_name)
            continue
        gc.collect()  # the feature compiles or loads into one free stretch
        try:
            mod = __import__(mod_name, None, None, ["start"])
            ctx.features[mod_name] = mod.start(ctx)
            log.info("feature %s started", mod_name)
        except Exception as e:  # a broken optional feature must not take the gateway down
            log.exc("feature %s" % mod_name, e)
        gc.collect()
    if ctx.safe:
        _safe_mode(ctx, off)


def _safe_mode(ctx, off):
    # Safe mode (as ESPHome's): device.safe_after unexpected resets in a row, each before its boot
    # had lasted device.good_after_s — a configuration whose features do not fit the heap
    # (reset by the heap's watch every few minutes for good), a feature that crashes or hangs
    # the loop. The core (SMS, queue, API) and OTA run, so the board can be reached and fixed;
    # a boot that lasts good_after_s, a reset somebody asked for, a power-on or a soft reset
    # (provisioning over the REPL) start every feature again.
    from smsgw import resets

    resets.off = off
    ctx.health_checks["safe-mode"] = resets.safe_check
    log.error("safe mode: %d unexpected resets in a row came early; not started: %s",
              resets.early, ", ".join(off) or "none")


def _replay_events(ctx):
    # events whose hand-off a power cut interrupted, now that their handlers are subscribed
    ho = ctx.store.handoff
    if ho.left:
        log.info("replaying %d interrupted event hand-offs", len(ho.left))
        from smsgw.queue.replay import replay

        replay(ho, ctx.outbox, ctx.inbox)
    ho.replayed()


async def start(ctx):
    """Start every task; returns once the HTTP server is listening in the background."""
    ctx.at.start()
    ctx.tasks.append(asyncio.create_task(app._sample_heap(ctx)))
    _start_supervisor(ctx)
    ctx.tasks.append(ctx.outbox.start())
    ctx.inbox.start()
    _start_wifi(ctx)
    _start_features(ctx)
    forget("smsgw.section")  # the features' config checks ran (again when one validates)
    _replay_events(ctx)
    api = ctx.cfg["api"]
    server = asyncio.create_task(ctx.app.start_server(api["host"], api["port"]))
    ctx.tasks.append(server)
    _keepers(ctx, "start", server)
    gc.collect()
    log.info("smsgate API on http://%s:%d/ (user %s)", api["host"], api["port"], api["user"])


def _with_settings(cfg):
    # settings.json (smsgw.settings' overrides) merged over /config.json and validated like it,
    # without loading smsgw.settings: its names would stay in the interned-string pool
    from smsgw.fsutil import read_json

    over = read_json(cfg["queue"]["dir"] + "/settings.json", {})
    if not over:
        return cfg
    from smsgw import config
    from smsgw.errors import ConfigError

    try:
        cfg = config.validate(config.merge(cfg, over))
    except ConfigError as e:  # e.g. a new /config.json the saved settings no longer fit
        log.error("settings.json ignored: %s", e)
    return cfg


def _keepers(ctx, step, *args):
    # ESP32 boards (a `machine` with an RTC): the clock, the watchdog and the reset cause are the
    # firmware's to keep (smsgw.keepers); the unix board's host keeps them, its core stays small.
    import machine  # built in, or the virtual board's stand-in already loaded: no cost

    if hasattr(machine, "RTC"):
        getattr(__import__("smsgw.keepers", None, None, [step]), step)(ctx, *args)


def load_config(cfg_path):
    """config.load and the settings changed over the API (smsgw.settings' file), then drop the
    config module (its tables are only needed at boot: ~8 KB)."""
    cfg = __import__("smsgw.config", None, None, ["load"]).load(cfg_path)
    cfg = _with_settings(cfg)
    forget("smsgw.config")
    forget("smsgw.section")  # its checks again only when a feature validates its section
    forget("smsgw.net.webhook_cfg")  # validated settings.json's section; the feature loads it
    forget("smsgw.net.mqtt_cfg")  # validated the `mqtt` section; the feature loads it again
    gc.collect()
    return cfg
