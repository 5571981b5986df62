"""Fuzz the firmware's AT engine (ATChannel + the Modem's answer and URC parsers) on the
MicroPython unix port: garbage, partial lines, mangled answers and URCs in the middle of a
response, cut into random reads. Every input must end in a value or a documented failure
(ATError, ATTimeout, ModemError), and the channel must answer the next `AT` (at_agent.py)."""

from __future__ import annotations

import json
import select
import subprocess

import pytest
from fuzzkit import fuzz_settings, tally
from hypothesis import given
from hypothesis import strategies as st

from smsgate.runtime import REPO_ROOT, micropython_binary, micropython_env

_PDU = "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07"
# What modems really send (SIMCom reference), the raw material of the mutations.
LINES = [
    "OK", "ERROR", "+CME ERROR: 10", "+CME ERROR: SIM busy", "+CMS ERROR: 500",
    "+CMS ERROR: unknown error", "+CSQ: 21,0", "+CSQ: 99,99", "+CBC: 0,85,4050", "+CBC: 3.591V",
    "+CREG: 0,1", "+CREG: 1", '+CREG: 1,"00C3","1234"', "+CGREG: 0,5", "+CEREG: 2,1",
    "+CMGS: 12", "> ", "+CMGR: 0,,24", _PDU, "+CMGL: 1,0,,24", "+CMGL: 7,1,,24",
    '+CUSD: 0,"Balance: 1.00",15', '+CUSD: 0,"00420061006C",72', "+CUSD: 4",
    '+CMTI: "SM",3', '+CMTI: "SR",2', '+CDSI: "SM",4', "+CMT: ,24", "+CDS: 25", "RING",
    '+CLIP: "+15551234",145', "RDY", "SMS Ready", "Call Ready", "*ATREADY: 1", "+CPIN: READY",
    "+CPIN: SIM PIN", "+CFUN: 1", "UNDER-VOLTAGE WARNNING", "UNDER-VOLTAGE POWER DOWN",
    "NORMAL POWER DOWN", "NO CARRIER", "AT+CSQ", "AT+CMGS=18", "AT",
]  # fmt: skip
# The answers each operation parses: half of a script's lines are drawn from these.
OPS = {
    "probe": ["OK", "AT"], "signal": ["+CSQ: 21,0", "+CSQ: 99,99"],
    "battery": ["+CBC: 0,85,4050", "+CBC: 3.591V"],
    "registration": ["+CREG: 0,1", '+CREG: 1,"00C3","1234"', "+CGREG: 0,5", "+CEREG: 2,1"],
    "ussd": ['+CUSD: 0,"Balance: 1.00",15', '+CUSD: 0,"00420061006C",72', "+CUSD: 4"],
    "send": ["+CMGS: 12", "> ", "+CMS ERROR: 500"], "read": ["+CMGR: 0,,24", _PDU],
    "sweep": ["+CMGL: 1,0,,24", "+CMGL: 7,1,,24", "+CMGR: 0,,24", _PDU],
    "idle": ['+CMTI: "SM",3', "+CMT: ,24", _PDU, "RING", "RDY", "+CPIN: READY"],
}
_ALPHABET = st.characters(min_codepoint=0, max_codepoint=255)
# Field values that break naive parsers: empty, signs, huge, float forms, words.
_TOKENS = st.sampled_from(["", "-1", "x1", "999999999999999999999", "1e400", "3.5", "inf",
                           "nan", "0x1F", " ", ",", '"', "255", "256", "-0"])


@st.composite
def mangled(draw, line):
    """`line` with a few characters replaced, inserted or dropped (noise on the UART), or one
    of its fields replaced by a troublesome token."""
    if draw(st.booleans()):
        fields = line.split(",")
        k = draw(st.integers(0, len(fields) - 1))
        head, sep, _ = fields[k].rpartition(" ") if k == 0 else ("", "", "")
        fields[k] = head + sep + draw(_TOKENS) + draw(st.sampled_from(["", "", "V"]))
        return ",".join(fields)
    s = list(line)
    for _ in range(draw(st.integers(1, 3))):
        k = draw(st.integers(0, len(s)))
        how = draw(st.sampled_from(["replace", "insert", "drop"]))
        if how == "insert" or not s:
            s.insert(k, draw(_ALPHABET))
        elif k < len(s):
            if how == "replace":
                s[k] = draw(_ALPHABET)
            else:
                del s[k]
    return "".join(s)


