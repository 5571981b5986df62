# The modem driver: send, incoming SMS/reports, status. It never retries or resets on its own:
# failures raise; the supervisor decides what to do. What runs rarely lives in modules loaded
# for the call and forgotten after it (_on_use): the init sequence (bringup), the state
# queries (info: signal, battery, registration), USSD (ussd) and the storage sweep (sweep).
#
# Incoming: +CMTI/+CDSI indices are read (AT+CMGR) by one worker task and pushed as
# (kind, index, hex), SMS to `incoming` (the inbox's), status reports to `reports` (the
# outbox's); +CMT/+CDS PDUs (not stored) are pushed as (kind, None, hex). The consumer deletes
# with `delete(i)` only after storing durably; the modem never deletes.
# URC handlers and answer parsers live in smsgw.modem.urc.
import asyncio

from smsgw import forget
from smsgw.errors import ATError, ATTimeout, SmsgateError
from smsgw.modem.urc import UrcHandlers, pdu_kind
from smsgw.modem.ring import Ring
from smsgw.tasks import cancel_and_wait

from micropython import const


_RESERVE = const(2)  # ring slots only URC pushes (+CMT/+CDS, cannot wait) may use


class ModemError(SmsgateError):
    """The modem is not usable: `reason` says why ("no answer", "SIM PIN required", ...)."""

    def __init__(self, reason):
        super().__init__("modem: %s" % reason)
        self.reason = reason


