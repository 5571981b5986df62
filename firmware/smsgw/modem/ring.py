# Bounded hand-off queue: preallocated slots, put/get events, `async for` consumer.
#
# Overflow policy: `await put()` (producers that can wait: items read from modem storage stay
# there meanwhile) blocks while fewer than `reserve` slots are free; `put_nowait()` (URC
# handlers, which must not block) may use the reserve and, when even that is full, refuses the
# item, counts it in `discards` and returns False; the caller decides (the modem leaves stored
# messages in storage for the next sweep).
import asyncio

from micropython import const

_OOM_TRIES = const(3)  # tries of one item while the heap has no room for the code it needs
_OOM_WAIT_MS = const(1000)


class Ring:
    """A FIFO of at most `size` items; `reserve` slots are kept for `put_nowait`."""

    def __init__(self, size, reserve=0):
        if size < 1 or not 0 <= reserve < size:
            raise ValueError("bad ring size")
        self._q: list = [None] * size
        self._size = size
        self._reserve = reserve
        self._head = 0
        self._len = 0
        self._got = asyncio.Event()  # an item was added
        self._freed = asyncio.Event()  # an item was taken
        self.discards = 0

    def __len__(self):
        return self._len

    def put_nowait(self, item):
        """Add `item` if any slot is free; False (and counted) when full."""
        if self._len >= self._size:
            self.discards += 1
            return False
        self._q[(self._head + self._len) % self._size] = item
        self._len += 1
        self._got.set()
        return True

    async def put(self, item):
        """Add `item`, waiting while the non-reserved slots are all used."""
        while self._len >= self._size - self._reserve:
            self._freed.clear()
            await self._freed.wait()
        self.put_nowait(item)

    def get_nowait(self):
        """Take the oldest item. Raises IndexError when empty."""
        if not self._len:
            raise IndexError("empty")
        item = self._q[self._head]
        self._q[self._head] = None
        self._head = (self._head + 1) % self._size
        self._len -= 1
        self._freed.set()
        return item

    async def get(self):
        """Take the oldest item, waiting for one."""
        while not self._len:
            self._got.clear()
            await self._got.wait()
        return self.get_nowait()

    def __aiter__(self):
        return self

    async def __anext__(self):
        return await self.get()

    async def consume(self, take, counters, release, failed):
        """Forever: `await take(*item)` for each item, oldest first (the inbox's SMS, the
        outbox's status reports). A MemoryError (no heap for the code the item needs) is
        counted (counters["oom"]) and the item tried again a second later, after release()
        (what it loaded leaves the heap), 3 tries in all: not at the next sweep a minute on,
        and a +CMT or +CDS has no copy on the SIM. Any other error goes to failed(e, item).
        release() too whenever no item is waiting."""
        async for item in self:
            for _ in range(_OOM_TRIES):
                try:
                    await take(*item)
                except asyncio.CancelledError:
                    raise
                except MemoryError:
                    counters["oom"] += 1
                    release()
                    await asyncio.sleep_ms(_OOM_WAIT_MS)
                    continue
                except Exception as e:
                    failed(e, item)
                break
            if not self._len:
                release()
