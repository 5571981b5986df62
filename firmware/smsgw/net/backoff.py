# Slow-down of password guessing, imported at the first failed login only: a
# gateway whose clients always log in correctly never loads it.
from time import ticks_add, ticks_diff, ticks_ms


class Backoff:
    """Slow-down of password guessing, per client address.

    After `free` failed logins, a client is refused (429, its credentials not even checked) for
    1, 2, 4 ... up to max_s seconds, doubling with each further failure; a success clears it.
    At most `clients` addresses are remembered; when the table is full of locked clients,
    unknown addresses share one entry ("*"), so rotating addresses does not reset the count.
    """

    def __init__(self, free=5, max_s=300, clients=16):
        self.free = free
        self.max_s = max_s
        self.clients = clients
        self.t = {}  # key -> [failures, locked until (ticks ms)]
        self.refused = 0  # requests answered 429 unchecked

    def key(self, addr):
        # ESP32 and CPython: (ip, port); the unix port: raw sockaddr bytes (port at [2:4])
        if isinstance(addr, tuple):
            k = addr[0]
        elif isinstance(addr, (bytes, bytearray)) and len(addr) > 4:
            k = bytes(addr[4:])
        else:
            k = "?"
        if k in self.t or len(self.t) < self.clients or self._forget():
            return k
        return "*"

    def wait_s(self, k):
        """Seconds this client must still wait (0: its credentials may be checked)."""
        e = self.t.get(k)
        if e is None or e[0] < self.free:
            return 0
        left = ticks_diff(e[1], ticks_ms())
        return (left + 999) // 1000 if left > 0 else 0

    def failed(self, k):
        e = self.t.get(k)
        if e is None:
            e = self.t[k] = [0, 0]
        e[0] += 1
        if e[0] >= self.free:
            # exponent capped: a week without Wi-Fi (net/wifi.py) is ~10,000 failures, and
            # 1 << 10000 would be a 1.3 KB integer on every try
            n = min(e[0] - self.free, 20)
            until = ticks_add(ticks_ms(), min(1 << n, self.max_s) * 1000)
            # ticks are small ints on the port; the stubs brand them (_TicksMs)
            e[1] = until  # pyright: ignore[reportArgumentType, reportCallIssue]

    def ok(self, k):
        if k != "*":
            self.t.pop(k, None)

    def _forget(self):
        # the least suspicious client makes room, unless every one is locked out
        k = min(self.t, key=lambda k: self.t[k][0])
        if self.t[k][0] >= self.free:
            return False
        del self.t[k]
        return True