class Modem(UrcHandlers):
    """Driver for one SIMCom modem.

    Args:
        at: ATChannel over the modem stream.
        profile: from smsgw.modem.profiles.get(model).
        board: the Board (kept for the supervisor; the driver itself does no power actions).
        cfg: the `modem` config dict; keys (all optional): pin, time_scale (1.0; multiplies the
            profile's times), queue_depth (8), probe_ms (1000), cmgs_timeout_ms,
            boot_timeout_ms, ready_timeout_ms (100 s), reg_timeout_ms (120 s), poll_ms (1000).
        pin_path: flash file recording a PIN that was rejected or whose answer was lost, so
            that no boot sends it again (None: kept in RAM only).
    """

    def __init__(self, at, profile, board=None, cfg=None, pin_path=None):
        self.at = at
        self.profile = profile
        self.board = board
        self.cfg = cfg = cfg or {}
        self._scale = cfg.get("time_scale", 1)
        self.incoming = Ring(max(cfg.get("queue_depth", 8), _RESERVE + 1), _RESERVE)
        self.reports = Ring(_RESERVE + 2, _RESERVE)  # status reports: the outbox consumes them
        self._pending = []  # [(kind, index)] from +CMTI/+CDSI
        self._pending_ev = asyncio.Event()
        self._ussd = None
        self._ussd_ev = asyncio.Event()
        self._sms_ready = False
        self._reg = {}  # prefix -> last stat seen in a URC or an answer
        self._news = []  # [(fn, args)] rare lines waiting for smsgw.modem.news (urc._rare)
        self.pin_path = pin_path  # smsgw.modem.pin's mark of a PIN never to send again
        self._echo_mark = 0
        self._task = None
        self.listeners = []  # fn(name, detail): "reboot", "under_voltage", "power_down", ...
        self.counters = {
            "sent": 0, "send_errors": 0, "received": 0, "reports": 0, "reboots": 0,
            "under_voltage": 0, "over_voltage": 0, "pending_overflow": 0, "direct_lost": 0,
            "read_errors": 0, "skipped": 0, "sweeps": 0, "starts": 0, "news_waits": 0,
            "news_lost": 0,
        }  # fmt: skip
        self.status = {
            "ready": False, "registered": False, "reg": None, "rssi": None, "model": None,
            "imei": None, "sim": None, "power": None, "reboot_seen": False,
            "counters": self.counters,
        }  # fmt: skip
        at.on_urc("", self._on_urc)

    def _ms(self, key, default):
        v = self.cfg.get(key)
        return int(v) if v is not None else int(default * self._scale)

    # -- start ---------------------------------------------------------------------------
    async def start(self):
        """Bring the modem from power-on (or unknown state) to ready for SMS (the sequence is
        smsgw.modem.bringup, loaded for each start and forgotten after it).

        Raises:
            ModemError, ATTimeout, ATError: the modem is not usable (the supervisor escalates).
        """
        await self._on_use("bringup", "start")
        if self._task is None:
            self._task = asyncio.create_task(self._reader_worker())

    async def stop(self):
        """Cancel the incoming worker (the AT channel is stopped by its owner)."""
        t, self._task = self._task, None
        await cancel_and_wait(t)

    # -- queries ---------------------------------------------------------------------------
    async def probe(self):
        """`AT` -> True. Raises ATTimeout/ATError when the modem does not answer OK.

        An echo seen since `start()` means the modem rebooted without a RDY (SIM800 in autobaud
        mode prints no boot URCs, docs/SIMCOM-AT.md §2.1): that is reported like RDY ("reboot").
        """
        await self.at.cmd(b"AT", self.cfg.get("probe_ms", 1000))
        if self.status["ready"] and self.at.counters["echoes"] > self._echo_mark:
            self._rare("rebooted", "echo")
        elif self._news:  # rare lines a heap shortage held back: their turn now
            self.news_due()
        return True

    async def signal(self):
        """`AT+CSQ` -> (rssi, ber); 99 = unknown. dBm ~ -113 + 2 * rssi."""
        return await self._on_use("info", "signal")

    async def battery(self):
        """`AT+CBC` -> supply voltage in mV (SIM800 `+CBC: 0,85,4050`, SIM7600 `+CBC: 3.591V`)."""
        return await self._on_use("info", "battery")

    async def registration(self):
        """Best registration <stat> over the profile's CREG/CGREG/CEREG (1 home, 5 roaming)."""
        return await self._on_use("info", "registration")

    async def ussd(self, code, timeout_ms=None):
        """Send a USSD request; returns (m, text, dcs) from the `+CUSD:` answer.

        Raises:
            ATTimeout: no `+CUSD:` in time; ATError: the request was refused.
        """
        return await self._on_use("ussd", "request", code, timeout_ms)

    async def _on_use(self, mod, fn, *args):
        # What the driver runs rarely lives in modules loaded for the call and forgotten after
        # it: the bring-up (bringup), the state queries (info), USSD (ussd), the sweep (sweep).
        name = "smsgw.modem." + mod
        try:
            return await getattr(__import__(name, None, None, [fn]), fn)(self, *args)
        finally:
            forget(name)

    # -- SMS -------------------------------------------------------------------------------
    async def send_pdu(self, hex_pdu, tpdu_len):
        """AT+CMGS=<tpdu_len>, prompt, PDU + Ctrl-Z -> TP-MR (int).

        Raises:
            ATError (kind "CMS" with the network cause, or "REBOOT" when the modem rebooted
            mid-send: the part may or may not have left), ATTimeout (prompt lost -> ESC sent,
            or no `+CMGS:` within the CMGS timeout: outcome unknown).
        """
        p = self.profile
        try:
            lines = await self.at.cmd(
                b"AT+CMGS=%d" % tpdu_len,
                self._ms("cmgs_timeout_ms", p.cmgs_timeout_ms),
                data=hex_pdu,
                prompt_ms=self._ms("prompt_ms", p.prompt_ms),
            )
        except (ATError, ATTimeout):
            self.counters["send_errors"] += 1
            raise
        for line in lines:
            if line.startswith("+CMGS:"):
                try:
                    mr = int(line[6:].split(",")[0])
                except ValueError:  # a mangled TP-MR: unparsable like no +CMGS at all
                    break
                self.counters["sent"] += 1
                return mr
        self.counters["send_errors"] += 1
        raise ATError("AT+CMGS=%d" % tpdu_len, "PARSE")

    async def read_pdu(self, i):
        """AT+CMGR=<i> -> hex PDU (with SMSC field), or None for an empty slot."""
        lines = await self.at.cmd(b"AT+CMGR=%d" % i, 5000)
        for k in range(len(lines) - 1):
            if lines[k].startswith("+CMGR:"):
                return lines[k + 1]
        return None

    async def delete(self, i):
        """AT+CMGD=<i>: delete one stored message (after the consumer stored it durably)."""
        await self.at.cmd(b"AT+CMGD=%d" % i, 5000)

    def ring(self, kind):
        """Where an item of `kind` goes: "sms" -> incoming (the inbox), "report" -> reports."""
        return self.incoming if kind == "sms" else self.reports

    async def sweep(self):
        """Push every stored SMS to `incoming` and report to `reports` (safety net for lost URCs,
        full storage; smsgw.modem.sweep, loaded for each sweep). Waits for room (the messages
        stay in storage meanwhile). Returns the number pushed; duplicates of earlier pushes are
        expected (the consumer dedups)."""
        return await self._on_use("sweep", "sweep")

    async def _reader_worker(self):
        # Reads the stored messages announced by +CMTI/+CDSI, one at a time.
        while True:
            while not self._pending:
                self._pending_ev.clear()
                await self._pending_ev.wait()
            kind, i = self._pending.pop(0)
            try:
                h = await self.read_pdu(i)
                if h is not None:
                    k = pdu_kind(h) or kind
                    await self.ring(k).put((k, i, h))
            except (ATError, ATTimeout, MemoryError):  # MemoryError: no heap for the answer or
                h = None  # the ring's entry (it ended this task, and the board reset)
            if h is None:
                self.counters["read_errors"] += 1  # still in storage: the next sweep gets it
                continue
            self.counters["received" if k == "sms" else "reports"] += 1

