"""Handlers of the SMS commands (27.005): mode, storage, indication, send, list, read, delete.

PDUs are decoded and built only with the firmware's codec (`smsgw.codec.pdu`) and
`smsgate.sim.pdu_mt`, which builds on it.
"""

from __future__ import annotations

import asyncio

from smsgate.sim import charset
from smsgate.sim.atparse import CmdError
from smsgate.sim.storage import STAT_TEXT, Slot
from smsgw.codec import pdu as codec
from smsgw.codec.submit import encode_submit
from smsgw.errors import PduError

MAX_PDU_OCTETS = 164  # the longest SMS-SUBMIT TPDU (23.040 §9.2.2.2 with 140 octets of UD)


def tpdu_len(pdu_hex: str) -> int:
    """TPDU octets of a PDU that starts with the SMSC field (what +CMGL/+CMT show)."""
    return len(pdu_hex) // 2 - 1 - int(pdu_hex[:2], 16)


def scts_text(iso: str | None) -> str:
    """'2026-11-25T21:00:45+01:00' -> '26/11/25,21:00:45+04' (zone in quarter hours)."""
    if not iso:
        return "00/01/01,00:00:00+00"
    date, clock = iso.split("T")
    hms, sign, zone = clock[:8], clock[8:9] or "+", clock[9:] or "00:00"
    quarters = (int(zone[:2]) * 60 + int(zone[3:5])) // 15
    return "%s,%s%s%02d" % (date[2:].replace("-", "/"), hms, sign, quarters)


def h_cmgf(m, c):
    if c.op == "=?":
        return ["+CMGF: (0,1)"]
    if c.op == "?":
        return ["+CMGF: %d" % m.cmgf]
    m.cmgf = c.int_arg(0, 0, (0, 1)) if c.op == "=" else 0
    return []


def h_csca(m, c):
    net = m.network
    if c.op == "?":
        if not net.smsc:
            return []
        return ['+CSCA: "%s",%d' % (charset.encode(net.smsc, m.cscs), net.smsc_type)]
    if c.op == "=":
        try:
            net.smsc = charset.decode(c.str_arg(0), m.cscs)
        except charset.CharsetError:
            raise CmdError() from None
        net.smsc_type = c.int_arg(1, 145 if net.smsc.startswith("+") else 129)
        return []
    if c.op == "=?":
        return []
    raise CmdError()


def h_csmp(m, c):
    if c.op == "?":
        return ["+CSMP: %d,%d,%d,%d" % m.csmp]
    if c.op == "=":
        m.csmp = tuple(c.int_arg(i, m.csmp[i]) for i in range(4))
        return []
    if c.op == "=?":
        return []
    raise CmdError()


def h_csdh(m, c):
    if c.op == "=?":
        return ["+CSDH: (0,1)"]
    if c.op == "?":
        return ["+CSDH: %d" % m.csdh]
    m.csdh = c.int_arg(0, 0, (0, 1)) if c.op == "=" else 0
    return []


def _cpms_counts(m, mems) -> str:
    return ",".join("%d,%d" % (m.stores[n].used, m.stores[n].capacity) for n in mems)


def h_cpms(m, c):
    lists = m.profile["cpms_lists"]
    if c.op == "=?":
        return ["+CPMS: " + ",".join("(%s)" % ",".join('"%s"' % n for n in ls) for ls in lists)]
    if c.op == "?":
        return ["+CPMS: " + ",".join(
            '"%s",%d,%d' % (n, m.stores[n].used, m.stores[n].capacity) for n in m.cpms)]
    if c.op != "=" or not 1 <= len(c.args) <= 3:
        raise CmdError()
    mems = list(m.cpms)
    for i, name in enumerate(c.args):
        name = (name or "").upper()
        if name not in lists[i]:
            raise CmdError("CMS", 302)
        mems[i] = name
    m.cpms = tuple(mems)
    return ["+CPMS: " + _cpms_counts(m, m.cpms)]


def h_cnmi(m, c):
    p = m.profile
    if c.op == "=?":
        return [p["cnmi_test"]]
    if c.op == "?":
        return ["+CNMI: %d,%d,%d,%d,%d" % tuple(m.cnmi)]
    if c.op != "=" or not 1 <= len(c.args) <= 5:
        raise CmdError()
    vals = list(m.cnmi)
    for i, allowed in enumerate(p["cnmi_ranges"]):
        if i < len(c.args) and c.args[i] not in (None, ""):
            vals[i] = c.int_arg(i, choices=allowed)
    for field, value, modes in p["cnmi_rules"]:
        if vals[field] == value and vals[0] not in modes:
            raise CmdError("CMS", 303)
    m.cnmi = tuple(vals)
    return []


