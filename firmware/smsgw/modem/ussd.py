# USSD (3GPP TS 22.090) through the modem: AT+CUSD=1 and its +CUSD answer, which the URC
# handlers (smsgw.modem.urc) parse here. Loaded for a request (Modem.ussd) or an answer and
# forgotten after the request: most boards never send one.
import asyncio

from smsgw.errors import ATTimeout


async def request(m, code, timeout_ms=None):
    """Modem.ussd for the modem `m`: (m, text, dcs) of the `+CUSD:` answer."""
    m._ussd = None
    m._ussd_ev.clear()
    c = b'AT+CUSD=1,"%s",15' % code
    await m.at.cmd(c, 5000)
    if m._ussd is None:  # the URC may precede OK (docs/SIMCOM-AT.md §1.4): then here
        try:
            await asyncio.wait_for_ms(m._ussd_ev.wait(),
                                      timeout_ms or m._ms("ussd_ms", m.profile.ussd_ms))
        except asyncio.TimeoutError:
            raise ATTimeout(c.decode(), [])
    return m._ussd


def parse_cusd(line):
    """`+CUSD: m[,"text"[,dcs]]` with SIM800 (`0, "x", 15`) or 3GPP spacing -> (m, text, dcs)."""
    body = line[6:].strip()
    q1 = body.find('"')
    if q1 < 0:
        return (int(body.split(",")[0]), None, None)
    q2 = body.rfind('"')
    m = int(body[:q1].rstrip(" ,"))
    text = body[q1 + 1 : q2]
    rest = body[q2 + 1 :].strip(" ,")
    dcs = int(rest) if rest else None
    # 3GPP TS 23.038 5: coding group 01xx with bits 3-2 = 10 is UCS2 (72 = 0x48).
    if dcs is not None and dcs & 0xCC == 0x48 and len(text) % 4 == 0:
        try:
            text = ucs2_decode(text)
        except ValueError:
            pass  # not hex after all: the raw text is the best we have
    return (m, text, dcs)


def ucs2_decode(h):
    """UTF-16BE hex (surrogate pairs joined) -> str. Raises ValueError on bad hex."""
    out = []
    hi = 0
    for i in range(0, len(h) - 3, 4):
        u = int(h[i : i + 4], 16)
        if 0xD800 <= u < 0xDC00:
            hi = u
            continue
        if 0xDC00 <= u < 0xE000 and hi:
            u = 0x10000 + ((hi - 0xD800) << 10) + (u - 0xDC00)
        hi = 0
        out.append(chr(u))
    return "".join(out)
