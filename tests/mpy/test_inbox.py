# heapsize: 256K (smsgw.queue.inbox_ops compiles from source again after each release)
# smsgw.queue.inbox: durable store before delete, multipart, dedup, orphans, eviction, reports.
import asyncio

from fsutil import scratch
from smsgw.fstree import rmtree
from smsgw import config, events
import pdu_mt  # host/smsgate/sim: the simulator's MT-PDU builder (pure)
from smsgw.queue import inbox_ops
from smsgw.queue.inbox import Inbox
from waits import until


def _inbox(root=None, **c):
    cfg = config.merge(config.DEFAULTS, {"inbox": c})
    ib = Inbox(root or scratch("inbox"), cfg)
    import os

    try:
        os.mkdir(ib.dir[: -len("/in")])
    except OSError:
        pass
    ib.open()
    return ib


def _listed(ib):
    total, seqs = ib.list()
    return total, [ib.public(s) for s in seqs]


def test_single_message_stored_and_listed():
    got = []
    h = lambda n, p: got.append((n, p["message"], p["phoneNumber"]))  # noqa: E731
    events.subscribe(h)
    ib = _inbox()
    (pdu,) = pdu_mt.encode_deliver("+4917012345", "Hi there €")
    assert ib.handle("sms", 3, pdu)
    events.unsubscribe(h)
    total, items = _listed(ib)
    assert total == 1 and items[0]["contentPreview"] == "Hi there €", items
    assert items[0]["sender"] == "+4917012345" and items[0]["createdAt"].endswith("Z")
    assert items[0]["type"] == "SMS" and items[0]["simNumber"] == 1
    assert got == [("sms:received", "Hi there €", "+4917012345")]
    rmtree(ib.dir[:-3])


