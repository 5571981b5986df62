# Recovery ladder on MicroPython: fake modem stream + fake board.
# heapsize: 256K
# (160K until the bring-up, the state queries and the ladder became modules loaded for their
# call: compiled from source again at each load, they failed 2 runs in 3 on the fragmented heap)
import asyncio

from smsgw.modem import profiles
from smsgw.modem.at import ATChannel
from smsgw.modem.modem import Modem
from smsgw.modem.supervisor import Supervisor
from test_at import FakeStream
from modem_replies import base as _base
from waits import until

_CFG = {
    "time_scale": 0.01, "probe_ms": 50, "boot_timeout_ms": 150, "backoff_ms": 10,
    "backoff_max_ms": 40, "probe_every_ms": 50, "reg_timeout_ms": 200, "ready_timeout_ms": 200,
}  # fmt: skip


class Reset(Exception):
    pass


class FakeBoard:
    def __init__(self, stream, can_power=False):
        self.calls = []
        self.stream = stream
        self.can_power = can_power

    async def pwrkey_pulse(self):
        self.calls.append("pwrkey")

    async def modem_power(self, on):
        self.calls.append("power_on" if on else "power_off")
        if self.can_power and on:
            self.stream.silent = 0  # a power cycle cures a stuck modem
        return self.can_power

    def reset(self):
        self.calls.append("reset")
        raise Reset()


def _setup(can_power=False, model="SIM800"):
    s = FakeStream(_base(model))
    s.replies["AT+CFUN=1,1"] = b"\r\nOK\r\n"
    at = ATChannel(s)
    m = Modem(at, profiles.get(model), None, _CFG)
    b = FakeBoard(s, can_power)
    return s, at, m, b, Supervisor(m, b, _CFG)


async def _close(sup, m, at):
    await sup.stop()
    await m.stop()
    await at.stop()


async def test_ready_after_start():
    s, at, m, b, sup = _setup()
    sup.start()
    await asyncio.wait_for_ms(sup.ready.wait(), 2000)
    assert m.status["ready"] and sup.counters["recoveries"] == 0
    await _close(sup, m, at)


async def test_silent_modem_recovered_by_probe():
    s, at, m, b, sup = _setup()
    sup.start()
    await asyncio.wait_for_ms(sup.ready.wait(), 2000)
    s.silent = 3  # the next probe and the re-start's sync attempts go unanswered
    sup.kick()
    await until(lambda: not sup.ready.is_set())
    await until(lambda: sup.ready.is_set())
    c = sup.counters
    assert c["recoveries"] == 1 and c["probe"] == 1 and c["reset_cmd"] == 0, c
    assert c["failures"] >= 2 and c["last_error"]
    assert b.calls == ["power_on"]  # the cold-boot power-up only
    await _close(sup, m, at)


async def test_stuck_modem_power_cycled():
    s, at, m, b, sup = _setup(can_power=True)
    sup.start()
    await asyncio.wait_for_ms(sup.ready.wait(), 2000)
    s.silent = -1  # stuck until its power is cut
    sup.kick()
    await until(lambda: not sup.ready.is_set())
    await until(lambda: sup.ready.is_set(), 8000)
    c = sup.counters
    assert (c["probe"], c["reset_cmd"], c["pwrkey"], c["power"]) == (1, 1, 1, 1), c
    assert b.calls == ["power_on", "pwrkey", "power_off", "power_on"] and c["mcu_reset"] == 0
    await _close(sup, m, at)


async def test_no_power_switch_ends_in_mcu_reset():
    s, at, m, b, sup = _setup(can_power=False)
    s.silent = -1
    try:
        await asyncio.wait_for_ms(sup.run(), 8000)
        raise AssertionError("run returned")
    except Reset:
        pass
    c = sup.counters
    assert (c["probe"], c["reset_cmd"], c["pwrkey"], c["power"], c["mcu_reset"]) == (
        1, 1, 1, 0, 1), c  # fmt: skip
    assert b.calls == ["power_on", "pwrkey", "power_off", "reset"]
    await m.stop()
    await at.stop()


async def test_reboot_mid_session_reinit_without_ladder():
    s, at, m, b, sup = _setup()
    sup.start()
    await asyncio.wait_for_ms(sup.ready.wait(), 2000)
    n = s.commands.count("ATE0")
    s.feed(b"\r\nRDY\r\n")
    await until(lambda: not sup.ready.is_set())
    await until(lambda: sup.ready.is_set())
    assert s.commands.count("ATE0") == n + 1 and sup.counters["reinits"] == 1
    assert sup.counters["reset_cmd"] == 0 and m.counters["reboots"] == 1
    await _close(sup, m, at)


async def test_talking_modem_not_power_cycled():
    # The modem answers AT but never registers: no PWRKEY/power/MCU reset loop.
    s, at, m, b, sup = _setup(can_power=True)
    s.replies["AT+CREG?"] = b"\r\n+CREG: 0,2\r\n\r\nOK\r\n"
    sup.start()
    await until(lambda: sup.counters["waits"] >= 2, 8000)
    assert b.calls == ["power_on"] and sup.counters["mcu_reset"] == 0
    assert "not registered" in sup.counters["last_error"]
    await _close(sup, m, at)


async def test_silent_reboot_seen_by_echo():
    # SIM800 in autobaud mode reboots without RDY: the echo of the probe gives it away.
    s, at, m, b, sup = _setup()
    sup.start()
    await asyncio.wait_for_ms(sup.ready.wait(), 2000)
    n = s.commands.count("ATE0")
    s.replies["AT"] = b"AT\r\r\nOK\r\n"
    s.replies["ATE0"] = b"ATE0\r\r\nOK\r\n"
    sup.kick()
    await until(lambda: s.commands.count("ATE0") == n + 1)
    s.replies["AT"] = b"\r\nOK\r\n"
    s.replies["ATE0"] = b"\r\nOK\r\n"
    await until(lambda: sup.ready.is_set())
    assert m.counters["reboots"] == 1 and sup.counters["reinits"] == 1
    assert sup.counters["reset_cmd"] == 0
    await _close(sup, m, at)


async def test_no_heap_at_a_start_or_a_probe_is_not_the_modems_fault():
    # a MemoryError in the bring-up or a probe ended the supervisor (the board reset); it is
    # the heap's fault, not the modem's: no ladder, tried again a second later
    s, at, m, b, sup = _setup()
    real_start, real_probe, short = m.start, m.probe, {"start": 2, "probe": 1}

    def no_heap(what, real):
        async def call():
            if short[what]:
                short[what] -= 1
                raise MemoryError("memory allocation failed, allocating 1104 bytes")
            return await real()

        return call

    m.start, m.probe = no_heap("start", real_start), no_heap("probe", real_probe)
    t = sup.start()
    await asyncio.wait_for_ms(sup.ready.wait(), 5000)
    await until(lambda: short["probe"] == 0 and sup.counters["oom"] == 3)
    assert sup.ready.is_set() and not t.done() and b.calls == ["power_on"]
    assert sup.counters["reset_cmd"] == 0 and sup.counters["failures"] == 0
    await _close(sup, m, at)
