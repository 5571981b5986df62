# heapsize: 256K
# (208K: at 192K test_validation_errors failed 1 run in 4 with MemoryError on a fragmented
# heap, the layout varying with time-derived ids; 256K since the codec is forgotten when the
# outbox is idle: its modules compile from source again for the next report, and at 208K that
# failed 1 run in 3 on the fragmented heap (the report stays on the SIM for the sweep, as on a
# board); the core's heap bound is test_heap_guard)
# smsgw.queue.outbox: validation, idempotency, sending part by part, errors, reports,
# crash recovery.
import asyncio

from fsutil import scratch
from smsgw.fstree import rmtree
from smsgw import config, events
from smsgw.errors import ATError, ATTimeout
from smsgw.modem import at  # noqa: F401  loaded at boot on a board (the outbox's CMS texts)
from smsgw.queue.outbox import Outbox
from smsgw.queue.store import Store


class FakeModem:
    """send_pdu answers MRs 1, 2, ...; `script` holds exceptions to raise first."""

    def __init__(self, script=()):
        self.sent = []
        self.script = list(script)
        self.mr = 0

    async def send_pdu(self, hexpdu, tlen):
        await asyncio.sleep_ms(0)
        if self.script:
            e = self.script.pop(0)
            if e is not None:
                raise e
        self.sent.append(hexpdu)
        self.mr += 1
        return self.mr


def _outbox(modem=None, root=None, **q):
    cfg = config.merge(config.DEFAULTS, {"queue": q})
    cfg["queue"]["backoff_ms"] = q.get("backoff_ms", 1)
    s = Store(root or scratch("outbox"), cfg["queue"]["max_stored"])
    s.open()
    return Outbox(s, cfg, modem)


def _body(**kw):
    b = {"textMessage": {"text": "hello"}, "phoneNumbers": ["+491701234567"]}
    b.update(kw)
    return b


async def _drain(ob):
    while True:
        k = ob.next_key()
        if k is None:
            return
        await ob.send(k)


def test_validation_errors():
    ob = _outbox()
    bad = [
        [],
        {"phoneNumbers": ["+1"]},
        _body(phoneNumbers=[]),
        _body(phoneNumbers=["abc"]),
        _body(isEncrypted=True),
        _body(priority=200),
        _body(simNumber=2),
        _body(ttl=10, validUntil="2030-01-01T00:00:00Z"),
        _body(validUntil="tomorrow"),
        _body(withDeliveryReport="yes"),
        _body(message="x"),
        _body(textMessage={"text": "x" * 2000}),
    ]
    for b in bad:
        st, obj = ob.submit(b)
        assert st == 400 and obj["message"], (b, st, obj)
    assert ob.store.count() == 0
    rmtree(ob.store.root)


def test_accept_gives_status_object_and_generates_id():
    ob = _outbox()
    st, obj = ob.submit({"message": "legacy", "phoneNumbers": ["+1555", "+1556"]})
    assert st == 202
    assert obj["state"] == "Pending" and len(obj["id"]) == 16
    assert [r["state"] for r in obj["recipients"]] == ["Pending", "Pending"]
    assert obj["isHashed"] is False and obj["isEncrypted"] is False
    assert "Pending" in obj["states"]
    assert ob.status(obj["id"])["state"] == "Pending"
    rmtree(ob.store.root)


def test_submission_code_is_loaded_per_request_and_no_heap_for_it_is_a_503():
    # queue/accept.py is in the heap for one submission; without room for it the request is
    # refused (503, retry) and nothing is stored
    import sys

    from noheap import no_heap_for

    ob = _outbox()
    assert ob.submit(_body(id="first"))[0] == 202
    assert "smsgw.queue.accept" not in sys.modules
    with no_heap_for("smsgw.queue", "accept"):
        st, obj = ob.submit(_body(id="second"))
    assert st == 503 and "memory" in obj["message"] and ob.status("second") is None
    assert ob.counters["oom"] == 1  # counted for the heap's watch (smsgw.app)
    assert ob.submit(_body(id="second"))[0] == 202 and ob.status("second") is not None
    rmtree(ob.store.root)


