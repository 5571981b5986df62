"""Handlers of the general (non-SMS) commands: V.250 basics, identity, SIM, network, power.

A handler takes `(modem, cmd)` and returns the info lines (or an awaitable of them); it raises
`CmdError` for a failure. `HANDLERS` merges this table with the SMS table of `sms.py`.
"""

from __future__ import annotations

import time

from smsgate.sim import charset
from smsgate.sim.atparse import CmdError

SETTINGS = ("echo", "verbose", "cmee", "cmgf", "cnmi", "cscs", "ipr", "creg", "cgreg", "cereg",
            "csdh", "csmp", "clip", "crc", "cmms", "csms", "cpms", "csclk", "clts", "ctzu", "ctzr")
IPR_RATES = (0, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)


def _flag(m, c, attr, choices=(0, 1)):
    """The common `AT+X=<n>` / `AT+X?` / `AT+X=?` setting."""
    if c.op == "=":
        setattr(m, attr, c.int_arg(0, choices=choices))
        return []
    if c.op == "?":
        return ["%s: %d" % (c.name, getattr(m, attr))]
    if c.op == "=?":
        return ["%s: (%d-%d)" % (c.name, choices[0], choices[-1])]
    raise CmdError()


def h_echo(m, c):
    m.echo = c.int_arg(0, 0, (0, 1)) if c.raw else 0
    return []


def h_ok(m, c):
    return []


def h_v(m, c):
    m.verbose = c.int_arg(0, 0, (0, 1)) if c.raw else 0
    return []


def h_ati(m, c):
    return m.profile["identity"]["ATI"].split("\r\n")


def _ident(key):
    def handler(m, c):
        if c.op == "=?":
            return []
        if c.op:
            raise CmdError()
        return [m.profile["identity"][key]]

    return handler


def h_iccid(m, c):
    return [m.profile["iccid_prefix"] + m.profile["identity"]["ICCID"]]


def h_z(m, c):
    for k in SETTINGS:
        setattr(m, k, m.saved[k])
    return []


def h_factory(m, c):
    for k, v in m.profile["defaults"].items():
        if k != "ipr":
            setattr(m, k, v)
    return []


def h_save(m, c):
    m.saved = {k: getattr(m, k) for k in SETTINGS}
    return []


def h_cmee(m, c):
    return _flag(m, c, "cmee", (0, 1, 2))


def h_cfun(m, c):
    if c.op == "?":
        return ["+CFUN: %d" % m.cfun]
    if c.op == "=?":
        return ["+CFUN: (0,1,4),(0,1)"]
    if c.op != "=":
        raise CmdError()
    fun = c.int_arg(0, choices=(0, 1, 4))
    rst = c.int_arg(1, 0, (0, 1))
    if rst:
        if fun != 1:
            raise CmdError()
        m.final("OK")
        m.reboot()
        return []
    if fun != m.cfun:
        m.cfun = fun
        if fun == 0:
            m.urc("+CPIN: NOT READY")  # SIM800 prints it before the OK (T-Call #167)
        m.network.refresh()
    return []


def h_creset(m, c):
    m.final("OK")
    m.reboot()
    return []


def h_cpowd(m, c):
    mode = c.int_arg(0, 1, (0, 1))
    m.power_off("NORMAL POWER DOWN" if mode == 1 else None)
    return []


def h_cpof(m, c):
    m.final("OK")
    m.power_off()
    return []


def h_cpin(m, c):
    if c.op == "=?":
        return []
    if not m.sim_ready:
        raise CmdError("CME", 14)
    if c.op == "?":
        return ["+CPIN: %s" % m.sim_state]
    if c.op != "=":
        raise CmdError()
    code = c.str_arg(0)
    if m.sim_state == "READY":
        raise CmdError("CME", 3)
    if m.sim_state == "SIM PUK":
        if code != "12345678" or len(c.args) < 2:
            raise CmdError("CME", 16)
        m.pin = c.str_arg(1)
    elif code != m.pin:
        m.pin_attempts -= 1
        if m.pin_attempts <= 0:
            m.sim_state = "SIM PUK"
            m.urc("+CPIN: SIM PUK")
        raise CmdError("CME", 16)
    m.sim_state = "READY"
    m.pin_attempts = 3
    m.spawn(m.after_pin(), boot_scoped=True)
    return []


