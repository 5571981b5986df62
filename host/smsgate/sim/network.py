"""The virtual network behind the modem: registration, sent messages, reports, inbound SMS,
USSD and calls. Inbound traffic waits at the "SMSC" (held) until the modem can take it.
"""

from __future__ import annotations

import asyncio
import time

from smsgate.sim.storage import Slot
from smsgw.codec import gsm7
from smsgw.codec import pdu as codec
from smsgate.sim import pdu_mt
from smsgw.codec import hexu
from smsgw.codec import tpfields as tf
from smsgw.codec.tpud import user_data_parts


class Network:
    """Network side of one simulated modem."""

    def __init__(self, modem) -> None:
        self.m = modem
        self.rssi = 20
        self.operator = "SimNet"
        self.plmn = "00101"  # 3GPP test network
        self.cops_format = 0
        self.smsc = "+15550000000"
        self.smsc_type = 145
        self.target_reg = 1
        self.tz_quarters = 0  # the network's time zone in NITZ (quarters of an hour east of UTC)
        self.sends_time = True  # the network sends its time (NITZ) at registration
        self.voltage_mv = 4050
        self.ussd_text = "Balance: 12.34 EUR"
        self.ussd_delay_s: float | None = None  # None: the profile's ussd_delay_s
        self.ussd_menu = False  # answer with m=1: the network waits for a reply (a menu)
        self.send_latency_s = 0.0
        self.report_delay_s = 0.0
        self.report_status = 0
        self.sent: list[dict] = []
        self._groups: dict[tuple, dict] = {}  # open (incomplete) groups by (to, ref, total)
        self.held: list[tuple[str, str]] = []  # (kind, pdu hex) waiting at the SMSC
        self.unacked: list[tuple[str, str]] = []  # +CMT/+CDS waiting for AT+CNMA (CSMS=1)
        self.call: dict | None = None
        self._ring_task: asyncio.Task | None = None
        self._ref = 0  # concatenation reference of inbound messages
        self.concat_ref = 0  # ... of messages the modem splits itself (text mode)
        self.counters = {"sms_sent": 0, "parts_sent": 0, "sms_delivered": 0, "reports": 0,
                         "reports_dropped": 0}

    # ---- registration ------------------------------------------------------------------------
    async def register_later(self) -> None:
        """After boot or PIN: search for a while, then take what the network offers."""
        self.m.searching = True
        self.refresh()
        await self.m.sleep(self.m.profile["reg_after_s"])
        self.m.searching = False
        self.refresh()

    def reg_fields(self, n: int, stat: int | None = None) -> str:
        stat = self.m.registered if stat is None else stat
        if n == 2 and stat in (1, 5):
            return '%d,"1A2B","3C4D"' % stat
        return "%d" % stat

    def set_target(self, stat: int) -> None:
        """What the network offers (control API, faults): 1 home, 5 roaming, 2 searching
        forever (e.g. 2G sunset), 3 denied, 0 none. Survives reboots of the modem."""
        if stat not in (0, 1, 2, 3, 4, 5):
            raise ValueError("registration stat must be 0..5")
        self.target_reg = stat
        self.refresh()

    def refresh(self) -> None:
        """Recompute the modem's registration; URCs as CREG/CGREG/CEREG n ask; release SMS.

        From SIM-ready until the boot-time search ends the modem answers 2 (searching), not 0:
        some client libraries give up on `+CREG: 0,0`.
        """
        m = self.m
        if m.stage != "up" or m.cfun != 1 or not m.sim_ready or m.sim_state != "READY":
            stat = 0
        elif m.searching and self.target_reg in (1, 5):
            stat = 2
        else:
            stat = self.target_reg
        if stat == m.registered:
            return
        was = m.registered
        m.registered = stat
        names = [("+CREG", m.creg), ("+CGREG", m.cgreg)]
        if m.profile["has_cereg"]:
            names.append(("+CEREG", m.cereg))
        for name, n in names:
            if n:
                m.urc("%s: %s" % (name, self.reg_fields(n, stat)))
        if stat in (1, 5) and was not in (1, 5):
            self.nitz()
        self.pump()

    def nitz(self) -> None:
        """The network's time at registration (NITZ): a modem told to take it (SIM800
        AT+CLTS=1, SIM7600 AT+CTZU=1) sets its clock and announces it (SIM800 *PSUTTZ + DST,
        SIM7600 +CTZV when AT+CTZR=1)."""
        m = self.m
        tz = self.tz_quarters
        if not self.sends_time:
            return
        if m.profile["nitz"] == "clts":
            if not m.clts:
                return
            m.nitz_at = time.monotonic()
            t = time.gmtime()
            m.urc('*PSUTTZ: %d,%d,%d,%d,%d,%d,"%+d",0' % (t[0], t[1], t[2], t[3], t[4], t[5], tz))
            m.urc("DST: 0")
            return
        if m.ctzu:
            m.nitz_at = time.monotonic()
        if m.ctzr:
            m.urc("+CTZV: %+03d" % tz)

    def registered(self) -> bool:
        return self.m.registered in (1, 5)

    def on_power_off(self) -> None:
        self.held[:0] = self.unacked  # never acknowledged: the SMSC still has them
        self.unacked.clear()
        if self._ring_task:
            self._ring_task.cancel()
        self.call = None

    # ---- outgoing ----------------------------------------------------------------------------
    def record_submit(self, hexpdu: str, d: dict, mr: int) -> None:
        """One submitted part: reassemble by concat reference, schedule its status report.

        A real network delivers every part it is given, so each group (one entry of /sent)
        is closed when its last part arrives, and a part whose (ref, seq) that group already
        has starts a new group: a reused reference (after completion, or a repeat while
        the group is open) is a new message, never a late repeat to drop.
        """
        self.counters["parts_sent"] += 1
        concat = (d.get("udh") or {}).get("concat")
        to = d.get("number", "")
        if concat and concat["total"] > 1:
            total, seq = concat["total"], concat["seq"]
            if not 1 <= seq <= total:
                raise ValueError("bad concatenation seq %r / total %r" % (seq, total))
            key = (to, concat["ref"], total)
            entry = self._groups.get(key)
            if entry is None or seq in entry["_seqs"]:
                entry = self._new_entry(to, d, total)
                self._groups[key] = entry
            entry["_seqs"].append(seq)
            entry["_texts"][seq - 1] = d.get("text", "")
            entry["text"] = "".join(t for t in entry["_texts"] if t is not None)
            if None not in entry["_texts"]:
                entry["complete"] = True
                self._groups.pop(key, None)
        else:
            entry = self._new_entry(to, d, 1)
            entry["text"] = d.get("text", "")
            entry["complete"] = True
        port = (d.get("udh") or {}).get("port")
        if port:  # a data SMS (8-bit to an application port): its bytes as hex, in part order
            entry["port"] = port["dst"]
        if d.get("text") is None and d.get("data") is not None:
            entry["data"] = entry.get("data", "") + d["data"]
        entry["parts"] += 1
        entry["mr"].append(mr)
        entry["pdus"].append(hexpdu)
        entry["srr"] = entry["srr"] or bool(d.get("srr"))
        if entry["complete"]:
            self.counters["sms_sent"] += 1
        if d.get("srr"):
            self.m.spawn(self._report_later(mr, to, self.report_delay_s, self.report_status))

    def _new_entry(self, to: str, d: dict, total: int) -> dict:
        entry = {"to": to, "text": "", "parts": 0, "total": total, "mr": [], "srr": False,
                 "pdus": [], "encoding": d.get("encoding"), "class": d.get("class"),
                 "complete": False, "_seqs": [], "_texts": [None] * total}
        self.sent.append(entry)
        return entry

    def sent_list(self) -> list[dict]:
        return [{k: v for k, v in e.items() if not k.startswith("_")} for e in self.sent]

    async def _report_later(self, mr: int, to: str, delay: float, status: int) -> None:
        await asyncio.sleep(delay)
        self.held.append(("report", pdu_mt.encode_status_report(mr, to, status=status)))
        self.pump()

    # ---- incoming ----------------------------------------------------------------------------
    def inject_sms(self, sender: str, text: str, cls: int | None = None,
                   encoding: str | None = None, alphanumeric: bool = False) -> int:
        """An SMS from `sender` arrives at the SMSC; returns the number of parts.

        `alphanumeric`: the sender is an alphanumeric ID (TON 5) even when it spells a number
        ("+1555000001"), as a bulk sender or a spoofer can set it.
        """
        self._ref = (self._ref + 1) % 256
        if cls is None and encoding in (None, "auto") and not alphanumeric:
            pdus = pdu_mt.encode_deliver(sender, text, ref=self._ref)
        else:
            pdus = _deliver_pdus(sender, text, self._ref, cls, encoding, alphanumeric)
        for p in pdus:
            self.held.append(("sms", p))
        self.pump()
        return len(pdus)

    def inject_data(self, sender: str, data_b64: str, port: int) -> int:
        """A data SMS (8-bit, to application `port`) from `sender`; returns the parts."""
        from smsgw.codec.data import data_parts

        self._ref = (self._ref + 1) % 256
        _, dcs, parts = data_parts(data_b64, port, self._ref)
        for p in _assemble(sender, dcs, parts):
            self.held.append(("sms", p))
        self.pump()
        return len(parts)

    def can_take(self) -> bool:
        m = self.m
        return m.powered and m.stage == "up" and m.sms_ready and self.registered()

    def pump(self) -> None:
        """Hand waiting messages to the modem while it can take them (storage free)."""
        while self.held and self.can_take():
            kind, hexpdu = self.held[0]
            ok = self._deliver_report(hexpdu) if kind == "report" else self._deliver_sms(hexpdu)
            if not ok:
                return  # storage full: the SMSC keeps it and retries when space is freed
            self.held.pop(0)

    def _deliver_sms(self, hexpdu: str) -> bool:
        m = self.m
        mode, mt = m.cnmi[0], m.cnmi[1]
        if mt == 2 and mode != 0:
            self._push("+CMT", hexpdu)
            self.counters["sms_delivered"] += 1
            return True
        store = m.stores[m.cpms[2]]
        index = store.put(Slot(0, hexpdu, 0, "sms"))
        if index is None:
            return False
        self.counters["sms_delivered"] += 1
        if mt in (1, 2, 3) and mode != 0:
            m.urc('+CMTI: "%s",%d' % (store.name, index))
        return True

    def _deliver_report(self, hexpdu: str) -> bool:
        m = self.m
        ds = m.cnmi[3]
        if ds == 1:
            self._push("+CDS", hexpdu)
        elif ds == 2 and "SR" in m.stores:
            index = m.stores["SR"].put(Slot(0, hexpdu, 0, "report"))
            if index is None:
                return False
            m.urc('+CDSI: "SR",%d' % index)
        else:
            self.counters["reports_dropped"] += 1
            return True
        self.counters["reports"] += 1
        return True

    def _push(self, name: str, hexpdu: str) -> None:
        """+CMT / +CDS routed to the TE (PDU or text form)."""
        from smsgate.sim.sms import _entry_lines, tpdu_len

        m = self.m
        if m.csms == 1:
            item = ("sms" if name == "+CMT" else "report", hexpdu)
            self.unacked.append(item)
            m.spawn(self._ack_timeout(item))
        if m.cmgf == 0:
            alpha = '"",' if name == "+CMT" else ""
            m.info("%s: %s%d\r\n%s" % (name, alpha, tpdu_len(hexpdu), hexpdu))
            return
        lines = _entry_lines(m, name, None, Slot(0, hexpdu, 0, "sms" if name == "+CMT" else
                                                 "report"))
        head = lines[0].replace('"REC UNREAD",', "", 1)
        m.info("\r\n".join([head] + lines[1:]).encode("latin-1", "replace").decode("latin-1"))

    def ack(self) -> bool:
        """AT+CNMA: acknowledge the oldest +CMT/+CDS; False when none is waiting."""
        if not self.unacked:
            return False
        self.unacked.pop(0)
        return True

    async def _ack_timeout(self, item: tuple[str, str]) -> None:
        """27.005 §3.4.4: no +CNMA in time -> RP-ERROR to the network, routing to the TE
        is switched off (<mt>, <ds> to 0) and the SMSC delivers the message again later."""
        m, p = self.m, self.m.profile
        await m.sleep(p["cnma_timeout_s"])
        if item not in self.unacked:
            return
        self.unacked.remove(item)
        mode, mt, bm, ds, bfr = m.cnmi
        m.cnmi = (mode, 0 if mt in (2, 3) else mt, bm, 0 if ds == 1 else ds, bfr)
        self.counters["cnma_timeouts"] = self.counters.get("cnma_timeouts", 0) + 1
        await m.sleep(p["smsc_retry_s"])
        self.held.append(item)
        self.pump()

    def fill_storage(self, name: str | None) -> None:
        """Fill a store with read filler messages (the `storage_full` fault)."""
        store = self.m.stores[name or self.m.cpms[2]]
        while not store.full():
            p = pdu_mt.encode_deliver("+15550000001", "filler %d" % store.used)[0]
            store.put(Slot(1, p, 0, "sms"))

    def storage(self) -> dict:
        out = self.m.stores.as_dict()
        for store in out.values():
            for msg in store["messages"]:
                d = codec.decode(msg["pdu"], smsc=True)
                msg.update({k: d.get(k) for k in ("number", "text", "status", "mr")})
        out["held"] = len(self.held)
        return out

    # ---- USSD, calls, clock ------------------------------------------------------------------
    async def ussd(self, code: str) -> None:
        m = self.m
        await m.sleep(m.profile["ussd_delay_s"] if self.ussd_delay_s is None
                      else self.ussd_delay_s)
        if not self.registered():
            m.urc("+CUSD: 4")
            return
        if m.cscs == "HEX" and m.profile["cusd_hex_fails"]:
            m.urc("+CUSD: 2")
            return
        text, dcs = self.ussd_text, 15
        if m.cscs == "UCS2":
            text, dcs = text.encode("utf-16-be").hex().upper(), 72
        m.urc(m.profile["cusd"].format(m=1 if self.ussd_menu else 0, text=text, dcs=dcs))

    def start_call(self, number: str) -> None:
        if self.call is not None:
            raise ValueError("a call is already in progress")
        self.call = {"from": number, "state": "ringing"}
        self._ring_task = self.m.spawn(self._ring(), boot_scoped=True)

    async def _ring(self) -> None:
        m, p = self.m, self.m.profile
        for _ in range(p["ring_max"]):
            if not self.call or self.call["state"] != "ringing":
                return
            m.urc("RING")
            if m.clip:
                num = self.call["from"]
                typ = 145 if num.startswith("+") else (129 if num else 128)
                m.urc(p["clip"].format(num=num, type=typ))
            await m.sleep(p["ring_interval_s"])
        self.hangup()

    def hangup(self, by_te: bool = False) -> bool:
        """End the call; the caller hanging up shows NO CARRIER."""
        if self.call is None:
            return False
        self.call = None
        if self._ring_task and self._ring_task is not asyncio.current_task():
            self._ring_task.cancel()
        if not by_te:
            self.m.urc("NO CARRIER")
        return True

    def answer(self) -> bool:
        if self.call and self.call["state"] == "ringing":
            self.call["state"] = "active"
            return True
        return False

    def clock(self) -> str:
        """`AT+CCLK?`: local time and zone (quarters): network time once NITZ was taken (or
        the last AT+CCLK=, whichever came later), else the model's start value."""
        m = self.m
        zone = 0
        set_at = getattr(m, "cclk_set_at", None) if getattr(m, "cclk_set", None) else None
        if m.nitz_at is not None and (set_at is None or m.nitz_at >= set_at):
            zone = self.tz_quarters
            base = time.time() + zone * 900
        elif set_at is not None:
            base = parse_clock(m.cclk_set) + (time.monotonic() - set_at)
        elif m.profile["cclk_start"] == "network" and self.registered() and self.sends_time:
            base = time.time()
        else:
            base = m.profile["cclk_unset"] + (time.monotonic() - m.boot_time)
        t = time.gmtime(base)
        return "%02d/%02d/%02d,%02d:%02d:%02d%+03d" % (t[0] % 100, t[1], t[2], t[3], t[4], t[5],
                                                       zone)