async def test_same_id_twice_is_one_message():
    m = FakeModem()
    ob = _outbox(m)
    assert ob.submit(_body(id="dup"))[0] == 202
    st, obj = ob.submit(_body(id="dup"))  # a retry: the same message
    assert st == 202 and obj["id"] == "dup"
    st, obj = ob.submit(_body(id="dup", textMessage={"text": "other"}))  # another one: 409
    assert st == 409 and "dup" in obj["message"], obj
    await _drain(ob)
    assert ob.submit(_body(id="dup"))[1]["state"] == "Sent"
    await _drain(ob)
    assert len(m.sent) == 1
    rmtree(ob.store.root)


async def test_send_multipart_and_reports_to_delivered():
    got = []
    h = lambda name, p: got.append((name, p["phoneNumber"]))  # noqa: E731
    events.subscribe(h)
    m = FakeModem()
    ob = _outbox(m)
    ob.submit(_body(id="long", textMessage={"text": "x" * 400}, phoneNumbers=["+4911", "+4922"]))
    await _drain(ob)
    assert len(m.sent) == 6  # 3 parts x 2 recipients
    s = ob.status("long")
    assert s["state"] == "Sent" and "Sent" in s["states"] and "Processed" in s["states"]
    for mr in (1, 2, 3):
        assert ob.on_report(mr, "+4911", 0)
    assert ob.status("long")["recipients"][0]["state"] == "Delivered"
    assert ob.status("long")["state"] == "Sent"
    assert ob.on_report(4, "+4922", 40)  # temporary: still waiting
    assert ob.status("long")["recipients"][1]["state"] == "Sent"
    assert not ob.on_report(5, "+4999", 0)  # wrong recipient: not paired
    ob.on_report(4, "+4922", 0)
    ob.on_report(5, "+4922", 0)
    ob.on_report(6, "+4922", 0)
    s = ob.status("long")
    assert s["state"] == "Delivered" and "Delivered" in s["states"], s
    events.unsubscribe(h)
    assert got.count(("sms:sent", "+4911")) == 1 and ("sms:delivered", "+4922") in got, got
    rmtree(ob.store.root)


async def test_reports_from_the_modem_are_paired_then_deleted():
    import pdu_mt  # host/smsgate/sim: the simulator's PDU builder
    from smsgw.modem.ring import Ring

    m = FakeModem()
    m.reports = Ring(4)
    m.deleted = []

    async def delete(i):
        m.deleted.append(i)

    m.delete = delete
    ob = _outbox(m)
    ob.submit(_body(id="rp", phoneNumbers=["+4911"]))
    await _drain(ob)
    ob.start()
    try:
        await m.reports.put(("report", 7, pdu_mt.encode_status_report(1, "+4911", status=0)))
        await m.reports.put(("report", 8, "ZZ"))  # undecodable: logged, deleted
        await m.reports.put(("report", None, pdu_mt.encode_status_report(9, "+4911")))
        for _ in range(200):
            await asyncio.sleep_ms(5)
            if len(m.deleted) == 2 and ob.counters["unpaired_reports"]:
                break
        assert m.deleted == [7, 8] and ob.status("rp")["state"] == "Delivered", m.deleted
        assert ob.counters["bad_reports"] == 1 and ob.counters["unpaired_reports"] == 1
    finally:
        await ob.stop()
    rmtree(ob.store.root)


async def test_a_direct_report_without_heap_for_its_code_is_paired_a_second_later():
    # a +CDS has no copy on the SIM: with no heap for the report's code (queue/reports.py) it
    # is counted and tried again a second later, not dropped (it was: the message stayed Sent)
    import pdu_mt
    from noheap import no_heap_for
    from smsgw.modem.ring import Ring
    from waits import until

    m = FakeModem()
    m.reports = Ring(4)
    ob = _outbox(m)
    ob.submit(_body(id="cds", phoneNumbers=["+4911"]))
    await _drain(ob)
    ob.rtask = asyncio.create_task(ob._reports())  # the report consumer alone
    try:
        with no_heap_for("smsgw.queue.reports", "handle"):
            await m.reports.put(("report", None, pdu_mt.encode_status_report(1, "+4911")))
            await until(lambda: ob.counters["oom"] == 1)
        assert ob.status("cds")["state"] == "Sent"
        await until(lambda: ob.status("cds")["state"] == "Delivered", 5000)
        assert ob.counters["reports"] == 1 and ob.counters["oom"] == 1, ob.counters
    finally:
        await ob.stop()
    rmtree(ob.store.root)


