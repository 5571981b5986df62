# The modem's rarer unsolicited lines (smsgw.modem.urc.UrcHandlers hands them here, loading
# this module for the line and forgetting it after): reboots (RDY, *ATREADY, or an echo the
# probe saw), power warnings and power-down, SIM state, "SMS Ready", USSD answers. Every
# function takes the Modem as `m`; none blocks (they run in the AT reader task).
from smsgw import forget


def urc(m, line):
    """A URC that is not a new message or a registration change."""
    if line.startswith("+CUSD:"):
        from smsgw.modem.ussd import parse_cusd

        try:
            m._ussd = parse_cusd(line)
        except ValueError:
            m._ussd = (None, line, None)
        m._ussd_ev.set()
        forget("smsgw.modem.ussd")  # also after an answer no request waits for
    elif line.startswith("+CPIN:"):
        m.status["sim"] = line[6:].strip()
    elif line in m.profile.reboot_urcs or line.startswith("*ATREADY"):
        rebooted(m, line)
    elif line in m.profile.sms_ready_urcs:
        m._sms_ready = True
    elif line.startswith("UNDER-VOLTAGE") or line.startswith("OVER-VOLTAGE"):
        m.status["power"] = line
        m.counters["under_voltage" if line[0] == "U" else "over_voltage"] += 1
        _notify(m, "under_voltage" if line[0] == "U" else "over_voltage", line)
        if line.endswith("POWER DOWN"):
            _down(m, "power_down", line)
    elif line == "NORMAL POWER DOWN":
        _down(m, "power_down", line)


def rebooted(m, line):
    """RDY (or A7670 *ATREADY, or an echo after start): the modem (re)booted; echo and
    settings are back to defaults."""
    m._sms_ready = False
    m._reg = {}
    if m.status["ready"]:
        m.counters["reboots"] += 1
        m.status["reboot_seen"] = True
        _down(m, "reboot", line)


def _down(m, name, line):
    m.status["ready"] = False
    m._set_reg(None)
    m.at.abort("REBOOT" if name == "reboot" else "POWER DOWN")
    _notify(m, name, line)


def _notify(m, name, detail):
    for fn in m.listeners:
        fn(name, detail)