def _alphanumeric(pdu_hex, sender):
    # The same SMS-DELIVER with an alphanumeric TP-OA (TON 5) that spells `sender`.
    import binascii

    from smsgw.codec import gsm7

    sept = gsm7.to_septets(sender)
    oa = bytes(((len(sept) * 7 + 3) // 4, 0xD0)) + gsm7.pack(sept)
    b = binascii.unhexlify(pdu_hex)  # 00 (no SMSC), first octet, TP-OA ...
    end = 2 + 2 + (b[2] + 1) // 2
    return binascii.hexlify(b[:2] + oa + b[end:]).decode().upper()


def test_alphanumeric_sender_is_marked_even_when_it_spells_a_number():
    got = []
    h = lambda n, p: got.append(p)  # noqa: E731
    events.subscribe(h)
    ib = _inbox()
    (pdu,) = pdu_mt.encode_deliver("+1555000001", "123456 STATUS")
    assert ib.handle("sms", 1, _alphanumeric(pdu, "+1555000001"))
    assert ib.handle("sms", 2, pdu)  # the real number: not marked
    # a multipart message one of whose parts comes from the alphanumeric ID: marked
    long_text = "x" * 200
    p1, p2 = pdu_mt.encode_deliver("+1555000001", long_text, ref=9)
    assert ib.handle("sms", 3, p1) and ib.handle("sms", 4, _alphanumeric(p2, "+1555000001"))
    events.unsubscribe(h)
    assert [p["phoneNumber"] for p in got] == ["+1555000001"] * 3
    assert [p.get("senderType") for p in got] == ["alphanumeric", None, "alphanumeric"]
    total, items = _listed(ib)
    assert sorted(str(m.get("senderType")) for m in items) == ["None", "alphanumeric",
                                                               "alphanumeric"]
    rmtree(ib.dir[:-3])


def test_duplicate_pdu_is_stored_once():
    ib = _inbox()
    (pdu,) = pdu_mt.encode_deliver("+4917012345", "once")
    assert ib.handle("sms", 1, pdu) and ib.handle("sms", None, pdu)
    assert ib.list()[0] == 1 and ib.counters["duplicates"] == 1
    ib2 = _inbox(ib.dir[:-3])  # dedup memory survives a restart
    assert ib2.handle("sms", 1, pdu) and ib2.list()[0] == 1
    rmtree(ib.dir[:-3])


def test_multipart_reassembled_across_restart():
    ib = _inbox()
    text = "long " * 80
    parts = pdu_mt.encode_deliver("+4917012345", text, ref=9)
    assert len(parts) == 3
    ib.handle("sms", 1, parts[2])
    ib.handle("sms", 2, parts[0])
    assert ib.list()[0] == 0
    ib2 = _inbox(ib.dir[:-3])  # power cut with two parts journaled
    ib2.handle("sms", 3, parts[1])
    total, items = _listed(ib2)
    assert total == 1 and items[0]["contentPreview"] == text and items[0]["partsCount"] == 3
    assert inbox_ops._parts(ib2) == []  # no part left journaled
    rmtree(ib.dir[:-3])


def test_orphan_kept_as_incomplete():
    ib = _inbox(orphan_ms=0)
    parts = pdu_mt.encode_deliver("+4917012345", "abc " * 100, ref=4)
    ib.handle("sms", 1, parts[0])
    import time

    time.sleep_ms(5)
    assert ib.expire() == 1
    total, items = _listed(ib)
    assert total == 1 and items[0]["incomplete"] and items[0]["missingParts"] == [2, 3], items
    rmtree(ib.dir[:-3])


def test_eviction_bounded_oldest_first():
    ib = _inbox(max_messages=3)
    for i in range(5):
        ib.handle("sms", None, pdu_mt.encode_deliver("+4917012345", "m%d" % i)[0])
    total, items = _listed(ib)
    assert total == 3 and [m["contentPreview"] for m in items] == ["m4", "m3", "m2"]
    assert ib.counters["evicted_unread"] == 2
    rmtree(ib.dir[:-3])


def test_undecodable_pdu_is_counted_and_deleted():
    ib = _inbox()
    assert ib.handle("sms", 8, "ZZ")  # undecodable: counted, deleted (its hex is in the log)
    assert ib.counters["bad_pdus"] == 1 and ib.list()[0] == 0
    rmtree(ib.dir[:-3])


class FakeModem:
    def __init__(self, stored):
        from smsgw.modem.ring import Ring

        self.incoming = Ring(4)
        self.stored = dict(stored)
        self.deleted = []

    async def sweep(self):
        for i, h in list(self.stored.items()):
            await self.incoming.put(("sms", i, h))

    async def delete(self, i):
        self.deleted.append(i)
        self.stored.pop(i, None)


async def test_tasks_drain_full_storage():
    msgs = {i: pdu_mt.encode_deliver("+4917000000", "s%d" % i)[0] for i in range(10)}
    m = FakeModem(msgs)
    ib = _inbox()
    ib.modem = m
    ib.start()
    for _ in range(100):
        await asyncio.sleep_ms(5)
        if not m.stored:
            break
    await ib.stop()
    assert not m.stored and sorted(m.deleted) == list(range(10))
    assert ib.list()[0] == 10
    rmtree(ib.dir[:-3])


def test_torn_parts_tail_is_cut_before_the_next_part():
    ib = _inbox()
    parts = pdu_mt.encode_deliver("+4917012345", "torn " * 80, ref=11)
    ib.handle("sms", 1, parts[0])
    with open(ib.dir + "/parts", "a") as f:  # a power cut mid-append of the next part
        f.write('{"h": "abc", "k": "+49170')
    ib2 = _inbox(ib.dir[:-3])
    ib2.handle("sms", 2, parts[1])
    ib3 = _inbox(ib.dir[:-3])  # the parts file alone must still hold parts 1 and 2
    ib3.handle("sms", 3, parts[2])
    total, items = _listed(ib3)
    assert total == 1 and items[0]["contentPreview"] == "torn " * 80, items
    rmtree(ib.dir[:-3])


async def test_memory_error_while_decoding_keeps_the_sms_on_the_sim_and_tries_it_again():
    h = pdu_mt.encode_deliver("+4917000000", "keep me")[0]
    m = FakeModem({5: h})
    ib = _inbox()
    ib.modem = m
    from smsgw.codec import pdu  # decoding once forgets it: the next sweep imports it afresh

    real = pdu.decode
    calls = [0]

    class NoRoom:  # logging the error finds no heap either (its text cannot be formatted)
        def __str__(self):
            raise MemoryError("memory allocation failed, allocating 88 bytes")

    def short_of_memory(*a):
        calls[0] += 1
        if calls[0] == 1:
            raise MemoryError(NoRoom())
        return real(*a)

    pdu.decode = short_of_memory
    task = asyncio.create_task(ib._consume())  # the consumer alone: no periodic sweep
    try:
        await m.sweep()  # the first try runs out of memory: not stored, not deleted
        await until(lambda: ib.counters["oom"] == 1)
        assert calls[0] == 1 and m.stored == {5: h} and m.deleted == [], m.deleted
        assert ib.list()[0] == 0
        # a second later, not at the next sweep (a minute on), it is stored, then deleted (by
        # the decoder imported afresh: the patched one left with the module)
        await until(lambda: not m.stored, 5000)
        assert m.deleted == [5] and ib.list()[0] == 1, (m.deleted, ib.list())
        assert ib.counters["delete_errors"] == 0
    finally:
        pdu.decode = real
        task.cancel()
    rmtree(ib.dir[:-3])


class PowerCut(BaseException):
    pass


def test_received_event_replayed_after_a_power_cut_before_its_hand_off():
    from smsgw.queue.store import Store

    root = scratch("inbox")
    s = Store(root)
    s.open()
    ib = _inbox(root)
    ib.store = s

    def cut(name, payload):
        raise PowerCut()

    events.subscribe(cut)
    try:
        ib.handle("sms", 1, pdu_mt.encode_deliver("+4917012345", "cut")[0])
        raise AssertionError("no power cut")
    except PowerCut:
        pass
    events.unsubscribe(cut)
    assert ib.list()[0] == 1  # stored, but its event never reached a handler
    got = []
    h = lambda n, p: got.append((n, p["message"]))  # noqa: E731
    events.subscribe(h)
    s2 = Store(root)  # reboot
    s2.open()
    ib2 = _inbox(root)
    ib2.store = s2
    assert len(s2.handoff.left) == 1
    from smsgw.queue.replay import replay

    replay(s2.handoff, None, ib2)
    s2.handoff.replayed()
    events.unsubscribe(h)
    assert got == [("sms:received", "cut")], got
    s3 = Store(root)
    s3.open()
    assert s3.handoff.left == []  # replayed once, gone
    rmtree(root)


def test_a_listing_renders_without_keeping_the_inbox_code_loaded():
    import sys

    ib = _inbox()
    (pdu,) = pdu_mt.encode_deliver("+4917012345", "listed")
    assert ib.handle("sms", 3, pdu)
    total, seqs = ib.list()
    render = ib.renderer()
    assert "smsgw.queue.inbox_ops" not in sys.modules  # what the streamed answer holds stays
    assert total == 1 and render(seqs[0])["contentPreview"] == "listed"
    assert "smsgw.queue.inbox_ops" not in sys.modules
    rmtree(ib.dir[:-3])



def test_reading_the_inbox_loads_the_reading_code_only():
    # GET /inbox (list, then each item) runs queue/inbox_view without the storing code,
    # queue/inbox_ops: a board listing its inbox while it sends carries the smaller one
    import sys

    ib = _inbox()
    (pdu,) = pdu_mt.encode_deliver("+4917012345", "read me")
    assert ib.handle("sms", 3, pdu)
    ib.release()
    total, seqs = ib.list()
    assert "smsgw.queue.inbox_ops" not in sys.modules and "smsgw.queue.inbox_view" in sys.modules
    assert total == 1 and ib.public(seqs[0])["contentPreview"] == "read me"
    assert ib.get(seqs[0])["x"] == "read me"
    assert "smsgw.queue.inbox_ops" not in sys.modules
    ib.release()
    assert "smsgw.queue.inbox_view" not in sys.modules
    rmtree(ib.dir[:-3])