async def test_permanent_report_fails():
    ob = _outbox(FakeModem())
    ob.submit(_body(id="p"))
    await _drain(ob)
    ob.on_report(1, "+491701234567", 65)
    s = ob.status("p")
    assert s["state"] == "Failed" and "TP-ST 65" in s["recipients"][0]["error"]
    rmtree(ob.store.root)


async def test_permanent_cms_error_fails_with_reason():
    ob = _outbox(FakeModem([ATError("AT+CMGS", "CMS", 50)]))
    ob.submit(_body(id="c50"))
    await _drain(ob)
    s = ob.status("c50")
    assert s["state"] == "Failed" and "+CMS ERROR: 50" in s["recipients"][0]["error"], s
    rmtree(ob.store.root)


async def test_temporary_cms_error_is_retried_bounded():
    m = FakeModem([ATError("AT+CMGS", "CMS", 42), ATError("AT+CMGS", "CMS", 332)])
    ob = _outbox(m, retries=3)
    ob.submit(_body(id="t"))
    await _drain(ob)
    assert ob.status("t")["state"] == "Sent" and len(m.sent) == 1
    m2 = FakeModem([ATError("AT+CMGS", "CMS", 42)] * 5)
    ob2 = _outbox(m2, retries=2)
    ob2.submit(_body(id="t2"))
    await _drain(ob2)
    s = ob2.status("t2")
    assert s["state"] == "Failed" and "42" in s["recipients"][0]["error"] and not m2.sent
    rmtree(ob.store.root)
    rmtree(ob2.store.root)


async def test_timeout_marks_uncertain_and_never_resends():
    m = FakeModem([None, ATTimeout("AT+CMGS")])
    ob = _outbox(m)
    ob.submit(_body(id="u", textMessage={"text": "y" * 200}))
    await _drain(ob)
    s = ob.status("u")
    assert len(m.sent) == 1 and "uncertain: part 2/2" in s["recipients"][0]["error"], s
    assert s["state"] == "Sent"
    await _drain(ob)
    assert len(m.sent) == 1
    rmtree(ob.store.root)


async def test_crash_during_cmgs_is_uncertain_after_restart():
    m = FakeModem()
    ob = _outbox(m)
    ob.submit(_body(id="k", textMessage={"text": "z" * 400}))
    await _drain(ob)
    ob.submit(_body(id="k2", textMessage={"text": "z" * 400}))
    key = ob.next_key()
    ob.store.log(key, "S 0 0 3 1")  # journaled, then the power went
    ob2 = _outbox(m, root=ob.store.root)
    await _drain(ob2)
    s = ob2.status("k2")
    assert len(m.sent) == 5 and "part 1/3" in s["recipients"][0]["error"], (len(m.sent), s)
    assert ob2.status("k")["state"] == "Sent"
    rmtree(ob.store.root)


async def test_torn_journal_tail_then_more_records_still_reads():
    m = FakeModem()
    ob = _outbox(m)
    ob.submit(_body(id="tt", textMessage={"text": "z" * 400}))
    key = ob.next_key()
    with open(ob.store.mpath(key) + ".j", "a") as f:
        f.write("S 0 0 3")  # a power cut mid-append: no newline
    ob2 = _outbox(m, root=ob.store.root)
    await _drain(ob2)
    s = ob2.status("tt")
    assert s["state"] == "Sent" and len(m.sent) == 3 and not s["recipients"][0]["error"], s
    rmtree(ob.store.root)


class PowerCut(BaseException):
    pass


