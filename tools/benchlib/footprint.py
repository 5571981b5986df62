"""The firmware's footprint on the MicroPython unix port.

- min_heap_kb: the smallest `-X heapsize` (bisection) at which a short end-to-end run passes:
  boot, send 3 messages (2 GSM-7, one 3-part UCS-2), receive one SMS, with a single boot and no
  MemoryError on the console. The same run with the firmware frozen into the interpreter
  (`frozen`: no .mpy on the flash), run in place from a ROMFS partition (`romfs`: the heap a
  board needs, i.e. the interpreter's heap less the image the unix port holds in it, see
  host/smsgate/vboard/mpy/vbrom.py) and with every optional feature configured (`full`:
  webhooks to a local receiver, MQTT through mosquitto, the alert unit); the interpreter is
  $SMSGATE_MICROPYTHON (the 32-bit builds of tools/build-micropython.sh) or the pip one;
- core_loaded: after a passing core run, its modules, its live heap (/health) and
  MicroPython's interned names (qstr pools: count, bytes, and how many more names fit before
  the next pool, which doubles the last one and is allocated whole);
- module_heap: live heap after importing each firmware module in turn (dependencies first), so
  each row is what that module itself keeps in the heap;
- mpy_bundle_bytes: what `smsgate.bundle` installs on the flash (unix board);
- http_rps: requests per second for `GET /health` and `POST /messages`, the firmware against a
  minimal microdot app on the same interpreter and heap (new connection per request, like the
  firmware's clients);
- queue_op_us: `smsgw.queue.store` put (index record + message file, as a submit does), get, and
  update (a journal line) at depth 10, 100 and 1,000, on MicroPython from the bundle's .mpy.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from benchlib import common
from smsgate import bundle
from smsgate.procs import end_process
from smsgate.runtime import FIRMWARE_DIR, micropython_binary, micropython_env
from smsgate.virtual import VirtualGateway, free_port

SCENARIO = [{"to": common.DEST, "text": "footprint gsm one", "parts": 1},
            {"to": common.DEST, "text": "footprint gsm two {€}", "parts": 1}] + \
    [dict(m, to=common.DEST) for m in common.batch("f", 0, 1)]


def bundle_bytes() -> dict:
    """Sizes of the flash image of the unix board (the ESP32 boards differ by one module) and of
    its ROMFS image (the same .mpy files packed for a ROMFS partition)."""
    files = bundle.build("unix")
    mpy = sum(p.stat().st_size for name, p in files.items() if name.endswith(".mpy"))
    total = sum(p.stat().st_size for p in files.values())
    return {"mpy_bundle_bytes": mpy, "bundle_total_bytes": total, "bundle_files": len(files),
            "romfs_image_bytes": bundle.romfs_image("unix").stat().st_size}


def _body(m: dict) -> dict:
    return {"textMessage": {"text": m["text"]}, "phoneNumbers": [m["to"]],
            "withDeliveryReport": False}


@contextlib.contextmanager
def interpreter(path: str | os.PathLike):
    """Run MicroPython children (virtual board, probes) with the binary at `path`."""
    old = os.environ.get("SMSGATE_MICROPYTHON")
    os.environ["SMSGATE_MICROPYTHON"] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SMSGATE_MICROPYTHON", None)
        else:
            os.environ["SMSGATE_MICROPYTHON"] = old


class _Receiver:
    """A webhook receiver on 127.0.0.1: records the events of the envelopes it is posted."""

    def __init__(self) -> None:
        import http.server

        self.events: list[str] = []
        rx = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    rx.events.append(json.loads(body).get("event"))
                except ValueError:
                    rx.events.append("bad json")
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Broker:
    """mosquitto on a free port of 127.0.0.1, its files in `work`."""

    def __init__(self, work: Path) -> None:
        self.port = free_port()
        conf = work / "mosquitto.conf"
        conf.write_text("listener %d 127.0.0.1\nallow_anonymous true\n" % self.port
                        + ("user root\n" if os.geteuid() == 0 else ""))
        self.proc = subprocess.Popen(
            [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(conf)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = "mqtt://127.0.0.1:%d" % self.port

    def stop(self) -> None:
        end_process(self.proc, 10)


def _full_config(broker: _Broker) -> dict:
    """Every optional feature on: webhooks, MQTT and the alert unit (one input rule)."""
    return {"webhooks": {"signing_key": "footprint", "retry_base_s": 0.2, "retry_max_s": 1},
            "mqtt": {"url": broker.url, "reconnect_max_s": 0.5, "keepalive_s": 10},
            "rules": [{"name": "door", "pin": 14, "pull": "up", "active": 0,
                       "debounce_ms": 30, "recipients": [common.DEST], "ack_window_s": 600,
                       "cooldown_s": 0}],
            "heartbeat": {"boot": False, "interval_s": 0}}


def scenario_passes(heap_kb: int, workdir: Path, sim_scale: float = 0.05,
                    timeout: float = 20.0, frozen: bool = False,
                    full: bool = False, romfs: bool = False,
                    flash: dict | None = None,
                    loaded: set | None = None,
                    state: dict | None = None) -> tuple[bool, str]:
    """One short end-to-end run at `heap_kb`; (passed, reason).

    frozen: the interpreter has the firmware frozen in (no .mpy goes on the flash);
    romfs: the compiled modules in the board's ROMFS partition (no .mpy on the flash); the
    interpreter gets `heap_kb` plus the image, which the unix port keeps in its heap;
    full: webhooks (one hook for sms:received), MQTT and the alert unit configured as well, and
    the run also waits for MQTT to connect and for the inbound SMS's webhook.
    flash: files put on the board's flash before it boots ({path on the flash: text}).
    loaded: when given, filled after a passing run with the modules the firmware then has in
    sys.modules (read over the board's REPL).
    state: when given, filled after a passing run with the live heap and the interned names
    (`_names`); the names are measured last, they add some.
    """
    work = Path(tempfile.mkdtemp(prefix="heap%d-" % heap_kb, dir=workdir))
    sim = common.start_sim("sim800", work / "sim", sim_scale)
    rx = broker = None
    cfg = None
    if full:
        rx, broker = _Receiver(), _Broker(work)
        cfg = _full_config(broker)
    # the image and the collector's tables for it (32-bit: 3 bytes per 128 of heap)
    image_kb = -(-bundle.romfs_image("unix").stat().st_size * 128 // 125 // 1024) if romfs else 0
    for name, text in (flash or {}).items():
        (work / "flash" / name).parent.mkdir(parents=True, exist_ok=True)
        (work / "flash" / name).write_text(text)
    gw = VirtualGateway("sim800", data_dir=work / "flash", heap="%dK" % (heap_kb + image_kb),
                        attach=sim.link, fw_scale=1.0, config=cfg, frozen=frozen, romfs=romfs,
                        repl_link=None if loaded is None and state is None
                        else str(work / "repl"))
    try:
        gw.start(wait=False)
        deadline = time.monotonic() + timeout

        def broken() -> str:
            text = gw.console_text()
            if "MemoryError" in text:
                return "MemoryError"
            if gw.board is not None and gw.board.boots > 1:
                return "rebooted"
            if time.monotonic() > deadline:
                return "timeout"
            return ""

        def step(cond, what) -> str:
            while not cond():
                why = broken()
                if why:
                    return "%s (%s)" % (why, what)
                time.sleep(0.05)
            return ""

        why = step(lambda: _check(gw, "modem").get("status") == "pass", "boot")
        if why:
            return False, why
        if full:
            why = _full_setup(gw, rx, step)
            if why:
                return False, why
        for m in SCENARIO:
            try:
                status = gw.api("POST", "/messages", _body(m), timeout=5)[0]
            except (OSError, http.client.HTTPException) as exc:
                return False, "POST failed: %s" % exc
            if status != 202:
                return False, "POST -> %d" % status
        why = step(lambda: sum(map(common.is_complete, sim.sent())) >= len(SCENARIO), "send")
        if why:
            return False, why
        sim.send_sms(common.SENDER, "footprint inbound")

        def got_inbound():
            try:
                st, items, _ = gw.api("GET", "/inbox", timeout=5)
            except (OSError, http.client.HTTPException):
                return False
            # a body cut short near the heap's limit parses as None: not received (yet)
            return st == 200 and isinstance(items, list) and any(
                i.get("contentPreview") == "footprint inbound" for i in items)

        why = step(got_inbound, "receive")
        if why:
            return False, why
        if full:
            why = step(lambda: "sms:received" in rx.events, "webhook")
            if why:
                return False, why
        check = common.compare_sent(SCENARIO, sim.sent())
        if check["lost"] or check["duplicated"]:
            return False, "sent mismatch %s" % check
        why = broken()
        passed = not why or why == "timeout"
        if passed and state is not None:
            mem = _check(gw, "memory:heap").get("observedValue")
            state["live_bytes"] = mem[0] if isinstance(mem, list) else None
        if passed and loaded is not None:
            loaded.update(gw.firmware_modules())
        if passed and state is not None:
            state.update(_names(gw))
        return passed, why or "ok"
    finally:
        gw.stop()
        sim.stop()
        for helper in (rx, broker):
            if helper is not None:
                helper.stop()
        shutil.rmtree(work, ignore_errors=True)


def _full_setup(gw: VirtualGateway, rx: _Receiver, step) -> str:
    """Register the webhook and wait for MQTT to connect; "" or why it failed."""
    try:
        st = gw.api("POST", "/webhooks", {"id": "received", "url": rx.url,
                                          "event": "sms:received"}, timeout=5)[0]
    except (OSError, http.client.HTTPException) as exc:
        return "POST /webhooks failed: %s" % exc
    if st != 201:
        return "POST /webhooks -> %d" % st
    return step(lambda: _check(gw, "mqtt").get("observedValue"), "mqtt connect")


def _check(gw: VirtualGateway, name: str) -> dict:
    """One check of the /health document ({} while there is none: no answer, or a body cut
    short or not JSON near the heap's limit)."""
    return gw.checks().get(name) or {}


def min_heap(workdir: Path, lo: int, hi: int, step: int, confirm: bool = True,
             log=None, **scenario) -> dict:
    """Bisection over heap sizes in `step` KB; lo is assumed to fail, hi must pass.

    Near the threshold a run may pass or fail depending on when the collector runs, so with
    `confirm` the answer is run once more, and raised by `step` until a run passes.
    `scenario`: scenario_passes's frozen / full / romfs.
    """
    tried = []

    def attempt(kb: int) -> bool:
        ok, why = scenario_passes(kb, workdir, **scenario)
        (log or print)("heap %dK: %s" % (kb, why))
        tried.append((kb, why))
        return ok

    if not attempt(hi):
        return {"min_heap_kb": None, "bisection": tried}
    top = hi
    while hi - lo > step:
        mid = max(lo + step, (lo + hi) // 2 // step * step)
        if attempt(mid):
            hi = mid
        else:
            lo = mid
    while confirm and hi < top and not attempt(hi):
        hi += step  # the answer failed a second run: one step up, tried in turn
    return {"min_heap_kb": hi, "bisection": tried}


# -- HTTP requests per second ------------------------------------------------------------------
_MINIMAL_APP = """
import sys
sys.path.insert(0, "lib")
import json
from microdot import Microdot
app = Microdot()

@app.route("/health")
async def health(request):
    return {"status": "pass"}

@app.route("/messages", methods=["POST"])
async def messages(request):
    body = json.loads(request.body.decode())
    return {"id": "x", "state": "Pending", "n": len(body["phoneNumbers"])}, 202

print("listening")
app.run(host="127.0.0.1", port=%d)
"""


def _hammer(port: int, method: str, path: str, body: bytes | None, headers: dict,
            seconds: float, clients: int, limit: int = 1 << 30) -> dict:
    """`clients` threads sending requests (one connection each) for `seconds`, or until
    `limit` requests were made (the outbox answers 429 beyond queue.max_messages)."""
    counts = {"ok": 0, "other": 0, "errors": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker():
        while time.monotonic() < stop_at and sum(counts.values()) < limit:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                conn.close()
                key = "ok" if 200 <= resp.status < 300 else "other"
            except OSError:
                key = "errors"
            with lock:
                counts[key] += 1

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.monotonic() - t0
    return dict(counts, rps=round(counts["ok"] / dt, 1))


POST_LIMIT = 4000  # below the largest queue.max_messages (5000): every POST can be accepted


def _post_body(i: int = 0) -> bytes:
    return json.dumps({"textMessage": {"text": "rps probe"}, "phoneNumbers": [common.DEST],
                       "withDeliveryReport": False}).encode()


def http_rps(workdir: Path, heap_kb: int, seconds: float, clients: int = 2) -> dict:
    """GET /health and POST /messages per second: the firmware and a minimal microdot app."""
    out = {}
    work = Path(tempfile.mkdtemp(prefix="rps-", dir=workdir))
    sim = common.start_sim("sim800", work / "sim", 0.05)
    cfg = {"queue": {"max_messages": 5000, "max_stored": 10000}}
    gw = VirtualGateway("sim800", data_dir=work / "flash", heap="%dK" % heap_kb,
                        attach=sim.link, config=cfg, fw_scale=1.0)
    try:
        gw.start(wait=True, timeout=60)
        import base64

        auth = "Basic " + base64.b64encode(("%s:%s" % (gw.user, gw.password)).encode()).decode()
        jh = {"Content-Type": "application/json", "Authorization": auth}
        # with credentials: the full document (without them /health answers only its status)
        out["smsgate_get_health"] = _hammer(gw.port, "GET", "/health", None,
                                            {"Authorization": auth}, seconds, clients)
        out["smsgate_post_messages"] = _hammer(gw.port, "POST", "/messages", _post_body(), jh,
                                               seconds, clients, limit=POST_LIMIT)
    finally:
        gw.stop()
        sim.stop()
    out.update(_minimal_rps(work, heap_kb, seconds, clients))
    shutil.rmtree(work, ignore_errors=True)
    return out


def _minimal_rps(work: Path, heap_kb: int, seconds: float, clients: int) -> dict:
    # microdot from pip, the HTTP framework the firmware's own server follows: the baseline
    app_dir = work / "minimal"
    spec = importlib.util.find_spec("microdot")
    assert spec is not None and spec.submodule_search_locations, "pip install microdot"
    pkg = Path(list(spec.submodule_search_locations)[0])
    for mod in ("__init__", "microdot"):
        dest = app_dir / "lib" / "microdot" / (mod + ".mpy")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(bundle.compile_file(pkg / (mod + ".py"), "lib/microdot/%s.py" % mod),
                        dest)
    port = free_port()
    (app_dir / "app.py").write_text(_MINIMAL_APP % port)
    log = open(work / "minimal.log", "wb")
    proc = subprocess.Popen([micropython_binary(), "-X", "heapsize=%dK" % heap_kb, "app.py"],
                            cwd=app_dir, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=micropython_env())
    log.close()
    try:
        common.poll(lambda: b"listening" in (work / "minimal.log").read_bytes(), 20, 0.05,
                    "minimal microdot app")
        time.sleep(0.2)
        jh = {"Content-Type": "application/json"}
        return {"microdot_get_health": _hammer(port, "GET", "/health", None, {}, seconds,
                                               clients),
                "microdot_post_messages": _hammer(port, "POST", "/messages", _post_body(), jh,
                                                  seconds, clients, limit=POST_LIMIT)}
    finally:
        end_process(proc)


# -- queue operations ---------------------------------------------------------------------------
_QUEUE_BENCH = """
import sys, time, gc, os, json, array
sys.path.insert(0, %(lib)r)
from smsgw.queue.store import Store, key_of

K = %(k)d

def rmtree(p):
    for name in os.listdir(p):
        q = p + "/" + name
        if os.stat(q)[0] & 0x4000:
            rmtree(q)
        else:
            os.remove(q)
    os.rmdir(p)

def meta(i):
    return {"id": "m%%d" %% i, "to": ["+4915112345678"], "text": "queue op %%d" %% i,
            "srr": False, "prio": 0, "t": 1700000000, "exp": None, "ref": i & 255}

def put(s, i):
    k = key_of("m%%d" %% i)
    s.append_index(k)
    s.put(k, meta(i))
    return k

def timed(fn, keys):
    # the median of single operations: file system noise on a shared machine is one-sided
    ts = array.array("i", [0] * len(keys))
    gc.collect()
    for i, k in enumerate(keys):
        t0 = time.ticks_us()
        fn(k)
        ts[i] = time.ticks_diff(time.ticks_us(), t0)
    ts = sorted(ts)
    return ts[len(ts) // 2]

runs = {}
for rnd in range(%(rounds)d):
    # rounds over all depths: a burst of file system latency hits one round, not one depth
    for depth in %(depths)r:
        root = %(root)r + "/d%%d" %% depth
        s = Store(root, max_stored=100000)
        s.open()
        for i in range(depth):
            put(s, i)
        keys = [key_of("m%%d" %% i) for i in range(0, depth, max(1, depth // K))][:K]
        new = list(range(depth, depth + min(K, depth)))  # at most doubles the depth
        r = runs.setdefault(str(depth), {"put": [], "get": [], "update": [], "key_at": []})
        r["put"].append(timed(lambda i: put(s, i), new))
        r["get"].append(timed(s.get, keys))
        r["update"].append(timed(lambda k: s.log(k, "S 0 0 1 1700000000"), keys))
        r["key_at"].append(timed(lambda k: s.key_at(depth - 1), keys))
        r["depth_after"] = s.count()
        s = None
        rmtree(root)
        gc.collect()
out = {}
for depth, r in runs.items():
    out[depth] = {op: sorted(v)[len(v) // 2] for op, v in r.items() if op != "depth_after"}
    out[depth]["depth_after"] = r["depth_after"]
print("RESULT " + json.dumps(out))
"""


SHM = Path("/dev/shm")


def queue_fs() -> str:
    """Where queue_ops keeps its store: "tmpfs" (/dev/shm) or "disk"."""
    return "tmpfs" if SHM.is_dir() and os.access(SHM, os.W_OK) else "disk"


def queue_ops(workdir: Path, depths=(10, 100, 1000), k: int = 50, heap: str = "256K",
              rounds: int = 3) -> dict:
    """Microseconds per store operation at each depth: the median over `rounds` rounds of the
    median of `k` single operations. The store lives on tmpfs (/dev/shm) when there is one:
    on a shared disk the host's writeback noise swamps the store's own cost (measured here:
    100-600 us per write, in whatever order the depths ran; on tmpfs flat)."""
    on_tmpfs = queue_fs() == "tmpfs"
    work = Path(tempfile.mkdtemp(prefix="smsgate-queue-", dir=SHM if on_tmpfs else workdir))
    lib = work / "flash"
    bundle.install_to_dir("unix", lib)
    script = work / "queue_bench.py"
    script.write_text(_QUEUE_BENCH % {"lib": str(lib), "k": k, "depths": tuple(depths),
                                      "root": str(work), "rounds": rounds})
    try:
        out = subprocess.run([micropython_binary(), "-X", "heapsize=" + heap, str(script)],
                             capture_output=True, text=True, timeout=600, env=micropython_env())
        for line in out.stdout.splitlines():
            if line.startswith("RESULT "):
                return json.loads(line[7:])
        raise RuntimeError("queue bench failed: %s%s" % (out.stdout, out.stderr))
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- live heap per module -----------------------------------------------------------------------
_MODULE_HEAP = """
import sys, gc, json
sys.path[:] = %(path)r
names = %(names)r
cost = [0] * len(names)
errors = {}
import asyncio  # frozen into every port: the baseline, like on a board
for name in ("Event", "Lock", "ThreadSafeFlag", "StreamReader", "gather", "wait_for",
             "open_connection", "start_server"):
    getattr(asyncio, name, None)  # asyncio loads these submodules on first use
gc.collect()
start = gc.mem_alloc()
for i in range(len(names)):
    gc.collect()
    before = gc.mem_alloc()
    try:
        __import__(names[i])
    except Exception as e:
        errors[names[i]] = "%%s: %%s" %% (type(e).__name__, e)
    gc.collect()
    cost[i] = gc.mem_alloc() - before
gc.collect()
print("RESULT " + json.dumps({"start": start, "total": gc.mem_alloc() - start,
                              "cost": cost, "errors": errors}))
"""

def _module_files() -> dict[str, Path]:
    """Module name -> source file: the firmware package and the unix board."""
    files = {}
    for flash_py, src in bundle._compile_list(bundle.BOARDS_DIR / "unix.py"):
        name = flash_py[:-3].replace("/", ".")
        files[name.removesuffix(".__init__")] = src
    return files


def _imports(name: str, src: Path, known: set, top_only: bool) -> set:
    """Modules of `known` that `src` imports: at import time only (`top_only`: not inside
    functions), or anywhere. The parent packages of a module are imported before it."""
    import ast

    pkg = name if src.name == "__init__.py" else name.rpartition(".")[0]
    found = set()

    def add(mod: str) -> None:
        while mod and mod not in known:
            mod = mod.rpartition(".")[0]
        if mod and mod != name:
            found.add(mod)

    def visit(node) -> None:
        for child in ast.iter_child_nodes(node):
            if top_only and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                               ast.Lambda)):
                continue
            if isinstance(child, ast.Import):
                for a in child.names:
                    add(a.name)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    up = pkg.split(".")[:len(pkg.split(".")) - child.level + 1]
                    base = ".".join(up + ([base] if base else []))
                for a in child.names:
                    add(base + "." + a.name if base + "." + a.name in known else base)
            visit(child)

    visit(ast.parse(src.read_text()))
    return found


# Modules loaded at boot and then forgotten (`forget("smsgw.config")` in startup.py, and
# startup itself in app.py).
BOOT_ONLY = tuple(re.findall(r'forget\("([\w.]+)"\)',
                             (FIRMWARE_DIR / "smsgw" / "startup.py").read_text()
                             + (FIRMWARE_DIR / "smsgw" / "app.py").read_text()))
# Modules the core loads for one use and forgets again (`forget("smsgw.net.health")` after a
# GET /health, the modem's error tables, ...): not resident either.
# So are the API's endpoints named "module:function" (net/api.py's routes, net/ondemand.py):
# api.on_use imports them for a request and forgets them after it, but ondemand's _KEEP; and
# the modem's rare code, which Modem._on_use("module", ...) loads for the call.
_NET = FIRMWARE_DIR / "smsgw" / "net"
_KEEP = re.search(r"_KEEP = \(([^)]*)\)", (_NET / "ondemand.py").read_text()).group(1)
ON_USE = tuple(sorted((set(m for p in sorted((FIRMWARE_DIR / "smsgw").rglob("*.py"))
                           for m in re.findall(r'forget\("([\w.]+)"\)', p.read_text()))
                       | set("smsgw.net." + m for p in (_NET / "api.py", _NET / "ondemand.py")
                             for m in re.findall(r'"(\w+):\w+"', p.read_text())
                             if (_NET / (m + ".py")).exists() and '"%s"' % m not in _KEEP)
                       | set("smsgw.modem." + m for m in re.findall(
                           r'_on_use\("(\w+)"', (FIRMWARE_DIR / "smsgw" / "modem" / "modem.py")
                           .read_text())))
                      - set(BOOT_ONLY)))


def core_loaded(workdir: Path, heap_kb: int = 512, state: dict | None = None) -> set:
    """The modules the core gateway has loaded once the scenario has run (what is resident,
    not what its imports could reach: lazy imports of features stay out); `state`, when
    given, gets its live heap and interned names (scenario_passes)."""
    loaded: set = set()
    ok, why = scenario_passes(heap_kb, workdir, timeout=60.0, loaded=loaded, state=state)
    if not ok:
        raise RuntimeError("core scenario failed at %dK: %s" % (heap_kb, why))
    return loaded


# Run at the firmware's REPL: qstr_info's line, then new names one at a time until the heap
# grows by more than string data can (it grows 128 bytes at a time): the next pool.
_NAMES_PROBE = """
import gc, micropython
micropython.qstr_info()
gc.collect()
b = gc.mem_alloc()
n = 0
while n < 20000:
    getattr(gc, "_fp%d" % n, None)
    gc.collect()
    a = gc.mem_alloc()
    if a - b > 512:
        print("next pool", n, a - b)
        break
    n += 1
    b = a
micropython.qstr_info()
"""


def _names(gw: VirtualGateway) -> dict:
    """The firmware's interned names: {"names", "names_bytes", "names_room",
    "next_pool_bytes"} (room: how many more fit before the next pool is allocated)."""
    out = gw.firmware_exec(_NAMES_PROBE)
    info = re.findall(r"n_pool=(\d+), n_qstr=(\d+), n_str_data_bytes=\d+, "
                      r"n_total_bytes=(\d+)", out)
    pool = re.search(r"next pool (\d+) (\d+)", out)
    if len(info) != 2 or not pool or int(info[1][0]) != int(info[0][0]) + 1:
        raise RuntimeError("names probe: %r" % out[-500:])
    return {"names": int(info[0][1]), "names_bytes": int(info[0][2]),
            "names_room": int(pool.group(1)), "next_pool_bytes": int(pool.group(2))}


def module_order() -> tuple[list[str], set]:
    """(every module, dependencies first; the core's modules): the core is what smsgw.app and
    the unix board import, at any depth, leaving out the optional features, which app.py
    loads by name (`__import__`) only when configured; BOOT_ONLY modules are loaded at boot
    and then dropped."""
    files = _module_files()
    known = set(files)
    top = {n: _imports(n, f, known, True) for n, f in files.items()}
    order: list[str] = []

    def place(n: str, seen: tuple = ()) -> None:
        if n in order or n in seen:
            return
        parent = n.rpartition(".")[0]
        if parent:  # imported first, as MicroPython does (its own imports may need n)
            place(parent, seen + (n,))
        for d in sorted(top[n]):
            if not d.startswith(n + "."):  # a package's own submodules load with it
                place(d, seen + (n,))
        if n not in order:
            order.append(n)

    for n in sorted(files):
        place(n)
    anywhere = {n: _imports(n, f, known, False) for n, f in files.items()}
    core: set = set()
    todo = ["smsgw.app", "boards.unix"] + [m for m in BOOT_ONLY if m in files]
    while todo:
        n = todo.pop()
        if n and n not in core:
            core.add(n)
            todo += sorted(anywhere[n]) + [n.rpartition(".")[0]]
    return order, core


def module_heap(frozen: bool = False, heap: str = "1024K", core: set | None = None) -> dict:
    """Live heap (bytes, after a collection) each module adds when imported, dependencies first,
    on $SMSGATE_MICROPYTHON or the pip interpreter: from the bundle's .mpy on a flash folder, or
    (`frozen`) from the interpreter's frozen modules. `core`: the modules counted as the core's
    (core_loaded()); without it, what the core's imports reach (module_order)."""
    order, reach = module_order()
    core = reach if core is None else core
    work = Path(tempfile.mkdtemp(prefix="smsgate-modheap-"))
    try:
        flash = work / "flash"
        if not frozen:
            bundle.install_to_dir("unix", flash)
        path = [".frozen"] if frozen else [str(flash), str(flash / "lib"), ".frozen"]
        script = work / "module_heap.py"
        script.write_text(_MODULE_HEAP % {"path": path, "names": order})
        out = subprocess.run([micropython_binary(), "-X", "heapsize=" + heap, str(script)],
                             capture_output=True, text=True, timeout=120, cwd=work,
                             env=micropython_env())
        for line in out.stdout.splitlines():
            if line.startswith("RESULT "):
                res = json.loads(line[7:])
                break
        else:
            raise RuntimeError("module heap probe failed: %s%s" % (out.stdout, out.stderr))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [{"module": n, "bytes": b, "core": n in core, "group": module_group(n)}
            for n, b in zip(order, res["cost"])]
    return {"rows": rows, "errors": res["errors"], "total": res["total"],
            "baseline": res["start"]}


def module_group(name: str) -> str:
    """The row's sub-package: `smsgw.codec.pdu` -> `smsgw.codec`; top-level modules of smsgw
    -> `smsgw`; `boards.*` -> `boards`; libraries by their package."""
    parts = name.split(".")
    if parts[0] == "smsgw":
        sub = "smsgw." + parts[1] if len(parts) > 2 else "smsgw"
        return sub if (FIRMWARE_DIR / sub.replace(".", "/")).is_dir() else "smsgw"
    return parts[0]


def module_table(columns: dict[str, dict]) -> str:
    """Markdown: one row per module (bytes per column), then one per sub-package and the
    totals of the core and of everything. `columns`: {title: module_heap() result}."""
    titles = list(columns)
    first = columns[titles[0]]
    by = {t: {r["module"]: r["bytes"] for r in c["rows"]} for t, c in columns.items()}
    out = ["| module | core | %s |" % " | ".join(titles), "|---|---|" + "---|" * len(titles)]
    for r in sorted(first["rows"], key=lambda r: (r["group"], r["module"])):
        core = ("boot" if r["module"] in BOOT_ONLY else "on use" if r["module"] in ON_USE
                else "yes" if r["core"] else "")
        out.append("| %s | %s | %s |" % (r["module"], core,
                                          " | ".join(_fmt_b(by[t].get(r["module"]))
                                                     for t in titles)))
    groups: dict[str, list] = {}
    for r in first["rows"]:
        groups.setdefault(r["group"], []).append(r)
    out.append("| **per sub-package** (core part) | | %s |" % " | ".join("" for _ in titles))
    for g, rows in groups.items():
        cells = []
        for t in titles:
            tot = sum(by[t].get(r["module"]) or 0 for r in rows)
            cor = sum(by[t].get(r["module"]) or 0 for r in rows if r["core"])
            cells.append("%s (%s)" % (_fmt_b(tot), _fmt_b(cor)))
        out.append("| %s | | %s |" % (g, " | ".join(cells)))
    out.append("| **core, resident** | | %s |" % " | ".join(
        _fmt_b(sum(by[t].get(r["module"]) or 0 for r in first["rows"]
                   if r["core"] and r["module"] not in BOOT_ONLY + ON_USE))
        for t in titles))
    out.append("| **everything** | | %s |" % " | ".join(_fmt_b(columns[t]["total"])
                                                       for t in titles))
    return "\n".join(out)


def _fmt_b(v) -> str:
    return "-" if v is None else "{:,}".format(v)
