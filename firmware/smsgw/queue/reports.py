# Delivery reports for the outbox (smsgw.queue.outbox): an SMS-STATUS-REPORT decoded
# (codec.decode), paired with the part that got its TP-MR, and journaled (Delivered, or Failed
# with its TP-ST; a temporary TP-ST waits for the next report). Functions of the Outbox,
# imported for a report and forgotten once no other report waits.
from smsgw import log


def handle(ob, h):
    """Outbox.handle_report: True when the modem's copy may go (journaled, unpairable, or
    undecodable: its hex logged)."""
    from smsgw.codec import decode  # the decoder leaves the heap once the report is read
    from smsgw.errors import PduError

    try:
        d = decode(h)
    except PduError as e:
        ob.counters["bad_reports"] += 1
        log.warn("undecodable report: %s: %s", e, h)
        return True
    if d.get("type") != "status_report":
        ob.counters["bad_reports"] += 1
        log.warn("not a status report: %s", h)
        return True
    pair(ob, d.get("mr", -1), d.get("number", ""), d.get("status", 0))
    return True


def pair(ob, mr, number, tp_st):
    """Outbox.on_report: True when the report was paired with a part."""
    ob.counters["reports"] += 1
    slot = ob.store.get_mr(mr)
    meta = ob.store.get(slot[0]) if slot else None
    if meta is None or slot[1] >= len(meta["to"]) or not same_number(meta["to"][slot[1]], number):
        ob.counters["unpaired_reports"] += 1
        return False
    if 32 <= tp_st < 64:  # temporary: the SMSC keeps trying (TS 23.040 9.2.3.15)
        return True
    key, r, p = slot
    ob._journal(key, meta).add("D", r, p, tp_st)  # emits on a state change (Outbox._changed)
    return True


def same_number(a, b):
    """Same phone number, ignoring "+" and the national/international prefix difference."""
    da = "".join(c for c in a if "0" <= c <= "9")
    db = "".join(c for c in (b or "") if "0" <= c <= "9")
    n = min(len(da), len(db), 9)
    return n > 0 and da[-n:] == db[-n:]