def h_cmgs(m, c):
    if c.op == "=?":
        return []
    if c.op != "=":
        raise CmdError()
    if m.cmgf == 0:
        n = c.int_arg(0)
        if not 7 <= n <= MAX_PDU_OCTETS:
            raise CmdError("CMS", 304)
        return m.enter_prompt("pdu", n)
    try:
        number = charset.decode(c.str_arg(0), m.cscs)
    except charset.CharsetError:
        raise CmdError("CMS", 305) from None
    return m.enter_prompt("text", number)


def _decode_submit(m, length: int, data: bytes) -> tuple[str, dict]:
    hexpdu = "".join(data.decode("latin-1").split()).upper()
    try:
        raw = bytes.fromhex(hexpdu)
        if not raw or len(raw) - 1 - raw[0] != length:
            raise CmdError("CMS", 304)
        decoded = codec.decode(hexpdu, smsc=True)
    except (ValueError, PduError):
        raise CmdError("CMS", 304) from None
    if decoded.get("type") != "submit":
        raise CmdError("CMS", 304)
    if raw[0] == 0 and not m.network.smsc:
        raise CmdError("CMS", 330)
    return hexpdu, decoded


def _text_pdus(m, number: str, data: bytes) -> list[tuple[str, dict]]:
    fo, vp, pid, dcs = m.csmp
    try:
        text = charset.decode(data.decode("latin-1"), m.cscs, ucs2_body=(dcs & 0x0C) == 0x08)
    except charset.CharsetError:
        raise CmdError("CMS", 305) from None
    m.network.concat_ref = ref = (m.network.concat_ref + 1) % 256
    try:
        _, parts = encode_submit(number, text, srr=bool(fo & 0x20), ref=ref)
    except (ValueError, PduError):
        raise CmdError("CMS", 305) from None
    return [(h, codec.decode(h, smsc=True)) for h, _ in parts]


async def submit(m, kind: str, arg, data: bytes) -> list[str] | None:
    """Ctrl-Z at the prompt: validate, then send (CMGS) or store (CMGW); the info lines.

    Returns None when a fault rebooted the modem meanwhile (no answer at all).
    """
    if kind == "pdu":
        pdus = [_decode_submit(m, arg, data)]
    elif kind == "text":
        pdus = _text_pdus(m, arg, data)
    else:
        return _write(m, kind, arg, data)
    mr = await _on_air(m, pdus)
    return None if mr is None else ["+CMGS: %d" % mr]


async def _on_air(m, pdus: list[tuple[str, dict]]) -> int | None:
    """Faults, registration, latency, then record each part; the last TP-MR (None: rebooted)."""
    boom, sent_first = m.faults.take_reboot_cmgs()
    if boom and not sent_first:
        m.reboot()
        return None
    if m.faults.take("cms_error"):
        raise CmdError("CMS", m.faults.cms_code)
    if m.registered not in (1, 5):
        raise CmdError("CMS", 331)
    await asyncio.sleep(m.network.send_latency_s)
    mr = 0
    for hexpdu, decoded in pdus:
        mr = m.next_mr()
        m.network.record_submit(hexpdu, decoded, mr)
    if boom:
        m.reboot()
        return None
    return mr


def _write(m, kind: str, arg, data: bytes) -> list[str]:
    """AT+CMGW: store an SMS-SUBMIT in <mem2>; `+CMGW: <index>`."""
    length_or_number, stat = arg
    if kind == "wpdu":
        hexpdu, _ = _decode_submit(m, length_or_number, data)
    else:
        pdus = _text_pdus(m, length_or_number, data)
        if len(pdus) != 1:
            raise CmdError("CMS", 305)  # text mode stores one SMS
        hexpdu = pdus[0][0]
    index = m.stores[m.cpms[1]].put(Slot(stat, hexpdu, 0, "sms"))
    if index is None:
        raise CmdError("CMS", 322)
    return ["+CMGW: %d" % index]


