# The inbox: consumes modem.incoming, stores each SMS durably and only then deletes it from the
# modem; reassembles multipart (parts journaled until complete; orphans kept as incomplete
# messages after a timeout); dedups the same PDU seen twice (URC and sweep); sweeps the modem
# storage at start and periodically (status reports go to modem.reports: the outbox's).
# This module keeps the inbox's state and its two tasks; the code that stores and reassembles
# is queue/inbox_ops.py, loaded when a message comes, the code that reads (GET /inbox) is
# queue/inbox_view.py, and both are forgotten once the inbox is idle (release), so a board that
# is sending does not carry them (files, eviction and dedup: see inbox_ops).
import asyncio

from smsgw import forget, log
from smsgw.tasks import cancel_all

_OPS = "smsgw.queue.inbox_ops"
_VIEW = "smsgw.queue.inbox_view"  # reading it (GET /inbox): loaded without the rest


class Inbox:
    """Received messages.

    Args:
        root: the store directory (the inbox lives in root/in).
        cfg: full config (inbox.* read).
        modem: the Modem (incoming, sweep, delete); None for tests without one.
        ready: optional asyncio.Event-like; sweeps wait for it.
        store: the Store whose hand-off intents cover sms:received (None: not covered).
    """

    def __init__(self, root, cfg, modem=None, ready=None, store=None):
        c = cfg["inbox"]
        self.store = store  # the outbox's Store: its hand-off intents cover sms:received
        self.dir = root.rstrip("/") + "/in"
        self.max = c["max_messages"]
        self.sweep_ms = c["sweep_ms"]
        self.modem = modem
        self.ready = ready
        self.orphan_ms = max(1, c["orphan_ms"])
        self._re = None  # the Reassembler, imported on the first multipart part (~9 KB)
        self.first = self.next = 0
        self.fetched = 0  # messages with seq < fetched were returned by GET /inbox
        self.seen = []  # the last PDU hashes, as ints (inbox_ops._remember)
        self.counters = {"received": 0, "parts": 0, "duplicates": 0,
                         "bad_pdus": 0, "store_errors": 0, "delete_errors": 0, "evicted": 0,
                         "evicted_unread": 0, "incomplete": 0, "sweeps": 0, "oom": 0}
        self.tasks = []

    def _ops(self):
        return __import__(_OPS, None, None, ["handle"])

    def _view(self):
        return __import__(_VIEW, None, None, ["get"])

    def release(self):
        """Forget the inbox's code until its next use (the state stays here; the decoder left
        as soon as it had read each PDU: codec.decode)."""
        forget(_OPS, _VIEW)

    def open(self):
        """Read the stored messages' range, the dedup hashes and the pending parts (at boot:
        the code leaves the heap again until a message comes)."""
        self._ops().load(self)
        self.release()

    def get(self, seq):
        """Stored message `seq` (its JSON record), or None."""
        return self._view().get(self, seq)

    def list(self, limit=50, offset=0, since=0, until=0, kind=None):
        """(total, [seq, ...]) newest first, optionally only those received in [since, until]
        (Unix s; 0: open) of type `kind` ("SMS" | "DATA_SMS"); render each with public(seq).
        Marks everything stored so far as delivered to the API (eviction prefers those)."""
        return self._view().list_messages(self, limit, offset, since, until, kind)

    def public(self, seq):
        """Message `seq` in android-sms-gateway's inbox shape, or None when gone."""
        return self._view().public(self, seq)

    def renderer(self):
        """public() bound to the inbox's code as loaded now, which is then released: a listing
        streamed with it keeps that code until the answer is sent, not after (the web page
        lists the inbox every few seconds; the code would otherwise stay until the sweep)."""
        view = self._view()
        self.release()
        return lambda seq: view.public(self, seq)

    def handle(self, kind, index, h):
        """Process one (kind, index, hex) from the modem. Returns True when the modem copy may
        be deleted (stored durably, a duplicate, or undecodable: then its hex is in the log).
        Anything else that goes wrong (no memory, flash) keeps it on the SIM for the sweep."""
        self.release()  # the decoder and the inbox's code take turns in the heap, never both
        d = _decode(h)
        return self._ops().handle(self, index, h, d)

    def expire(self):
        """Store orphaned groups (timed out) as incomplete messages; returns how many."""
        return 0 if self._re is None else self._ops().expire(self)

    # -- tasks -----------------------------------------------------------------------------
    def start(self):
        self.tasks = [asyncio.create_task(self._consume()), asyncio.create_task(self._sweeper())]

    async def stop(self):
        await cancel_all(self.tasks, (asyncio.CancelledError, Exception))
        self.tasks = []

    async def _consume(self):
        # each SMS the modem hands over: stored, then its copy deleted (a MemoryError: again a
        # second later; idle: the decoder and the inbox's code leave the heap)
        await self.modem.incoming.consume(self._take, self.counters, self.release, self._failed)

    async def _take(self, kind, index, h):
        if self.handle(kind, index, h) and index is not None:
            await self.modem.delete(index)

    def _failed(self, e, item):
        self.counters["delete_errors"] += 1
        log.warn("inbox: %s", e)

    async def _sweeper(self):
        while True:
            try:
                if self.ready is not None and not self.ready.is_set():
                    await self.ready.wait()
                await self.modem.sweep()
                self.counters["sweeps"] += 1
                self.expire()
                if not len(self.modem.incoming):
                    self.release()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warn("sweep: %s", e)
            await asyncio.sleep_ms(self.sweep_ms)


def _decode(h):
    # The PDU as a dict, or the PduError that says why it is not one (codec.decode: the decoder
    # leaves the heap as soon as it has read the PDU)
    from smsgw.codec import decode
    from smsgw.errors import PduError

    try:
        return decode(h)
    except PduError as e:
        return e