def _line(own):
    known = st.one_of(st.sampled_from(own), st.sampled_from(LINES))
    return st.one_of(
        known, known.flatmap(mangled),
        st.builds(lambda p, t: p + t, st.sampled_from([ln[:7] for ln in LINES]),
                  st.text(_ALPHABET, max_size=30)),
        st.text(_ALPHABET, max_size=40),
    )


_END = st.sampled_from(["\r\n", "\r\n", "\r\n", "\r", "\n", ""])


def script(op):
    """Modem bytes for operation `op`: one of its answers (as sent or mangled) amid noise:
    lines (known, mangled, random), raw bytes, an overlong line; a final OK more often than
    not."""
    chunk = st.one_of(st.builds(lambda a, b: (a + b).encode("latin-1"), _line(OPS[op]), _END),
                      st.binary(max_size=40), st.just(b"A" * 1100))  # beyond LINE_MAX
    own = st.sampled_from(OPS[op])
    answer = st.one_of(own, own.flatmap(mangled)).map(
        lambda ln: ("\r\n" + ln + "\r\n").encode("latin-1"))
    noise = st.lists(chunk, max_size=6).map(b"".join)
    tail = st.sampled_from([b"\r\nOK\r\n", b"\r\nOK\r\n", b""])
    return st.builds(lambda a, x, b, t: a + x + b + t, noise, answer, noise, tail)


@st.composite
def case(draw):
    op = draw(st.sampled_from(sorted(OPS)))
    return {"op": op, "model": draw(st.sampled_from(["SIM800", "SIM7600"])),
            "arg": draw(st.integers(-3, 300)), "script": draw(script(op)).hex(),
            "chunk": draw(st.integers(1, 64)),
            "prompt": draw(st.sampled_from([True, True, True, False]))}


class Agent:
    """tests/fuzz/at_agent.py on MicroPython; restarted after a crash or hang."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None

    def _start(self) -> None:
        self.proc = subprocess.Popen(
            [micropython_binary(), "-X", "heapsize=2M", "tests/fuzz/at_agent.py"],
            cwd=REPO_ROOT, env=micropython_env(), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)

    def run(self, case: dict, timeout: float = 30.0) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        self.proc.stdin.write(json.dumps(case) + "\n")
        self.proc.stdin.flush()
        noise = ""  # anything before the verdict: a task's unhandled exception, a fatal error
        while True:
            ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
            if not ready:
                self.stop()
                return {"crash": "hang: no verdict in %.0f s" % timeout, "where": noise}
            line = self.proc.stdout.readline()
            if not line:
                self.stop()
                return {"crash": "agent died", "where": noise}
            if line.startswith("{"):
                break
            noise += line
        verdict = json.loads(line)
        if noise and "crash" not in verdict:
            verdict = {"crash": "output: " + noise.splitlines()[0], "where": noise[-600:]}
        return verdict

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None


@pytest.fixture(scope="module")
def agent():
    a = Agent()
    yield a
    a.stop()


@fuzz_settings(100)
@given(c=case())
def test_at_engine_survives_any_modem_bytes(agent, c):
    t = tally("at")
    t["inputs"] += 1
    verdict = agent.run(c)
    if "crash" in verdict:
        sig = verdict["crash"].split(":")[0] + " " + verdict["where"][-120:]
        t["crashes"].setdefault(sig, {"case": c, "verdict": verdict})


def test_no_crash_in_the_at_campaign():
    """Reported separately so that the campaign's budget runs in full before failing."""
    crashes = tally("at")["crashes"]
    assert tally("at")["inputs"] > 0
    assert not crashes, json.dumps(list(crashes.values())[:3], indent=1)