def h_cmgw(m, c):
    if c.op == "=?":
        return []
    if m.stores[m.cpms[1]].full():
        raise CmdError("CMS", 322)
    if m.cmgf == 0:
        n = c.int_arg(0)
        if not 7 <= n <= MAX_PDU_OCTETS:
            raise CmdError("CMS", 304)
        return m.enter_prompt("wpdu", (n, c.int_arg(1, 2, (0, 1, 2, 3))))
    try:
        number = charset.decode(c.str_arg(0, ""), m.cscs) if c.op == "=" else ""
    except charset.CharsetError:
        raise CmdError("CMS", 305) from None
    stat = 2
    if len(c.args) > 2 and c.args[2]:
        if c.args[2].upper() not in STAT_TEXT[:4]:
            raise CmdError()
        stat = STAT_TEXT.index(c.args[2].upper())
    return m.enter_prompt("wtext", (number, stat))


async def h_cmss(m, c):
    """AT+CMSS=<index>[,"<da>"]: send a stored SMS-SUBMIT; `+CMSS: <mr>`."""
    if c.op == "=?":
        return []
    if c.op != "=":
        raise CmdError()
    store = m.stores[m.cpms[1]]
    slot = store.slots.get(c.int_arg(0))
    if slot is None:
        raise CmdError("CMS", 321)
    hexpdu = slot.pdu
    decoded = codec.decode(hexpdu, smsc=True)
    if decoded.get("type") != "submit":
        raise CmdError("CMS", 302)
    if len(c.args) > 1 and c.args[1]:
        try:
            da = charset.decode(c.args[1], m.cscs)
            srr = decoded.get("srr", False)
            hexpdu = encode_submit(da, decoded["text"], srr=srr)[1][0][0]
        except (ValueError, PduError, charset.CharsetError):
            raise CmdError("CMS", 304) from None
        decoded = codec.decode(hexpdu, smsc=True)
    mr = await _on_air(m, [(hexpdu, decoded)])
    if mr is None:
        from smsgate.sim.atparse import PROMPT

        return PROMPT  # rebooted: no answer at all
    slot.stat = 3
    return ["+CMSS: %d" % mr]


# ---- reading ---------------------------------------------------------------------------------
def _entry_lines(m, verb: str, index: int | None, slot: Slot) -> list[str]:
    """The `+CMGL:` / `+CMGR:` header and body for one stored message."""
    lead = "" if index is None else "%d," % index
    if m.cmgf == 0:
        return ['%s: %s%d,"",%d' % (verb, lead, slot.stat, tpdu_len(slot.pdu)), slot.pdu]
    d = codec.decode(slot.pdu, smsc=True)
    st = '"%s"' % STAT_TEXT[slot.stat]
    if slot.kind == "report":
        return ['%s: %s%s,6,%d,"%s",145,"%s","%s",%d' % (
            verb, lead, st, d["mr"], d["number"], scts_text(d.get("scts")),
            scts_text(d.get("discharge")), d["status"])]
    oa = charset.encode(d["number"], m.cscs)
    if d["type"] == "submit":  # stored with CMGW: <da>,<alpha> and no time stamp
        head = '%s: %s%s,"%s",""' % (verb, lead, st, oa)
    else:
        head = '%s: %s%s,"%s","","%s"' % (verb, lead, st, oa, scts_text(d.get("scts")))
    body = d["text"]
    if d.get("encoding") == "ucs2" and m.cscs in ("GSM", "IRA"):
        body = charset.encode(body, "UCS2")
    else:
        body = charset.encode(body, m.cscs)
    if m.csdh:
        head += ",%d,%d,%d,%d,\"%s\",145,%d" % (
            145 if d["number"].startswith("+") else 129, 0x04, d.get("pid", 0), d.get("dcs", 0),
            m.network.smsc, len(d["text"]))
    return [head, body]


def _stat_arg(m, c, i: int, default: int) -> int:
    if i >= len(c.args) or c.args[i] in (None, ""):
        return default
    if m.cmgf == 0:
        return c.int_arg(i, choices=(0, 1, 2, 3, 4))
    name = c.args[i].upper()
    if name not in STAT_TEXT:
        raise CmdError()
    return STAT_TEXT.index(name)


