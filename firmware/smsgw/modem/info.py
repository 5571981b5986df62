# The modem's state queries (smsgw.modem.modem.Modem.signal / battery / registration): signal
# quality (AT+CSQ), supply voltage (AT+CBC, both models' formats), network registration
# (the profile's CREG/CGREG/CEREG). Loaded for a query and forgotten after it: the bring-up and
# GET /device ask; /health shows what they left in the modem's status.
from smsgw.errors import ATError
from smsgw.modem.urc import reg_stat


async def signal(m):
    """Modem.signal for the modem `m`: `AT+CSQ` -> (rssi, ber), m.status["rssi"] kept."""
    for line in await m.at.cmd(b"AT+CSQ"):
        if line.startswith("+CSQ:"):
            try:
                r, b = line[5:].split(",")
                r, b = int(r), int(b)
            except ValueError:
                break
            m.status["rssi"] = r
            return (r, b)
    raise ATError("AT+CSQ", "PARSE")


async def battery(m):
    """Modem.battery for the modem `m`: `AT+CBC` -> mV."""
    for line in await m.at.cmd(b"AT+CBC"):
        if line.startswith("+CBC:"):
            v = line[5:].strip()
            try:
                if m.profile.cbc == "volts" or v.endswith("V"):
                    return int(float(v.rstrip("V")) * 1000 + 0.5)
                return int(v.split(",")[2])
            except (ValueError, IndexError, OverflowError):  # OverflowError: "infV"
                break
    raise ATError("AT+CBC", "PARSE")


async def registration(m):
    """Modem.registration for the modem `m`: the best <stat>, also kept in m.status."""
    best = None
    for c in m.profile.reg_cmds:
        try:
            lines = await m.at.cmd(c)
        except ATError:
            continue  # e.g. no +CEREG on this firmware: the others still count
        for line in lines:
            stat = reg_stat(line, False)
            if stat is not None:
                m._reg[line[: line.find(":") + 1]] = stat
                if best is None or stat in (1, 5):
                    best = stat
        if best in (1, 5):
            break
    m._set_reg(best)
    return best
