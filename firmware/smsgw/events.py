# Event fan-out: the seam webhooks/MQTT (and alert rules) hang on.
# Handlers are called synchronously as fn(name, payload) and must not block: they enqueue.
# A raising handler is logged and counted; it never breaks the emitter or the other handlers.
#
# Names and payloads (android-sms-gateway's): "sms:received" {messageId, message, phoneNumber,
# simNumber, receivedAt}, "sms:sent" {messageId, phoneNumber, simNumber, sentAt, partsCount},
# "sms:delivered" {... deliveredAt}, "sms:failed" {... failedAt, reason}, "system:ping" {health}.
# now() (Unix seconds, set or not: the payloads' timestamps) and iso() are smsgw.clock's.
from smsgw.clock import iso, unix as now  # noqa: F401

_subs = []
errors = 0  # handler exceptions so far (shown in /health)
emitted = 0
# Events a handler holds in RAM for want of heap (net/webhook_queue.Journal.hold) until its
# journal has them: the store's hand-off intents stay on the flash while any is held.
held = 0


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