def h_cmgl(m, c):
    if c.op == "=?":
        if m.cmgf == 0:
            return ["+CMGL: (0-4)"]
        return ["+CMGL: (%s)" % ",".join('"%s"' % s for s in STAT_TEXT)]
    if c.op not in ("=", ""):
        raise CmdError()
    want = _stat_arg(m, c, 0, 0)
    keep = c.int_arg(1, 0, (0, 1))
    store = m.stores[m.cpms[0]]
    blocks = []
    for i in sorted(store.slots):
        slot = store.slots[i]
        if want != 4 and slot.stat != want:
            continue
        blocks.append("\r\n".join(_entry_lines(m, "+CMGL", i, slot)))
        if slot.stat == 0 and not keep:
            slot.stat = 1
    return blocks


def h_cmgr(m, c):
    if c.op == "=?":
        return []
    if c.op != "=":
        raise CmdError()
    store = m.stores[m.cpms[0]]
    index = c.int_arg(0)
    if not store.valid(index):
        raise CmdError("CMS", 321)
    slot = store.slots.get(index)
    if slot is None:
        return []  # SIM800/SIM7600: an empty slot answers a bare OK
    lines = _entry_lines(m, "+CMGR", None, slot)
    if slot.stat == 0 and not c.int_arg(1, 0, (0, 1)):
        slot.stat = 1
    return ["\r\n".join(lines)]


def h_cmgd(m, c):
    if c.op == "=?":
        store = m.stores[m.cpms[0]]
        return ["+CMGD: (%s),(0-4)" % ",".join(str(i) for i in sorted(store.slots))]
    if c.op != "=":
        raise CmdError()
    store = m.stores[m.cpms[0]]
    flag = c.int_arg(1, 0, (0, 1, 2, 3, 4))
    if not c.args or c.args[0] in (None, ""):
        if flag == 0 or not m.profile["cmgd_empty_index"]:
            raise CmdError()
    else:
        index = c.int_arg(0)
        if flag == 0:
            if not store.valid(index):
                raise CmdError("CMS", 321)
            store.slots.pop(index, None)
    if flag:
        store.delete_flag(flag)
    m.network.pump()
    return []


CMGDA_TEXT = {"DEL READ": 1, "DEL UNREAD": 2, "DEL SENT": 3, "DEL UNSENT": 4, "DEL INBOX": 5,
              "DEL ALL": 6}
CMGDA_STATS = {1: (1,), 2: (0,), 3: (3,), 4: (2,), 5: (0, 1), 6: (0, 1, 2, 3)}


def h_cmgda(m, c):
    if c.op == "=?":
        return ["+CMGDA: (1-6)"] if m.cmgf == 0 else ['+CMGDA: ("%s")' % '","'.join(CMGDA_TEXT)]
    if c.op != "=":
        raise CmdError()
    if m.cmgf == 0:
        kind = c.int_arg(0, choices=tuple(CMGDA_STATS))
    else:
        kind = CMGDA_TEXT.get(c.str_arg(0).upper())
        if kind is None:
            raise CmdError()
    store = m.stores[m.cpms[0]]
    for i in [i for i, s in store.slots.items() if s.stat in CMGDA_STATS[kind]]:
        del store.slots[i]
    m.network.pump()
    return []


def h_cmms(m, c):
    if c.op == "?":
        return ["+CMMS: %d" % m.cmms]
    if c.op == "=?":
        return ["+CMMS: (0-2)"]
    m.cmms = c.int_arg(0, 0, (0, 1, 2))
    return []


def h_csms(m, c):
    if c.op == "?":
        return ["+CSMS: %d,1,1,1" % m.csms]
    if c.op == "=?":
        return ["+CSMS: (0,1)"]
    m.csms = c.int_arg(0, choices=(0, 1))
    return ["+CSMS: 1,1,1"]


def h_cnma(m, c):
    if c.op == "=?":
        return ["+CNMA: (0-2)"] if m.cmgf == 0 else []
    if m.csms != 1 or not m.network.ack():
        raise CmdError("CMS", 340)
    return []


SMS_HANDLERS = {
    "+CMGF": h_cmgf, "+CSCA": h_csca, "+CSMP": h_csmp, "+CSDH": h_csdh, "+CPMS": h_cpms,
    "+CNMI": h_cnmi, "+CMGS": h_cmgs, "+CMGL": h_cmgl, "+CMGR": h_cmgr, "+CMGD": h_cmgd,
    "+CMGDA": h_cmgda, "+CMMS": h_cmms, "+CSMS": h_csms, "+CNMA": h_cnma, "+CMGW": h_cmgw,
    "+CMSS": h_cmss,
}