def h_csq(m, c):
    if c.op == "=?":
        return ["+CSQ: (0-31,99),(0-7,99)"]
    if m.registered in (1, 5):
        return ["+CSQ: %d,0" % m.network.rssi]
    return ["+CSQ: %d,%d" % m.profile["csq_unregistered"]]


def _reg(name, attr):
    def handler(m, c):
        if c.op == "=":
            setattr(m, attr, c.int_arg(0, choices=(0, 1, 2)))
            return []
        if c.op == "=?":
            return ["%s: (0-2)" % name]
        if c.op != "?":
            raise CmdError()
        return ["%s: %d,%s" % (name, getattr(m, attr), m.network.reg_fields(getattr(m, attr)))]

    return handler


def h_cgatt(m, c):
    if c.op == "?":
        return ["+CGATT: %d" % (1 if m.registered in (1, 5) else 0)]
    if c.op == "=?":
        return ["+CGATT: (0,1)"]
    if c.op == "=":
        c.int_arg(0, choices=(0, 1))
        return []
    raise CmdError()


def h_cops(m, c):
    net = m.network
    if c.op == "=?":
        return ['+COPS: (2,"%s","%s","%s"),,(0-4),(0-2)' % (net.operator, net.operator, net.plmn)]
    if c.op == "=":
        mode = c.int_arg(0, choices=(0, 1, 2, 3, 4))
        if mode == 3:
            net.cops_format = c.int_arg(1, choices=(0, 1, 2))
        return []
    if c.op != "?":
        raise CmdError()
    if m.registered not in (1, 5):
        return ["+COPS: 0"]
    name = net.plmn if net.cops_format == 2 else net.operator
    return ['+COPS: 0,%d,"%s"%s' % (net.cops_format, name, m.profile["cops_act"])]


def h_cpsi(m, c):
    if c.op != "?":
        raise CmdError()
    if m.registered not in (1, 5):
        return ["+CPSI: NO SERVICE,Online"]
    return ["+CPSI: LTE,Online,%s-%s,0x1A2B,12345678,291,EUTRAN-BAND3,1300,5,5,-94,-950,-650,15"
            % (m.network.plmn[:3], m.network.plmn[3:])]


def h_cnsmod(m, c):
    if c.op == "?":
        return ["+CNSMOD: 0,%d" % (8 if m.registered in (1, 5) else 0)]
    if c.op == "=":
        return []
    raise CmdError()


