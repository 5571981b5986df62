"""The simulator's /sent reassembly when the gateway reuses a concatenation reference.

A real network delivers every part, so a reused (ref, seq) after its group completed is a new
message, not a late repeat (host/smsgate/sim/network.py)."""

from __future__ import annotations

from smsgate.sim.network import Network
from smsgw.codec import pdu, submit


class _Modem:
    def spawn(self, coro):  # status reports are not asked for here
        coro.close()
        raise AssertionError("no status report expected")


def _submit(net: Network, to: str, text: str, ref: int, order=None) -> None:
    _, parts = submit.encode_submit(to, text, ref=ref)
    hexes = [h for h, _ in parts]
    for i in order or range(len(hexes)):
        net.record_submit(hexes[i], pdu.decode(hexes[i]), 1 + i)


def test_reused_ref_after_completion_is_a_new_complete_message():
    net = Network(_Modem())
    a, b, c = ("A" * 200), ("B" * 200), ("C" * 400)
    _submit(net, "+15550001", a, ref=7)
    _submit(net, "+15550001", b, ref=7)  # same ref, same number, same total
    _submit(net, "+15550001", c, ref=7, order=[1, 0, 2])  # other total, out of order
    _submit(net, "+15550001", a, ref=7)  # the first text again, same ref
    got = [(s["text"], s["parts"], s["complete"]) for s in net.sent_list()]
    assert got == [(a, 2, True), (b, 2, True), (c, 3, True), (a, 2, True)], got
    assert net.counters["sms_sent"] == 4 and net.counters["parts_sent"] == 9


def test_repeat_while_open_starts_a_new_group_and_other_numbers_stay_apart():
    net = Network(_Modem())
    _, p1 = submit.encode_submit("+15550002", "X" * 200, ref=9)
    _, p2 = submit.encode_submit("+15550003", "Y" * 200, ref=9)
    h1, h2 = [h for h, _ in p1], [h for h, _ in p2]
    for h in (h1[0], h2[0], h1[0], h2[1], h1[1]):
        net.record_submit(h, pdu.decode(h), 1)
    got = [(s["to"], s["parts"], s["complete"]) for s in net.sent_list()]
    assert got == [("+15550002", 1, False), ("+15550003", 2, True),
                   ("+15550002", 2, True)], got