async def test_events_follow_state_changes_and_survive_a_power_cut():
    got = []
    h = lambda n, p: got.append((n, p["messageId"], p.get("reason")))  # noqa: E731

    def cut(name, payload):
        raise PowerCut()

    m = FakeModem()
    ob = _outbox(m)
    root = ob.store.root
    ob.submit(_body(id="ev1", textMessage={"text": "y" * 200}, withDeliveryReport=True))
    events.subscribe(cut)
    try:
        await _drain(ob)
        raise AssertionError("no power cut")
    except PowerCut:  # both parts have their +CMGS in the journal; sms:sent never queued
        pass
    events.unsubscribe(cut)
    events.subscribe(h)
    ob2 = _outbox(m, root=root)  # reboot
    assert ob2.status("ev1")["state"] == "Sent" and got == []
    from smsgw.queue.replay import replay

    replay(ob2.store.handoff, ob2, None)
    ob2.store.handoff.replayed()
    assert got == [("sms:sent", "ev1", None)], got
    assert ob2.on_report(2, "+491701234567", 0) and got == [("sms:sent", "ev1", None)]
    assert ob2.on_report(1, "+491701234567", 70)
    assert got[1] == ("sms:failed", "ev1", "delivery failed: TP-ST 70 (permanent error: SM "
                      "validity period expired)"), got
    events.unsubscribe(h)
    ob3 = _outbox(m, root=root)
    assert ob3.store.handoff.left == []
    rmtree(root)


async def test_an_event_a_handler_holds_in_ram_keeps_its_intent_for_a_power_cut():
    # a handler short of heap holds the event in RAM (webhook_queue.Journal.hold) until its
    # journal has it: the hand-off intent must outlive emit(), or a power cut lost the event
    from smsgw.queue.replay import replay

    def holding(name, payload):
        events.held += 1  # what Journal.hold counts when no heap lets it journal the event

    m = FakeModem()
    ob = _outbox(m)
    root = ob.store.root
    events.subscribe(holding)
    try:
        ob.submit(_body(id="ev2"))
        await _drain(ob)
        assert ob.status("ev2")["state"] == "Sent"
    finally:
        events.unsubscribe(holding)
        events.held = 0
    got = []
    h = lambda n, p: got.append((n, p["messageId"]))  # noqa: E731
    events.subscribe(h)
    ob2 = _outbox(m, root=root)  # the power cut came before the held event was journaled
    replay(ob2.store.handoff, ob2, None)
    ob2.store.handoff.replayed()
    events.unsubscribe(h)
    assert got == [("sms:sent", "ev2")], got
    assert _outbox(m, root=root).store.handoff.left == []  # replayed once, gone
    rmtree(root)


async def test_cancel_pending_only():
    m = FakeModem()
    ob = _outbox(m)
    ob.submit(_body(id="x1"))
    ob.submit(_body(id="x2"))
    st, obj = ob.cancel("x1")
    assert st == 200 and obj["state"] == "Cancelled"
    await _drain(ob)
    assert len(m.sent) == 1
    assert ob.cancel("x2")[0] == 409 and ob.cancel("nope")[0] == 404
    rmtree(ob.store.root)


async def test_priority_goes_first():
    m = FakeModem()
    ob = _outbox(m)
    ob.submit(_body(id="low", textMessage={"text": "low"}))
    ob.submit(_body(id="high", textMessage={"text": "high"}, priority=100))
    await _drain(ob)
    assert ob.status("high")["states"]["Processed"] <= ob.status("low")["states"]["Processed"]
    # the priority index's code (queue/order.py) leaves with the last prioritised message
    import sys

    assert ob.next_key() is None and ob.order is None
    assert "smsgw.queue.order" not in sys.modules
    from smsgw.codec import pdu

    assert pdu.decode(m.sent[0])["text"] == "high" and pdu.decode(m.sent[1])["text"] == "low"
    rmtree(ob.store.root)


async def test_full_queue_is_429_and_nothing_dropped():
    ob = _outbox(None, max_messages=3, max_stored=10)
    for i in range(3):
        assert ob.submit(_body(id="f%d" % i))[0] == 202
    st, obj = ob.submit(_body(id="f3"))
    assert st == 429 and "pending" in obj["message"]
    assert ob.submit(_body(id="f1"))[0] == 202  # known id: still its status
    ob.store.min_free = 1 << 60
    ob.max_pending = 100
    assert ob.submit(_body(id="f4"))[0] == 503
    rmtree(ob.store.root)


