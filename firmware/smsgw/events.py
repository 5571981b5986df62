# Event fan-out: the seam webhooks/MQTT (and alert rules) hang on.
# Handlers are called synchronously as fn(name, payload) and must not block: they enqueue.
# A raising handler is logged and counted; it never breaks the emitter or the other handlers.
#
# Names and payloads (android-sms-gateway's): "sms:received" {messageId, message, phoneNumber,
# simNumber, receivedAt}, "sms:sent" {messageId, phoneNumber, simNumber, sentAt, partsCount},
# "sms:delivered" {... deliveredAt}, "sms:failed" {... failedAt, reason}, "system:ping" {health}.
import time

_subs = []
errors = 0  # handler exceptions so far (shown in /health)
emitted = 0


def subscribe(fn):
    """Call `fn(name, payload)` for every event from now on."""
    if fn not in _subs:
        _subs.append(fn)


def unsubscribe(fn):
    if fn in _subs:
        _subs.remove(fn)


def count():
    """How many handlers are subscribed."""
    return len(_subs)


def emit(name, payload):
    """Fan `payload` out to every handler; returns how many took it without raising."""
    global errors, emitted
    emitted += 1
    ok = 0
    for fn in list(_subs):
        try:
            fn(name, payload)
            ok += 1
        except Exception as e:
            errors += 1
            from smsgw import log

            log.exc("event handler failed on %s" % name, e)
    return ok


def now():
    """Seconds since the Unix epoch (MicroPython ports with a 2000 epoch are corrected)."""
    t = time.time()
    if t < 946684800 and hasattr(time, "ticks_ms"):  # ESP32 without NTP: epoch 2000
        t += 946684800
    return int(t)


def iso(t):
    """ISO-8601 UTC timestamp for Unix seconds `t`."""
    g = time.gmtime(t - 946684800) if _EPOCH2000 else time.gmtime(t)
    return "%04d-%02d-%02dT%02d:%02d:%02d.000Z" % g[:6]


_EPOCH2000 = time.gmtime(0)[0] == 2000