def parse_clock(text: str) -> float:
    """'yy/MM/dd,hh:mm:ss±zz' -> seconds since the epoch (the zone is ignored).

    Raises:
        ValueError: not in that form.
    """
    import calendar
    import re

    found = re.fullmatch(r"(\d\d)/(\d\d)/(\d\d),(\d\d):(\d\d):(\d\d)([+-]\d\d)?", text)
    if not found:
        raise ValueError("bad clock %r" % text)
    y, mo, d, h, mi, s = (int(x) for x in found.groups()[:6])
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 60):
        raise ValueError("bad clock %r" % text)
    return calendar.timegm((2000 + y, mo, d, h, mi, s, 0, 0, 0))


def _alphanumeric_address(sender: str) -> bytes:
    """TP-OA of TON 5 (23.040 9.1.2.5): GSM-7 packed, whatever characters `sender` has."""
    sept = gsm7.to_septets(sender)
    if sept is None or not 0 < len(sept) <= 11:
        raise ValueError("an alphanumeric sender is 1..11 GSM-7 characters")
    return bytes(((len(sept) * 7 + 3) // 4, 0xD0)) + gsm7.pack(sept)


def _deliver_pdus(sender: str, text: str, ref: int, cls: int | None, encoding: str | None,
                  alphanumeric: bool = False):
    """SMS-DELIVER PDUs with a message class, forced UCS-2 (23.038 §4 DCS 00xx) and/or an
    alphanumeric sender."""
    if encoding == "ucs2":
        units = gsm7.to_ucs2(text)
        runs = [units[i : i + 140] for i in range(0, len(units), 140)] or [b""]
        if len(runs) > 1:
            runs = [units[i : i + 134] for i in range(0, len(units), 134)]
        parts = []
        for seq, run in enumerate(runs, 1):
            udh = bytes((5, 0, 3, ref, len(runs), seq)) if len(runs) > 1 else b""
            parts.append((bool(udh), len(udh) + len(run), udh + run))
        dcs = 0x08
    elif encoding in (None, "auto", "gsm7"):
        _, dcs, parts = user_data_parts(text, ref)
    else:
        raise ValueError("encoding must be gsm7, ucs2 or auto")
    if cls is not None:
        if cls not in (0, 1, 2, 3):
            raise ValueError("class must be 0..3")
        dcs |= 0x10 | cls
    return _assemble(sender, dcs, parts, alphanumeric)


def _assemble(sender: str, dcs: int, parts, alphanumeric: bool = False) -> list[str]:
    head = tf.smsc_field(None)
    oa = _alphanumeric_address(sender) if alphanumeric else tf.address(sender)
    ts = pdu_mt._ts_octets(None)
    out = []
    for udhi, udl, ud in parts:
        fo = 0x04 | (0x40 if udhi else 0)
        out.append(hexu(head + bytes((fo,)) + oa + bytes((0, dcs)) + ts + bytes((udl,)) + ud))
    return out
