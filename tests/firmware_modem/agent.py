# MicroPython side of tests/firmware_modem: the real boards.unix + AT engine + modem driver +
# supervisor against the simulator's pty, driven by JSON lines on stdin; one JSON reply line
# per request on stdout.   micropython agent.py <config.json>
# Requests: {"op": "wait_ready"|"status"|"send"|"incoming"|"reports"|"sweep"|"delete"|"ussd"|
#            "signal", "ms": timeout, ...}
import sys

sys.path.insert(0, "firmware")
sys.path.insert(0, "")

import asyncio  # noqa: E402
import json  # noqa: E402

from boards.unix import Board  # noqa: E402
from smsgw.modem import profiles  # noqa: E402
from smsgw.modem.at import ATChannel  # noqa: E402
from smsgw.errors import ATError, ATTimeout  # noqa: E402
from smsgw.modem.modem import Modem  # noqa: E402
from smsgw.modem.supervisor import Supervisor  # noqa: E402


def out(d):
    sys.stdout.write(json.dumps(d) + "\n")


class Agent:
    def __init__(self, config):
        self.board = Board(config)
        mcfg = config["modem"]
        self.at = ATChannel(self.board.open_modem())
        self.modem = Modem(self.at, profiles.get(mcfg["model"]), self.board, mcfg)
        self.sup = Supervisor(self.modem, self.board, mcfg)
        self.events = []
        self.modem.listeners.append(lambda n, d: self.events.append([n, d]))

    def status(self):
        st = dict(self.modem.status)
        st["supervisor"] = self.sup.counters
        st["at"] = self.at.counters
        st["ready_event"] = self.sup.ready.is_set()
        st["events"] = self.events
        st["incoming_len"] = len(self.modem.incoming)
        return st

    async def handle(self, req):
        op = req["op"]
        ms = req.get("ms", 5000)
        m = self.modem
        if op == "wait_ready":
            await asyncio.wait_for_ms(self.sup.ready.wait(), ms)
            return self.status()
        if op == "status":
            return self.status()
        if op == "send":
            return {"mr": await m.send_pdu(req["hex"], req["len"])}
        if op in ("incoming", "reports"):  # the inbox's ring, or the outbox's (reports)
            item = await asyncio.wait_for_ms(m.ring("sms" if op == "incoming" else "report")
                                             .get(), ms)
            return {"item": list(item)}
        if op == "sweep":
            return {"n": await m.sweep()}
        if op == "delete":
            await m.delete(req["index"])
            return {}
        if op == "ussd":
            return {"ussd": list(await m.ussd(req["code"], ms))}
        if op == "signal":
            return {"signal": list(await m.signal())}
        raise ValueError("unknown op %s" % op)

    async def serve(self):
        self.sup.start()
        inp = asyncio.StreamReader(sys.stdin.buffer)
        while True:
            line = await inp.readline()
            if not line:
                break
            req = json.loads(line)
            try:
                rep = await self.handle(req)
            except (ATError, ATTimeout) as e:
                rep = {"error": type(e).__name__, "kind": getattr(e, "kind", None),
                       "code": getattr(e, "code", None), "cmd": e.cmd}
            except asyncio.TimeoutError:
                rep = {"error": "TimeoutError"}
            rep["op"] = req["op"]
            out(rep)
        await self.sup.stop()
        await self.modem.stop()
        await self.at.stop()


with open(sys.argv[1]) as _f:  # a file: a long JSON argv crashed the unix port (NLR)
    _config = json.load(_f)
asyncio.run(Agent(_config).serve())
