# Replays the events a power cut left between a state change and the hand-off of its event
# (journal.Handoff intents, read at boot). Loaded at boot only when such intents exist; call it
# once the event handlers are subscribed. An event may repeat, none is lost.
from smsgw import log
from smsgw.queue.journal import CANCELLED, DELIVERED, FAILED, SENT


def replay(handoff, outbox, inbox):
    """Emit what `handoff.left` says may be missing: outbox intents ("o key r before") whose
    recipient's state did change, inbox intents ("i seq") whose message was stored
    (sms:received or sms:data-received)."""
    for f in handoff.left:
        try:
            if f[0] == "o" and outbox is not None:
                key, r = f[1], int(f[2])
                meta = outbox.store.get(key)
                if meta is None or r >= len(meta["to"]):
                    continue
                j = outbox._journal(key, meta)
                after = j.rstate(r)
                if after != f[3] and after in (SENT, DELIVERED, FAILED, CANCELLED):
                    outbox._changed(j, r, f[3], after, True)
            elif f[0] == "i" and inbox is not None:
                m = inbox.get(int(f[1]))
                if m is not None:
                    from smsgw.queue.sms_events import received

                    received(m)
        except (ValueError, IndexError) as e:
            log.warn("event replay: %s", e)
