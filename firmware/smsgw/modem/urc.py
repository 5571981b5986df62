# The modem driver's URC side: parsers of answers and URCs (pdu_kind, reg_stat; +CUSD's is
# smsgw.modem.ussd's) and UrcHandlers, the part of smsgw.modem.modem.Modem that reacts to
# unsolicited lines: new messages (+CMTI/+CDSI indices, +CMT/+CDS PDUs) and registration
# changes here; the rarer ones (reboots, power warnings, SIM state, SMS ready, USSD answers) in
# smsgw.modem.news, loaded for such a line. Handlers run in the AT reader task: they never
# block (they enqueue, count or set an Event).
from smsgw import forget

from micropython import const

TYPE_CHECKING = const(False)
if TYPE_CHECKING:  # the type checker's view only (tools/typecheck.sh); never runs
    from asyncio import Event
    from typing import Callable

    from smsgw.modem.at import ATChannel
    from smsgw.modem.profiles import Profile
    from smsgw.modem.ring import Ring

_PENDING_MAX = const(16)  # +CMTI/+CDSI indices waiting to be read; beyond: left for the sweep
_NEWS_MAX = const(4)  # rare lines kept while no heap loads their code; beyond: the oldest goes


def pdu_kind(hex_pdu):
    """"sms" (SMS-DELIVER), "report" (SMS-STATUS-REPORT) or None (SUBMIT: our own sent copy).

    Looks only at TP-MTI (3GPP TS 23.040 9.2.3.1) after the SMSC field; a malformed PDU is
    "sms" so that the inbox sees (and can drop) it rather than it sitting in storage forever.
    """
    try:
        off = 2 + 2 * int(hex_pdu[0:2], 16)
        mti = int(hex_pdu[off : off + 2], 16) & 3
    except ValueError:
        return "sms"
    return "sms" if mti == 0 else "report" if mti == 2 else None


def reg_stat(line, urc):
    # `+CREG: n,stat[,..]` (answer) or `+CREG: stat[,..]` (URC) -> stat
    parts = line[line.find(":") + 1 :].split(",")
    try:
        return int(parts[0 if urc else 1])
    except (ValueError, IndexError):
        return None


class UrcHandlers:
    """Mixin of Modem: uses its at, profile, status, counters, ring(), listeners and the
    _pending/_pending_ev, _ussd/_ussd_ev, _sms_ready, _reg state that Modem.__init__ creates."""

    # What Modem provides, for the type checker (bare annotations: no code on MicroPython).
    at: "ATChannel"
    profile: "Profile"
    status: dict
    counters: dict
    listeners: list
    _pending: list
    _pending_ev: "Event"
    _ussd: "tuple | None"
    _ussd_ev: "Event"
    _sms_ready: bool
    _reg: dict
    _news: list
    ring: "Callable[[str], Ring]"

    # -- URCs ------------------------------------------------------------------------------
    def _on_urc(self, line, pdu):
        if line.startswith("+CMTI:") or line.startswith("+CDSI:"):
            if line.find('"SM"') < 0 and line.find(",") > 7:
                # another store than ours (e.g. "SR"): CMGR would read the wrong message
                self.counters["skipped"] += 1
                return
            try:
                i = int(line[line.rfind(",") + 1 :])
            except ValueError:
                i = -1
            if i < 0:  # `+CMTI: ,-1`: not stored anywhere (docs/SIMCOM-AT.md §10.11)
                self.counters["direct_lost"] += 1
            elif len(self._pending) >= _PENDING_MAX:
                self.counters["pending_overflow"] += 1  # left in storage for the next sweep
            else:
                self._pending.append(("sms" if line[2] == "M" else "report", i))
                self._pending_ev.set()
        elif line.startswith("+CMT:") or line.startswith("+CDS:"):
            kind = "sms" if line[2] == "M" else "report"
            if pdu is not None and self.ring(kind).put_nowait((kind, None, pdu)):
                self.counters["received" if kind == "sms" else "reports"] += 1
            else:
                self.counters["direct_lost"] += 1  # not stored by the modem: cannot re-read
        elif line.startswith("+CREG:") or line.startswith("+CGREG:") or line.startswith("+CEREG:"):
            stat = reg_stat(line, True)
            self._reg[line[: line.find(":") + 1]] = stat
            regd = [s for s in self._reg.values() if s in (1, 5)]
            self._set_reg(regd[0] if regd else stat)
        else:  # the modem's rarer news (reboot, power, SIM, SMS ready, USSD): loaded for it
            self._rare("urc", line)

    def _rare(self, fn, *args):
        # news.<fn>(self, *args), behind the lines still waiting for that code; only what is
        # still kept after trying (no heap yet) is held to the bound
        kept = self._news
        kept.append((fn, args))
        self.news_due()
        if len(kept) > _NEWS_MAX:
            kept.pop(0)
            self.counters["news_lost"] += 1

    def news_due(self):
        """Handle the rare lines kept so far, in their order, smsgw.modem.news loaded for each
        and forgotten after it. With no heap for that code (MemoryError) the rest waits for the
        next call (the next rare line, or Modem.probe): a reboot or an under-voltage warning
        met during a heap shortage is handled late, not lost."""
        while self._news:
            try:
                from smsgw.modem import news
            except MemoryError:
                self.counters["news_waits"] += 1
                return
            fn, args = self._news.pop(0)
            try:
                self.at.guarded(getattr(news, fn), self, *args)
            finally:
                del news
                forget("smsgw.modem.news")

    def _set_reg(self, stat):
        # also used by Modem.registration() (answers to AT+CREG? etc.)
        self.status["reg"] = stat
        self.status["registered"] = stat in (1, 5)
