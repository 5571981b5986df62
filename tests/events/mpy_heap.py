# Heap cost of the webhook and MQTT parts, measured on the MicroPython unix port from .mpy files.
# Usage: micropython -X heapsize=96K mpy_heap.py <mpy_dir> <workdir> <http_url> <mqtt_port>
# Prints one JSON line: bytes in use after each step (gc.collect() first), relative to a baseline.
import sys

sys.path[:] = [sys.argv[1], ".frozen"]  # as on a board: no source tree
import asyncio  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402

MPY, WORK, URL, MQTT_PORT = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
out = {}
failed = []  # a task died or a handler raised (MemoryError): fail at once, not at the deadline


def _on_task_error(loop, context):
    failed.append(context.get("exception"))


def _check():
    from smsgw import events

    if failed or events.errors:
        raise AssertionError("failed: %r, handler errors: %d" % (failed, events.errors))


def mark(name, base):
    gc.collect()
    out[name] = gc.mem_alloc() - base


async def main():
    asyncio.get_event_loop().set_exception_handler(_on_task_error)
    gc.collect()
    base = gc.mem_alloc()
    from smsgw import events

    from smsgw.net import webhooks

    mark("webhooks_import", base)
    cfg = {"signing_key": "test-signing-key", "retry_base_s": 0.05}
    hooks = webhooks.Webhooks(WORK, cfg, "dev")
    from smsgw import forget
    from smsgw.net import webhook_admin

    webhook_admin.create(hooks, {"id": "h", "url": URL, "event": "sms:received"})
    del webhook_admin
    forget("smsgw.net.webhook_admin")  # as the API does after a registration (webhook_api)
    forget("smsgw.net.url")
    events.subscribe(hooks.on_event)
    hooks.start()
    mark("webhooks_running", base)
    for i in range(50):
        events.emit("sms:received", {"messageId": "m%d" % i, "message": "x" * 160,
                                     "phoneNumber": "+15551234567"})
        if i % 10 == 9:
            await asyncio.sleep_ms(0)
    for _ in range(6000):  # at most 30 s
        if hooks.counters["delivered"] >= 50:
            break
        _check()
        await asyncio.sleep_ms(5)
    else:
        raise AssertionError("webhooks: %r %s" % (hooks.counters, hooks.last_error))
    mark("webhooks_after_50", base)
    gc.collect()
    base2 = gc.mem_alloc()
    from smsgw.net import mqtt

    mark("mqtt_import", base2)
    b = mqtt.MqttBridge({"url": "mqtt://127.0.0.1:%d" % MQTT_PORT, "discovery": True}, "dev",
                        status=lambda: {"signal": -70, "registration": "home", "queue": 0})
    events.subscribe(b.on_event)
    b.start()
    for _ in range(3000):  # at most 30 s
        if b.connected and b.counters["published"] >= 1:
            break
        _check()
        await asyncio.sleep_ms(10)
    else:
        raise AssertionError("mqtt: %r %s" % (b.counters, b.last_error))
    mark("mqtt_connected", base2)
    for i in range(50):
        events.emit("sms:sent", {"messageId": "s%d" % i, "phoneNumber": "+15551234567"})
    for _ in range(6000):
        if not b.queue:
            break
        _check()
        await asyncio.sleep_ms(5)
    else:
        raise AssertionError("mqtt queue: %r %s" % (b.counters, b.last_error))
    mark("mqtt_after_50", base2)
    gc.collect()
    out["heap_free_end"] = gc.mem_free()
    print(json.dumps(out))
    await b.stop()
    await hooks.stop()


asyncio.run(main())
