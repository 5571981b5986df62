# The sms:* event payloads (android-sms-gateway's, which its clients' payload classes parse):
# built only when something listens (webhooks, MQTT, e-mail, the alert unit), so the core
# gateway without them never loads this. Timestamps are ISO 8601 UTC; sentAt/deliveredAt/
# failedAt/cancelledAt are null while the board's clock is unset (smsgw/clock.py), receivedAt
# is then the SMS's own network timestamp (queue/inbox.py, smsgw/scts.py).
#   sms:received      {messageId, sender, recipient, phoneNumber (= sender), simNumber, message,
#                      receivedAt[, senderType "alphanumeric"]}
#   sms:data-received {... data (base64) instead of message}
#   sms:sent          {messageId, sender (our number: unknown, null), recipient, phoneNumber
#                      (= recipient), simNumber, partsCount, sentAt}
#   sms:delivered / sms:failed / sms:cancelled   {... deliveredAt / failedAt, reason /
#                      cancelledAt}
from smsgw import clock, events
from smsgw.queue.journal import CANCELLED, DELIVERED, FAILED, PENDING, PROCESSED


def outgoing(j, r, before, after):
    """Emit the event of recipient r of journal `j` moving from `before` to `after`."""
    to = j.meta["to"][r]
    p = {"messageId": j.meta["id"], "sender": None, "recipient": to, "phoneNumber": to,
         "simNumber": 1}
    t = clock.now()  # None while the clock is unset: no made-up year-2000 time
    t = None if t is None else events.iso(t)
    if after == FAILED:
        p["failedAt"] = t
        why = j.why(r)
        if why and why.startswith("delivery failed: TP-ST"):
            from smsgw.codec.tpst import reason

            why = reason(why)
        p["reason"] = why or "failed"
        events.emit("sms:failed", p)
    elif after == CANCELLED:
        p["cancelledAt"] = t
        events.emit("sms:cancelled", p)
    elif before in (PENDING, PROCESSED):  # all parts out: Sent (or Delivered already)
        p["sentAt"] = t
        # the recipient's part count, as its S records said (journal.py: rs[r][_NP]; no
        # method for it: journal.py compiles from source in a 64K heap with nothing to spare)
        p["partsCount"] = j.rs[r][0]
        events.emit("sms:sent", p)
    elif after == DELIVERED:
        p["deliveredAt"] = t
        events.emit("sms:delivered", p)


def received(m):
    """Emit sms:received, or sms:data-received for a data SMS, of stored inbox message `m`."""
    out = {"messageId": m["id"], "sender": m["n"], "recipient": None, "phoneNumber": m["n"],
           "simNumber": 1, "receivedAt": events.iso(m["at"])}
    if m.get("a"):
        out["senderType"] = "alphanumeric"
    if m.get("b"):
        import binascii

        out["data"] = binascii.b2a_base64(binascii.unhexlify(m["x"])).decode().strip()
        events.emit("sms:data-received", out)
    else:
        out["message"] = m["x"]
        events.emit("sms:received", out)
