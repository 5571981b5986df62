# The modem's storage sweep (smsgw.modem.modem.Modem.sweep): every stored SMS and status
# report pushed to the consumers, the safety net for lost +CMTI/+CDSI and a full SIM. Loaded for
# each sweep (the inbox asks every inbox.sweep_ms) and forgotten after it.
from micropython import const

from smsgw.modem.urc import pdu_kind

_SWEEP_MAX = const(255)  # indices one sweep handles (SIM stores hold 15..50; 255 = CMGL limit)


async def sweep(m):
    """Modem.sweep for the modem `m` (its docstring)."""
    # AT+CMGL=4 gives the indices (PDU lines are not kept: a full SIM would be ~50 x 350
    # bytes at once); each message is then read alone with AT+CMGR, waiting for room.
    found = []

    def index(line, _pdu):
        if line.startswith("+CMGL:") and len(found) < _SWEEP_MAX:
            try:
                found.append(int(line[6 : line.find(",")]))
            except ValueError:
                m.counters["skipped"] += 1

    await m.at.cmd(b"AT+CMGL=4", m._ms("list_ms", 25000), sink=index)
    n = 0
    for i in found:
        h = await m.read_pdu(i)
        kind = pdu_kind(h) if h else None
        if kind is None:
            continue  # emptied meanwhile, or our own stored SUBMIT
        await m.ring(kind).put((kind, i, h))
        n += 1
    m.counters["sweeps"] += 1
    return n
