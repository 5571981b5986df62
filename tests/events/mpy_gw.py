# A stand-in gateway on the MicroPython unix port for tests/events: the real smsgw.net.webhooks and
# smsgw.net.mqtt modules wired to smsgw.events, with a fake outbox that records what it is given.
# Usage: micropython mpy_gw.py <config.json> <workdir> [module_dir]
# Control: the host appends JSON lines to <workdir>/ctl.jsonl:
#   {"emit": [name, payload]}  {"burst": [name, n]}  {"hook": {...}}  {"replay": {...}}
# The script writes <workdir>/state.json (counters) after each control line and every 100 ms,
# and appends every outbox.submit body to <workdir>/submitted.jsonl.
import sys

if len(sys.argv) > 3:
    sys.path.insert(0, sys.argv[3])  # compiled .mpy modules first
sys.path.insert(1, "firmware")

import asyncio  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402

from smsgw import events  # noqa: E402

CFG = json.load(open(sys.argv[1]))
WORK = sys.argv[2]
DEVICE = CFG.get("device", "dev1")
hooks = bridge = None
_seen = {}
_state = {"submitted": 0}


def submit(body):
    mid = body.get("id") or "gen%d" % _state["submitted"]
    if mid in _seen:
        return 202, {"id": mid, "state": "Pending"}  # idempotent by id, as the real outbox
    _seen[mid] = 1
    _state["submitted"] += 1
    with open(WORK + "/submitted.jsonl", "a") as f:
        f.write(json.dumps(body) + "\n")
    return 202, {"id": mid, "state": "Pending"}


def status():
    return {"signal": -71, "registration": "home", "queue": _state["submitted"]}


def _dead_letters():
    # the dead list's complete lines, read here: hooks.queue.dead() loads (compiles, from
    # source) net/queue_upkeep each time, every 100 ms on this test's 128K heap
    try:
        with open(hooks.queue.dead_path, "rb") as f:
            return sum(1 for line in f if line.endswith(b"\n"))
    except OSError:
        return 0


def write_state():
    gc.collect()
    st = {"mem_free": gc.mem_free(), "mem_alloc": gc.mem_alloc(), "submitted": _state["submitted"]}
    if hooks:
        st["webhooks"] = hooks.stats()
        st["dead"] = _dead_letters()
    if bridge:
        st["mqtt"] = dict(bridge.counters)
        st["mqtt"]["connected"] = bridge.connected
        st["mqtt"]["queued"] = len(bridge.queue)
    with open(WORK + "/state.tmp", "w") as f:
        json.dump(st, f)
    import os

    os.rename(WORK + "/state.tmp", WORK + "/state.json")


def control(line):
    c = json.loads(line)
    if "emit" in c:
        events.emit(c["emit"][0], c["emit"][1])
    elif "burst" in c:
        name, n = c["burst"]
        for i in range(n):
            events.emit(name, {"messageId": "b%d" % i, "phoneNumber": "+1", "message": "x"})
    elif "hook" in c:
        from smsgw.net import webhook_admin

        print("hook", webhook_admin.create(hooks, c["hook"]))
    elif "replay" in c:
        from smsgw.net import webhook_admin

        print("replay", webhook_admin.replay(hooks, c["replay"]))


async def main():
    global hooks, bridge
    if "webhooks" in CFG:
        from smsgw.net import webhooks

        hooks = webhooks.Webhooks(WORK, CFG["webhooks"], DEVICE)
        events.subscribe(hooks.on_event)
        hooks.start()
    if "mqtt" in CFG:
        from smsgw.net import mqtt

        bridge = mqtt.MqttBridge(CFG["mqtt"], DEVICE, submit=submit, status=status)
        events.subscribe(bridge.on_event)
        bridge.start()
    pos = 0
    ticks = 0
    while True:
        try:
            with open(WORK + "/ctl.jsonl") as f:
                f.seek(pos)
                data = f.read()
        except OSError:
            data = ""
        while "\n" in data:
            line, data = data.split("\n", 1)
            pos += len(line) + 1
            control(line)
            write_state()
        ticks += 1
        if ticks % 5 == 0:
            write_state()
        await asyncio.sleep_ms(20)


print("mpy_gw up")
asyncio.run(main())