def h_cbc(m, c):
    mv = m.network.voltage_mv
    pct = max(0, min(100, (mv - 3400) * 100 // 800))
    return [m.profile["cbc"].format(pct=pct, mv=mv, volts="%.3f" % (mv / 1000.0))]


def h_cclk(m, c):
    if c.op == "=":
        from smsgate.sim.network import parse_clock

        try:
            parse_clock(c.str_arg(0))
        except ValueError:
            raise CmdError() from None
        m.cclk_set = c.str_arg(0)
        m.cclk_set_at = time.monotonic()
        return []
    if c.op != "?":
        raise CmdError()
    return ['+CCLK: "%s"' % m.network.clock()]


def h_clts(m, c):
    """SIM800 AT+CLTS: take the network's time (NITZ) at the next registration; saved by &W."""
    return _flag(m, c, "clts")


def h_ctzu(m, c):
    """SIM7600 AT+CTZU: automatic time/zone update from NITZ (kept across reboots at once)."""
    out = _flag(m, c, "ctzu")
    if c.op == "=":
        m.saved["ctzu"] = m.ctzu
    return out


def h_ctzr(m, c):
    """AT+CTZR (27.007 8.41): +CTZV: <tz> URC when the network sends its time zone."""
    return _flag(m, c, "ctzr")


def h_clip(m, c):
    if c.op == "?":
        return ["+CLIP: %d,1" % m.clip]
    return _flag(m, c, "clip")


def h_crc(m, c):
    return _flag(m, c, "crc")


def h_cpbs(m, c):
    if c.op == "=?":
        return ['+CPBS: ("SM","ME","ON","DC","MC","RC")']
    if c.op == "=":
        if c.str_arg(0) not in ("SM", "ME", "ON", "DC", "MC", "RC"):
            raise CmdError("CME", 3)
        m.cpbs = c.str_arg(0)
        return []
    if c.op == "?":
        return ['+CPBS: "%s",0,250' % getattr(m, "cpbs", "SM")]
    raise CmdError()


def h_cscs(m, c):
    names = m.profile["cscs_list"]
    if c.op == "=?":
        return ["+CSCS: (%s)" % ",".join('"%s"' % n for n in names)]
    if c.op == "?":
        return ['+CSCS: "%s"' % m.cscs]
    if c.op == "=" and c.str_arg(0).upper() in names:
        m.cscs = c.str_arg(0).upper()
        return []
    raise CmdError()


def h_ipr(m, c):
    if c.op == "=?":
        return ["+IPR: (),(%s)" % ",".join(str(r) for r in IPR_RATES[1:])]
    if c.op == "?":
        return ["+IPR: %d" % m.ipr]
    if c.op == "=":
        m.ipr = c.int_arg(0, choices=IPR_RATES)
        return []
    raise CmdError()


def h_cusd(m, c):
    if c.op == "?":
        return ["+CUSD: %d" % getattr(m, "cusd_n", 0)]
    if c.op == "=?":
        return ["+CUSD: (0-2)"]
    if c.op != "=":
        raise CmdError()
    n = c.int_arg(0, 0, (0, 1, 2))
    m.cusd_n = 1 if n == 1 else 0
    if len(c.args) > 1 and n != 2:
        try:
            code = charset.decode(c.str_arg(1), m.cscs)
        except charset.CharsetError:
            raise CmdError() from None
        m.spawn(m.network.ussd(code), boot_scoped=True)
    return []


def h_cnum(m, c):
    """The SIM's own number (MSISDN) from --number."""
    if c.op == "=?":
        return []
    typ = 145 if m.number.startswith("+") else 129
    return ['+CNUM: "","%s",%d' % (charset.encode(m.number, m.cscs), typ)]


def h_csclk(m, c):
    return _flag(m, c, "csclk", m.profile["csclk_modes"])


def h_hangup(m, c):
    m.network.hangup(by_te=True)
    return []


def h_answer(m, c):
    if not m.network.answer():
        raise CmdError(final="NO CARRIER")
    return []


def h_accept(m, c):
    return []


HANDLERS = {
    "E": h_echo, "V": h_v, "Q": h_ok, "X": h_ok, "I": h_ati, "Z": h_z, "&F": h_factory,
    "&W": h_save, "H": h_hangup, "A": h_answer, "+CHUP": h_hangup,
    "+CGMI": _ident("CGMI"), "+GMI": _ident("CGMI"), "+CGMM": _ident("CGMM"),
    "+GMM": _ident("CGMM"), "+CGMR": _ident("CGMR"), "+GMR": _ident("CGMR"),
    "+CGSN": _ident("CGSN"), "+GSN": _ident("CGSN"), "+CIMI": _ident("CIMI"),
    "+CCID": h_iccid, "+CICCID": h_iccid,
    "+CMEE": h_cmee, "+CFUN": h_cfun, "+CRESET": h_creset, "+CPOWD": h_cpowd, "+CPOF": h_cpof,
    "+CPIN": h_cpin, "+CSQ": h_csq, "+CREG": _reg("+CREG", "creg"),
    "+CGREG": _reg("+CGREG", "cgreg"), "+CEREG": _reg("+CEREG", "cereg"), "+CGATT": h_cgatt,
    "+COPS": h_cops, "+CPSI": h_cpsi, "+CNSMOD": h_cnsmod, "+CBC": h_cbc, "+CCLK": h_cclk,
    "+CLTS": h_clts, "+CTZU": h_ctzu, "+CTZR": h_ctzr,
    "+CLIP": h_clip, "+CRC": h_crc, "+CPBS": h_cpbs, "+CSCS": h_cscs, "+IPR": h_ipr,
    "+CUSD": h_cusd, "+CSCLK": h_csclk, "+CNUM": h_cnum, "+CBATCHK": h_accept,
    "+CIURC": h_accept,
}


def _merge() -> dict:
    from smsgate.sim.sms import SMS_HANDLERS

    table = dict(HANDLERS)
    table.update(SMS_HANDLERS)
    return table


HANDLERS = _merge()
