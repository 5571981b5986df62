# Reading the inbox (queue/inbox.py's get, list, public, renderer): a stored message's record,
# the listing, android-sms-gateway's inbox item. What GET /inbox loads (the rest of the inbox's
# code, queue/inbox_ops.py, stays on the flash for it) and forgotten with that code once the
# inbox is idle (Inbox.release). Every function takes the Inbox as `ib`; the file layout is
# inbox_ops.py's.
from smsgw import events


def path(ib, seq):
    """The file of stored message `seq`."""
    return "%s/%08d" % (ib.dir, seq)


def get(ib, seq):
    from smsgw.fsutil import read_json

    return read_json(path(ib, seq))


def list_messages(ib, limit=50, offset=0, since=0, until=0, kind=None):
    # Inbox.list
    import os

    names = os.listdir(ib.dir)
    seqs = [int(n) for n in names if len(n) == 8 and n.isdigit()]
    seqs.sort(reverse=True)
    if since or until or kind:  # reads each message (at most inbox.max_messages)
        seqs = [q for q in seqs if _matches(get(ib, q), since, until, kind)]
    ib.fetched = ib.next
    return len(seqs), seqs[offset:offset + limit]


def public(ib, seq):
    # Inbox.public
    m = get(ib, seq)
    return None if m is None else _public(m)


def _matches(m, since, until, kind):
    if m is None or m["at"] < since or (until and m["at"] > until):
        return False
    return kind is None or kind == ("DATA_SMS" if m.get("b") else "SMS")


def _public(m):
    # android-sms-gateway's inbox item; a data SMS's preview is its first 64 bytes in hex
    x = m["x"]
    if m.get("b"):
        x = x[:128].lower() + ("..." if len(x) > 128 else "")
    out = {"id": m["id"], "type": "DATA_SMS" if m.get("b") else "SMS", "sender": m["n"],
           "recipient": None, "simNumber": 1, "contentPreview": x,
           "createdAt": events.iso(m["at"])}
    if m.get("a"):
        out["senderType"] = "alphanumeric"
    if m.get("parts"):
        out["partsCount"] = m["parts"]
    if m.get("missing"):
        out["incomplete"] = True
        out["missingParts"] = m["missing"]
    return out