async def test_ttl_expiry_fails():
    ob = _outbox(FakeModem())
    ob.submit(_body(id="e", validUntil="2001-01-01T00:00:00Z"))
    await _drain(ob)
    s = ob.status("e")
    assert s["state"] == "Failed" and s["recipients"][0]["error"] == "expired"
    rmtree(ob.store.root)


async def test_unset_clock_refuses_valid_until_and_keeps_ttl_as_the_validity_period():
    from smsgw import clock
    from smsgw.codec import pdu

    ob = _outbox(FakeModem())
    was = clock.source
    clock.source = "none"  # an ESP32 after power-on, before modem time or NTP
    try:
        st, obj = ob.submit(_body(id="u", validUntil="2099-01-01T00:00:00Z"))
        assert st == 400 and "clock" in obj["message"]
        assert ob.submit(_body(id="t", ttl=7200))[0] == 202
        await _drain(ob)
        assert ob.status("t")["state"] == "Sent"
        assert pdu.decode(ob.modem.sent[0])["vp"] == 7200  # the SMSC enforces the ttl
    finally:
        clock.source = was
    rmtree(ob.store.root)


async def test_list_paging_and_filter():
    from smsgw.net.messages_api import page, status_by_key  # GET /messages's

    ob = _outbox(FakeModem())
    for i in range(5):
        ob.submit(_body(id="l%d" % i))
    ob.cancel("l0")
    total, keys = page(ob, limit=2, offset=1)
    items = [status_by_key(ob, k) for k in keys]
    assert total == 5 and [x["id"] for x in items] == ["l3", "l2"]
    total, keys = page(ob, state="Cancelled")
    items = [status_by_key(ob, k) for k in keys]
    assert total == 1 and items[0]["id"] == "l0"
    rmtree(ob.store.root)


async def test_compaction_keeps_pending_and_bounds_store():
    ob = _outbox(FakeModem(), max_messages=5, max_stored=8)
    for i in range(30):
        assert ob.submit(_body(id="q%d" % i))[0] == 202
        await _drain(ob)
    assert ob.store.count() <= 8 and ob.store.compactions > 0
    assert ob.status("q29")["state"] == "Sent" and ob.status("q0") is None
    rmtree(ob.store.root)


def test_rfc3339():
    from smsgw.rfc3339 import parse as parse_rfc3339

    assert parse_rfc3339("1970-01-01T00:00:00Z") == 0
    assert parse_rfc3339("2026-11-25T21:00:00.123+01:00") == 1795636800


class FakePacer:
    def __init__(self, hold):
        self.hold = hold
        self.recorded = []
        self.asked = []

    def delay_ms(self, segments, priority=0):
        self.asked.append(segments)
        if priority >= 100:
            return 0
        if self.hold:
            self.hold -= 1
            return 5
        return 0

    def record(self, segments, priority=0):
        self.recorded.append(segments)


async def test_pacer_holds_and_priority_overtakes():
    m = FakeModem()
    ob = _outbox(m)
    ob.pacer = FakePacer(hold=3)
    ob.submit(_body(id="slow", textMessage={"text": "normal"}))
    await ob.send(ob.next_key())  # held: nothing sent, asks again later
    assert not m.sent and ob.counters["paced"] == 1
    ob.submit(_body(id="urgent", textMessage={"text": "urgent"}, priority=110))
    await ob.send(ob.next_key())
    from smsgw.codec import pdu

    assert pdu.decode(m.sent[0])["text"] == "urgent"
    await _drain(ob)
    assert ob.status("slow")["state"] == "Sent" and ob.pacer.recorded == [1, 1]
    rmtree(ob.store.root)


async def test_pacer_counts_the_codec_segments():
    m = FakeModem()
    ob = _outbox(m)
    ob.pacer = FakePacer(hold=0)
    ob.submit(_body(id="u2", textMessage={"text": "\u00e9\u4e2d" * 50},  # UCS-2: 100 units
                    phoneNumbers=["+491701234567", "+491701234568"]))
    ob.submit(_body(id="g7", textMessage={"text": "g" * 161}))  # GSM-7: 2 parts
    await _drain(ob)
    assert ob.pacer.asked == [4, 2] and ob.pacer.recorded == [2, 2, 2], ob.pacer.asked
    assert len(m.sent) == 6
    rmtree(ob.store.root)


