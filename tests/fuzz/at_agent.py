# The AT engine under fuzzed modem bytes, on the MicroPython unix port (driven by test_fuzz_at).
# Usage: micropython -X heapsize=2M tests/fuzz/at_agent.py   (run from the repository root)
# stdin: one JSON case per line {"op", "model", "arg", "script": hex, "chunk", "prompt"};
# stdout: one JSON verdict per case {"ok": outcome} or {"crash": "Type: message", "where": ...}.
#
# A case: a fresh ATChannel + Modem over an in-memory wire; the operation `op` runs and every
# command it writes is answered with the fuzzed `script` bytes (cut into `chunk`-sized reads;
# AT+CMGS gets its `> ` prompt first when `prompt`, then the script answers the PDU data).
# Allowed outcomes: a return value, or ATError / ATTimeout / ModemError (the driver's documented
# failures). Anything else escaping is a crash. Afterwards the channel must still work: a plain
# `AT` answered OK returns [] (the reader task survived and resynchronised on the next line).
import asyncio
import io
import json
import sys
import time

sys.path.insert(0, "tests/mpy")
sys.path.insert(0, "firmware")
sys.path.insert(0, "")

from smsgw.modem import profiles  # noqa: E402
from smsgw.modem.at import ATChannel  # noqa: E402
from smsgw.errors import SmsgateError  # noqa: E402
from smsgw.modem.modem import Modem  # noqa: E402
from test_at import FakeStream  # noqa: E402

_CAP_MS = 40  # every wait of a case: all bytes are in memory, nothing arrives later


class Wire(FakeStream):
    # Every command (and the data after a prompt) gets the fuzzed script until `recover`.
    def __init__(self, script, chunk, prompt):
        super().__init__({}, chunk)
        self.script = script
        self.prompt = prompt
        self.recover = False

    def _reply(self, cmd):
        if self.recover or cmd == "<esc>":  # ESC at a lost prompt: the modem says OK
            self.rx += b"\r\nOK\r\n"
            return
        self.in_data = cmd.startswith("AT+CMGS")  # the data and Ctrl-Z follow a CMGS line
        if self.in_data and self.prompt:
            self.rx += b"\r\n> "  # the script answers the data (else: a lost prompt)
            return
        self.rx += self.script


class Channel(ATChannel):
    # The driver's own timeouts are seconds; a fuzz case must not wait for them.
    async def cmd(self, cmd, timeout_ms=2000, data=None, prompt_ms=5000, expect=None, sink=None):
        return await ATChannel.cmd(self, cmd, min(timeout_ms, _CAP_MS), data,
                                   min(prompt_ms, _CAP_MS), expect, sink)


async def _op(m, op, arg):
    if op == "probe":
        return await m.probe()
    if op == "signal":
        return await m.signal()
    if op == "battery":
        return await m.battery()
    if op == "registration":
        return await m.registration()
    if op == "ussd":
        return await m.ussd(b"*100#", _CAP_MS)
    if op == "send":
        return await m.send_pdu("0011000B915155214365F70000AA0461F1985C", 18)
    if op == "read":
        return await m.read_pdu(arg)
    if op == "sweep":
        # sweep waits for room in `incoming`: drain it meanwhile as the inbox would
        async def drain():
            while True:
                await m.incoming.get()

        t = asyncio.create_task(drain())
        try:
            return await m.sweep()
        finally:
            t.cancel()
    if op == "idle":  # no command: URCs and garbage on an idle line
        await asyncio.sleep_ms(_CAP_MS)
        return None
    raise ValueError("unknown op %s" % op)


async def run_case(case):
    wire = Wire(bytes.fromhex(case["script"]), case["chunk"], case.get("prompt"))
    ch = Channel(wire)
    m = Modem(ch, profiles.get(case["model"]), None,
              {"time_scale": 0.001, "probe_ms": _CAP_MS, "ussd_ms": _CAP_MS})
    m.status["ready"] = True  # a running gateway: reboot URCs take the "down" path
    ch.start()
    if case["op"] == "idle":
        wire.rx += wire.script
    try:
        try:
            out = await _op(m, case["op"], case["arg"])
            verdict = {"ok": "return", "value": repr(out)[:80]}
        except SmsgateError as e:  # ATError, ATTimeout, ModemError: documented failures
            verdict = {"ok": type(e).__name__}
        wire.recover = True
        wire.in_data = False
        # the rest of the script reaches the reader first (one byte a read can take seconds on
        # a busy machine: wait while the reader makes progress)
        left, t0 = len(wire.rx), time.ticks_ms()
        while wire.rx and time.ticks_diff(time.ticks_ms(), t0) < 2000:
            await asyncio.sleep_ms(1)
            if len(wire.rx) < left:
                left, t0 = len(wire.rx), time.ticks_ms()
        await asyncio.sleep_ms(1)
        if ch._task is None or ch._task.done():
            return {"crash": "reader task ended", "where": ""}
        # a partial line left by the script ends at the CR of the answer; one retry covers
        # a leftover `+CMT:` header or `> ` prompt swallowing the first answer
        for _ in range(2):
            try:
                if await ATChannel.cmd(ch, b"AT", 5000) == []:  # no cap: a busy machine
                    break
            except SmsgateError:
                pass
        else:
            return {"crash": "channel did not recover: AT not answered OK", "where": ""}
        verdict["urcs"] = ch.counters["urcs"]
        return verdict
    finally:
        await ch.stop()


def main():
    while True:
        line = sys.stdin.readline()
        if not line:
            return
        case = json.loads(line)
        try:
            verdict = asyncio.run(run_case(case))
        except Exception as e:
            buf = io.StringIO()
            sys.print_exception(e, buf)
            verdict = {"crash": "%s: %s" % (type(e).__name__, e),
                       "where": buf.getvalue()[-400:]}
        sys.stdout.write(json.dumps(verdict) + "\n")
        try:
            sys.stdout.flush()
        except AttributeError:
            pass
        import gc

        gc.collect()


main()
