# The one recovery layer: low layers raise, this task probes, counts, backs off and
# climbs the ladder AT probe -> reset command (CFUN=1,1) -> PWRKEY -> power cut -> MCU reset
# (modem/ladder.py), then re-runs modem.start(). `ready` is set while the modem is usable
# (outbox/sweeps wait on it).
import asyncio

from smsgw import forget
from smsgw.errors import ATError, ATTimeout, SmsgateError
from smsgw.tasks import TaskOwner

from micropython import const

_OOM_TRIES = const(5)  # starts of the modem the heap may refuse before the board resets


class Supervisor(TaskOwner):
    """Keeps the modem usable.

    Args:
        modem: smsgw.modem.modem.Modem.
        board: the Board (pwrkey_pulse, modem_power, reset).
        cfg: the `modem` config section; keys (optional, ms): probe_every_ms (30000),
            backoff_ms (1000), backoff_max_ms (300000), time_scale (1, multiplies profile times).
    """

    def __init__(self, modem, board, cfg=None):
        cfg = cfg or {}
        self.modem = modem
        self.board = board
        self.ready = asyncio.Event()
        self._kick = asyncio.Event()
        self._scale = cfg.get("time_scale", 1)
        self._every = int(cfg.get("probe_every_ms", 30000))
        self._backoff = int(cfg.get("backoff_ms", 1000))
        self._backoff_max = int(cfg.get("backoff_max_ms", 300000))
        self._busy = False
        self.counters = {
            "recoveries": 0, "failures": 0, "reinits": 0, "waits": 0, "last_error": None,
            "probe": 0, "reset_cmd": 0, "pwrkey": 0, "power": 0, "mcu_reset": 0, "oom": 0,
        }  # fmt: skip
        modem.listeners.append(self._on_event)
        modem.at.on_timeout = self._on_timeout

    def kick(self):
        """Probe now (e.g. after a command timeout elsewhere)."""
        self._kick.set()

    def _on_timeout(self, cmd):
        if not self._busy:
            self._kick.set()

    def _on_event(self, name, detail):
        if name in ("reboot", "power_down"):
            self.ready.clear()
            self._kick.set()

    def _fail(self, e):
        self.counters["failures"] += 1
        self.counters["last_error"] = repr(e)

    async def run(self):
        """Forever: start the modem, then probe it; on failure climb the ladder."""
        failed = False
        if self.board is not None:
            await self.board.modem_power(True)  # cold boot: rail up / PWRKEY (board-specific)
        while True:
            self._busy = True
            try:
                await self._bring_up(failed)
            finally:
                self._busy = False
            failed = await self._watch()

    async def _bring_up(self, failed):
        # Until start() succeeds: first a plain start, then the ladder (modem/ladder.py, loaded
        # only when a start failed and forgotten once the modem is up).
        if await self._start():
            self.counters["recoveries"] += failed  # a probe had failed: recovered by a restart
            return
        from smsgw.modem import ladder

        try:
            await ladder.climb(self)
        finally:
            forget("smsgw.modem.ladder")

    async def _start(self):
        for n in range(_OOM_TRIES):
            try:
                await self.modem.start()
            except MemoryError:  # the heap, not the modem (the bring-up is loaded for it): no
                # ladder; again a second later, and after the last try the error ends this
                # task and the board resets (a fresh heap)
                self.counters["oom"] += 1
                if n == _OOM_TRIES - 1:
                    raise
                await asyncio.sleep_ms(1000)
                continue
            except (SmsgateError, OSError, ValueError) as e:  # ValueError: nonsense from the line
                self._fail(e)
                return False
            self.ready.set()
            return True

    async def _watch(self):
        # Healthy: probe every probe_every_ms or when kicked. Returns True when a probe failed,
        # False when the modem rebooted or powered down by itself (re-init, no ladder).
        while self.ready.is_set():
            self._kick.clear()
            try:
                await asyncio.wait_for_ms(self._kick.wait(), self._every)
            except asyncio.TimeoutError:
                pass  # the periodic probe
            except MemoryError:  # no heap for the timer now: the probe comes a second later
                self.counters["oom"] += 1
                await asyncio.sleep_ms(1000)
            if not self.ready.is_set():
                break
            self._busy = True
            try:
                await self.modem.probe()
            except (ATTimeout, ATError) as e:
                self._fail(e)
                self.ready.clear()
                self.modem.status["ready"] = False
                return True
            except MemoryError:  # the heap, not the modem: no ladder, the next round probes
                self.counters["oom"] += 1
            finally:
                self._busy = False
        self.counters["reinits"] += 1  # the modem rebooted or powered down: start() again
        return False