async def test_modem_not_ready_sends_nothing_and_resumes():
    m = FakeModem()
    ob = _outbox(m)
    ob.ready = asyncio.Event()
    ob.submit(_body(id="wait", textMessage={"text": "w" * 200}))
    await ob.send(ob.next_key())
    assert not m.sent and ob.status("wait")["state"] == "Pending"  # no S journaled
    ob.ready.set()
    await _drain(ob)
    s = ob.status("wait")
    assert len(m.sent) == 2 and s["state"] == "Sent" and not s["recipients"][0]["error"]
    rmtree(ob.store.root)


def _concat_ref(hexpdu):
    # The 8-bit concatenation IE of a SUBMIT PDU's UDH: 05 00 03 <ref> <total> <seq>.
    i = hexpdu.upper().find("050003")
    assert i >= 0, hexpdu
    return int(hexpdu[i + 6:i + 8], 16)


async def test_concat_refs_follow_the_store_sequence_across_reboot():
    m = FakeModem()
    ob = _outbox(m)
    root = ob.store.root
    for i in range(3):
        assert ob.submit(_body(id="cc%d" % i, textMessage={"text": "y" * 200}))[0] == 202
    await _drain(ob)
    assert len(m.sent) == 6
    refs = [_concat_ref(h) for h in m.sent]
    assert refs == [0, 0, 1, 1, 2, 2], refs  # one ref per message, all parts share it
    assert [ob.store.get(ob.store.key_at(i))["ref"] for i in range(3)] == [0, 1, 2]
    m2 = FakeModem()
    ob2 = _outbox(m2, root=root)  # reboot: same flash
    assert ob2.submit(_body(id="cc3", textMessage={"text": "z" * 200}))[0] == 202
    await _drain(ob2)
    assert [_concat_ref(h) for h in m2.sent] == [3, 3]
    rmtree(root)


async def test_concat_refs_do_not_repeat_within_256_messages_with_compaction():
    import gc

    m = FakeModem()
    ob = _outbox(m, max_messages=5, max_stored=8)
    seen = bytearray(300)
    for i in range(300):
        st, obj = ob.submit(_body(id="r%d" % i, textMessage={"text": "r"}))
        assert st == 202
        seen[i] = ob.store.get(ob.store.key_at(ob.store.count() - 1))["ref"] & 0xFF
        await _drain(ob)
        assert len(m.sent) == 1, m.sent  # sent, not failed
        m.sent.clear()
        if i % 16 == 0:
            gc.collect()
    assert ob.store.compactions > 0
    last = [-1000] * 256  # where each 8-bit ref was last used
    for i, ref in enumerate(seen):
        assert i - last[ref] >= 256, (i, ref, last[ref])
        last[ref] = i
    rmtree(ob.store.root)


async def test_memory_error_at_send_time_is_counted_and_message_stays_pending():
    from smsgw import codec
    from smsgw.codec import submit

    m = FakeModem()
    ob = _outbox(m)
    real = submit.encode_submit
    calls = [0]

    def short_of_memory(*a, **kw):
        calls[0] += 1
        if calls[0] <= 2:
            raise MemoryError("memory allocation failed, allocating 2048 bytes")
        return real(*a, **kw)

    submit.encode_submit = short_of_memory
    release = codec.release
    codec.release = lambda: None  # the patched encoder must stay the one imported
    try:
        st, obj = ob.submit(_body(id="oom1"))
        assert st == 202
        ob.start()
        for _ in range(40):  # the first retry comes after ~1 s
            await asyncio.sleep_ms(50)
            if ob.counters["oom"]:
                break
        assert ob.counters["oom"] == 1, ob.counters
        st = ob.status("oom1")
        assert st["state"] == "Pending" and not m.sent, st  # not failed, not lost
        for _ in range(80):
            await asyncio.sleep_ms(50)
            if m.sent:
                break
        assert ob.counters["oom"] == 2 and len(m.sent) == 1, (ob.counters, m.sent)
        assert ob.status("oom1")["state"] == "Sent"
        assert ob.counters["failed"] == 0 and ob.counters["uncertain"] == 0
    finally:
        submit.encode_submit = real
        codec.release = release
        release()
        await ob.stop()
    rmtree(ob.store.root)


