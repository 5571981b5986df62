# Streamed JSON answers of the API: a list item by item, an object member by member, gathered
# into writes of up to _CHUNK bytes, so RAM holds one item whatever the size of the document.
# Imported by the answers that need it (lists, the full /health document, /logs); each answer
# forgets the module as it is made: the streaming generator keeps its code alive until the
# answer is sent, then the code leaves the heap.
import json

from smsgw import forget
from smsgw.net.api import reply

from micropython import const

_CHUNK = const(512)  # streamed bodies go out in writes of up to this many bytes


def _stream(items, render):
    # A JSON array written item by item: RAM holds one item, whatever the page size.
    yield "["
    first = True
    for it in items:
        obj = render(it)
        if obj is None:
            continue
        yield ("" if first else ",") + json.dumps(obj)
        first = False
    yield "]"


def _chunked(pieces):
    # Gather small pieces into one preallocated buffer and yield it when full / at the end:
    # one socket write + drain per ~_CHUNK bytes instead of one per JSON member (measured:
    # GET /health fell from ~1,890 to ~248 req/s). Memory stays bounded by _CHUNK; a piece
    # larger than the buffer goes out on its own. The yielded view is rewritten after the
    # consumer resumes us, i.e. after Response.write's awrite has copied/sent it.
    buf = bytearray(_CHUNK)
    mv = memoryview(buf)
    n = 0
    for p in pieces:
        if isinstance(p, str):
            p = p.encode()
        ln = len(p)
        if n + ln > _CHUNK:
            if n:
                yield mv[:n]
                n = 0
            if ln > _CHUNK:
                yield p
                continue
        mv[n:n + ln] = p
        n += ln
    if n:
        yield mv[:n]


def _stream_obj(obj):
    # A JSON object written member by member (nested objects too): no whole-document string.
    yield "{"
    first = True
    for k, v in obj.items():
        yield ("" if first else ",") + json.dumps(k) + ":"
        first = False
        if isinstance(v, dict) and len(v) > 2:
            yield from _stream_obj(v)
        else:
            yield json.dumps(v)
    yield "}"


def json_stream(obj, status=200):
    """A response that writes a (large) JSON object piece by piece."""
    forget("smsgw.net.jsonout")
    return reply(_chunked(_stream_obj(obj)), status, {"Content-Type": "application/json"})


def json_list(total, items, render):
    """A JSON array of render(item) for each item (None: left out), written item by item, with
    X-Total-Count: total (None: no header)."""
    forget("smsgw.net.jsonout")
    headers = {"Content-Type": "application/json"}
    if total is not None:
        headers["X-Total-Count"] = str(total)
    return reply(_chunked(_stream(items, render)), 200, headers)
