# GET /device | /devices (imported on its first request, smsgw.net.api's lazy routes):
# android-sms-gateway's list of one Device (id, name, lastSeen, simCards) plus the modem: model,
# IMEI, operator, registration, signal, supply voltage, SIM ICCID, modem firmware, and the
# firmware version. Modem queries go through the AT channel (its lock and timeouts) only while
# the modem is ready; otherwise their fields are null. ICCID and revision are read once and
# kept in the modem's status (they do not change while the gateway runs), so this module is
# forgotten after each request like the other on-demand endpoints.
from smsgw.net.api import error, reply

_REG = {0: "not registered", 1: "home", 2: "searching", 3: "denied", 4: "unknown", 5: "roaming"}


async def _info(at, cmd, prefix=None):
    # First info line of `cmd` (without `prefix`), or None when the modem refuses or is silent.
    from smsgw.errors import SmsgateError

    try:
        lines = await at.cmd(cmd, 3000)
    except SmsgateError:
        return None
    for line in lines:
        if prefix is None or line.startswith(prefix):
            return line[len(prefix):].strip() if prefix else line.strip()
    return None


async def _once(m, key, cmds):
    v = m.status.get(key)
    if v is None:
        for cmd, prefix in cmds:
            v = await _info(m.at, cmd, prefix)
            if v:
                m.status[key] = v
                break
    return v


def _operator(line):
    # +COPS: 0,0,"Operator"[,act]  -> "Operator"
    if line is None or '"' not in line:
        return None
    return line.split('"')[1]


async def _modem_info(ctx):
    m = ctx.modem
    st = m.status
    out = {"model": st.get("model"), "imei": st.get("imei"), "operator": None,
           "registration": None, "signal": None, "batteryMv": None, "iccid": None,
           "modemFirmware": None}
    if not st.get("ready"):
        return out
    at = ctx.at
    from smsgw.errors import SmsgateError

    try:
        rssi, _ = await m.signal()
        out["signal"] = {"csq": rssi, "dBm": None if rssi == 99 else -113 + 2 * rssi}
        reg = await m.registration()
        out["registration"] = _REG.get(reg, reg)
        out["batteryMv"] = await m.battery()
    except SmsgateError:
        pass  # a field the modem did not answer stays null
    out["operator"] = _operator(await _info(at, b"AT+COPS?", "+COPS:"))
    iccid = await _once(m, "iccid", ((b"AT+CCID", None), (b"AT+CICCID", "+ICCID:")))
    out["iccid"] = iccid.rstrip("F") if iccid else None  # F: the SIM's padding nibble
    rev = await _once(m, "revision", ((b"AT+CGMR", None),))
    if rev and rev.startswith("Revision:"):
        rev = rev[9:]
    out["modemFirmware"] = rev
    return out


def _iso(clock):
    t = clock.now()
    return None if t is None else clock.iso(t)  # None: the clock is not set yet


async def device(ctx, request):
    """GET /device, /devices: the gateway as android-sms-gateway's one-device list."""
    if request.path.startswith("/devices/"):  # the client's remove_device
        return error(404, "removing a device is not supported: the gateway is its one device")
    from smsgw.net.ondemand import misrouted

    bad = misrouted(request, "GET", "/device", "/devices")
    if bad:
        return bad
    from smsgw import VERSION, call_loaded, clock

    mi = await _modem_info(ctx)
    d = {"id": call_loaded("smsgw.device", "current", ctx), "name": ctx.cfg["device"]["name"],
         "createdAt": None, "updatedAt": None, "lastSeen": _iso(clock),
         "simCards": [{"slotIndex": 0, "simNumber": 1, "phoneNumber": None,
                       "carrierName": mi["operator"], "iccid": mi["iccid"]}],
         "firmwareVersion": VERSION}
    d.update(mi)
    return reply([d])