def _sent_texts(m):
    from smsgw.codec import pdu

    return [pdu.decode(h).get("text") for h in m.sent]


async def test_priority_orders_the_whole_range():
    m = FakeModem()
    ob = _outbox(m)
    for text, prio in (("a", 0), ("low", -5), ("c", 50), ("d", 50), ("top", 99), ("e", 0),
                       ("lowest", -128)):
        assert ob.submit(_body(textMessage={"text": text}, priority=prio))[0] == 202
    await _drain(ob)
    # highest first, ties in acceptance order; 0 is FIFO; below 0 after everything else
    assert _sent_texts(m) == ["top", "c", "d", "a", "e", "low", "lowest"], _sent_texts(m)
    rmtree(ob.store.root)


async def test_schedule_at_waits_until_due_also_across_a_reboot():
    from smsgw import clock

    m = FakeModem()
    ob = _outbox(m)
    root = ob.store.root
    due = clock.unix() + 3600
    st, obj = ob.submit(_body(id="later", scheduleAt=events.iso(due)))
    assert st == 202 and obj["scheduleAt"] == events.iso(due), obj
    assert ob.submit(_body(id="now", textMessage={"text": "now"}))[0] == 202
    await _drain(ob)
    assert _sent_texts(m) == ["now"] and ob.status("later")["state"] == "Pending"
    ob2 = _outbox(m, root=root)  # reboot: still waiting
    assert ob2.next_key() is None and ob2.status("later")["state"] == "Pending"
    real = clock.now
    clock.now = lambda: due + 1
    try:
        await _drain(ob2)
    finally:
        clock.now = real
    assert _sent_texts(m) == ["now", "hello"] and ob2.status("later")["state"] == "Sent"
    rmtree(root)


async def test_schedule_at_waits_and_says_so_while_the_clock_is_unset():
    from smsgw import clock

    m = FakeModem()
    ob = _outbox(m)
    src = clock.source
    clock.source = "none"
    try:
        st, obj = ob.submit(_body(id="s1", scheduleAt="2020-01-01T00:00:00Z"))
        assert st == 202
        await _drain(ob)
        st = ob.status("s1")
        assert st["state"] == "Pending" and "clock" in st["recipients"][0]["error"], st
    finally:
        clock.source = src
    await _drain(ob)
    assert ob.status("s1")["state"] == "Sent"
    rmtree(ob.store.root)


async def test_data_message_goes_out_8bit_to_its_port():
    from smsgw.codec import pdu

    m = FakeModem()
    ob = _outbox(m)
    body = {"dataMessage": {"data": "aGVsbG8=", "port": 2948}, "phoneNumbers": ["+15551234"]}
    assert ob.submit(body)[0] == 202
    assert ob.submit(dict(body, dataMessage={"data": "", "port": 1}))[0] == 400
    await _drain(ob)
    d = pdu.decode(m.sent[0])
    assert d["encoding"] == "8bit" and d["data"] == "68656C6C6F", d
    assert d["udh"]["port"]["dst"] == 2948
    rmtree(ob.store.root)


async def test_cancel_emits_sms_cancelled_and_lenient_numbers():
    got = []
    h = lambda n, p: got.append((n, p["messageId"], p["recipient"], p["sender"]))  # noqa: E731
    ob = _outbox(FakeModem())
    st, obj = ob.submit(_body(id="c1", phoneNumbers=["+49 (170) 123-4567", "12345"]))
    assert st == 202 and [r["phoneNumber"] for r in obj["recipients"]] == ["+491701234567",
                                                                            "12345"]
    assert ob.submit(_body(phoneNumbers=["Shop"]))[0] == 400
    assert ob.submit(_body(phoneNumbers=["Shop"]), 99, True)[0] == 202  # skipPhoneValidation
    events.subscribe(h)
    try:
        assert ob.cancel("c1")[0] == 200
    finally:
        events.unsubscribe(h)
    assert got == [("sms:cancelled", "c1", "+491701234567", None),
                   ("sms:cancelled", "c1", "12345", None)], got
    rmtree(ob.store.root)
