# Cancelling a Pending message (DELETE /messages/<id>): the journal's "C" record, then
# sms:cancelled for each recipient, covered by hand-off intents like the other sms:* events
# (journal.Handoff; replayed at boot by queue/replay.py). Imported only when a cancel comes.
from smsgw import events
from smsgw.queue.journal import CANCELLED, PENDING
from smsgw.queue.store import key_of


def cancel(outbox, msg_id):
    """Outbox.cancel's work: (200, status) | (404|409, error)."""
    key = key_of(msg_id)
    meta = outbox.store.get(key)
    if meta is None or meta["id"] != msg_id:
        return 404, {"message": "message not found"}
    st = outbox.status_of(key, meta)
    if st["state"] == CANCELLED:
        return 200, st
    if st["state"] != PENDING:
        return 409, {"message": "cannot cancel a message in state %s" % st["state"]}
    j = outbox._journal(key, meta)
    rs = range(len(j.rs))
    ho = outbox.store.handoff if events.count() else None
    if ho is not None:  # a power cut before sms:cancelled is queued: replayed at boot
        for r in rs:
            ho.begin("o %s %d %s" % (key, r, PENDING))
    try:
        j.add("C")
        for r in rs:
            outbox._changed(j, r, PENDING, CANCELLED)
    finally:
        if ho is not None:
            for r in rs:
                ho.done()
    if outbox.order is not None:
        outbox.order.done(key)
    return 200, outbox.status_of(key, meta)
