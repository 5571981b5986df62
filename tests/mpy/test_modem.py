# Modem driver on MicroPython against the in-memory fake stream of test_at.
# heapsize: 256K
# (160K until the bring-up, the state queries and USSD became modules loaded for their call:
# compiled from source again at each load, they ran out on the fragmented heap)
import asyncio

from smsgw.modem import profiles
from smsgw.modem.at import ATChannel
from smsgw.errors import ATError
from smsgw.modem.modem import Modem, ModemError
from smsgw.modem.urc import pdu_kind
from smsgw.modem.ussd import parse_cusd, ucs2_decode
from modem_replies import OK as _OK, base as _base
from test_at import FakeStream
from waits import until

DELIVER = "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07"
REPORT = "0006D60B911326880736F4111011719551401110117195714000"


def _modem(replies, model="SIM800", **cfg):
    s = FakeStream(replies)
    at = ATChannel(s)
    # the modem's timeouts at a tenth (AT+CMGL's 25 s: 2.5 s); at 0.01 its 250 ms ran out
    # on a busy machine (test_sweep_waits_for_room)
    c = {"time_scale": 0.1, "probe_ms": 100}
    c.update(cfg)
    return s, at, Modem(at, profiles.get(model), None, c)


async def _close(at, m):
    await m.stop()
    await at.stop()


async def test_start_sim800():
    s, at, m = _modem(_base())
    await m.start()
    st = m.status
    assert st["ready"] and st["registered"] and st["rssi"] == 18
    assert st["imei"] == "866123456789012" and st["model"] == "SIM800"
    assert "AT+CNMI=2,1,0,1,0" in s.commands
    await _close(at, m)


async def test_start_gets_a_modem_back_from_a_half_written_send():
    # The MCU reset between AT+CMGS and Ctrl-Z; the modem kept its power and still waits for
    # PDU data, taking "AT" as data: start() sends ESC and goes on (found by `make chaos`).
    r = _base()
    r["<esc>"] = _OK
    s, at, m = _modem(r)
    s.in_data = True
    await m.start()
    assert m.status["ready"]
    assert s.data_written == [(b"AT\r", b"\x1b")]  # the first AT went in as data; then ESC
    assert s.commands[0] == "AT"
    await _close(at, m)


async def test_start_sim7600_cgreg_counts():
    r = _base("SIM7600")
    r["AT+CREG?"] = b"\r\n+CREG: 0,3\r\n" + _OK  # LTE: CREG denied, CGREG registered
    s, at, m = _modem(r, "SIM7600")
    await m.start()
    assert m.status["registered"] and "AT+CNMI=1,1,0,1,0" in s.commands
    assert "AT+CGREG?" in s.commands
    await _close(at, m)


async def test_start_waits_for_sms_ready_and_autobaud():
    r = _base()
    state = {"ready": False, "at": 0}

    def at_reply(st, cmd):
        state["at"] += 1
        return _OK if state["at"] > 2 else b"\xff\x00"  # autobaud: garbage, then OK

    def cmgf(st, cmd):
        if state["ready"]:
            return _OK
        state["ready"] = True
        return b"\r\n+CMS ERROR: 302\r\n\r\nSMS Ready\r\n"

    r["AT"] = at_reply
    r["AT+CMGF=0"] = cmgf
    s, at, m = _modem(r, boot_timeout_ms=3000)
    await m.start()
    assert m.status["ready"] and s.commands.count("AT+CMGF=0") == 2
    assert at.counters["garbage"] >= 4
    await _close(at, m)


async def test_pin_sent_once_never_retried_when_wrong():
    r = _base()
    r["AT+CPIN?"] = b"\r\n+CPIN: SIM PIN\r\n" + _OK
    r['AT+CPIN="1111"'] = b"\r\n+CME ERROR: 16\r\n"
    s, at, m = _modem(r, pin="1111")
    for _ in range(2):
        try:
            await m.start()
            raise AssertionError("started with a wrong PIN")
        except ModemError as e:
            assert "PIN" in e.reason
    assert s.commands.count('AT+CPIN="1111"') == 1
    await _close(at, m)


async def test_pin_required_without_pin():
    r = _base()
    r["AT+CPIN?"] = b"\r\n+CPIN: SIM PIN\r\n" + _OK
    s, at, m = _modem(r)
    try:
        await m.start()
        raise AssertionError("started")
    except ModemError as e:
        assert e.reason == "SIM PIN required"
    await _close(at, m)


async def test_send_pdu_returns_mr():
    r = _base()
    r["AT+CMGS=20"] = b"\r\n> "
    r["<data>"] = b"\r\n+CMGS: 42\r\n" + _OK
    s, at, m = _modem(r)
    await m.start()
    assert await m.send_pdu("0011000B911326880736F40000A70568656C6C6F", 20) == 42
    assert s.data_written[-1] == (b"0011000B911326880736F40000A70568656C6C6F", b"\x1a")
    assert m.counters["sent"] == 1
    await _close(at, m)


async def test_send_pdu_cms_error():
    r = _base()
    r["AT+CMGS=20"] = b"\r\n> "
    r["<data>"] = b"\r\n+CMS ERROR: 500\r\n"
    s, at, m = _modem(r)
    await m.start()
    try:
        await m.send_pdu("00", 20)
        raise AssertionError("sent")
    except ATError as e:
        assert (e.kind, e.code) == ("CMS", 500)
    assert m.counters["send_errors"] == 1
    await _close(at, m)


async def test_reboot_mid_send_surfaces_error():
    r = _base()
    r["AT+CMGS=20"] = b"\r\n> "
    r["<data>"] = b"\x00\xff\r\nRDY\r\n\r\n+CFUN: 1\r\n"
    s, at, m = _modem(r)
    events = []
    m.listeners.append(lambda name, d: events.append(name))
    await m.start()
    try:
        await m.send_pdu("00", 20)
        raise AssertionError("sent")
    except ATError as e:
        assert e.kind == "REBOOT"
    assert not m.status["ready"] and m.status["reboot_seen"]
    assert m.counters["reboots"] == 1 and events == ["reboot"]
    await _close(at, m)


async def test_cmti_read_and_pushed():
    r = _base()
    r["AT+CMGR=3"] = b'\r\n+CMGR: 0,"",38\r\n' + DELIVER.encode() + b"\r\n" + _OK
    s, at, m = _modem(r)
    await m.start()
    s.feed(b'\r\n+CMTI: "SM",3\r\n')
    item = await asyncio.wait_for_ms(m.incoming.get(), 1000)
    assert item == ("sms", 3, DELIVER)
    assert "AT+CMGD=3" not in s.commands  # never deletes on its own
    await _close(at, m)


async def _reader_meets_no_heap(step):
    # `step` ("read_pdu" or "ring") raises MemoryError for message 3; returns what the reader
    # pushed for message 4 and the modem
    r = _base()
    r["AT+CMGR=3"] = b'\r\n+CMGR: 0,"",38\r\n' + DELIVER.encode() + b"\r\n" + _OK
    r["AT+CMGR=4"] = r["AT+CMGR=3"]
    s, at, m = _modem(r)
    await m.start()
    real, short = getattr(m, step), [1]

    def fail_once():
        if short[0]:
            short[0] -= 1
            raise MemoryError("memory allocation failed, allocating 128 bytes")

    async def read_pdu(i):
        fail_once()
        return await real(i)

    def ring(kind):
        fail_once()
        return real(kind)

    setattr(m, step, read_pdu if step == "read_pdu" else ring)
    s.feed(b'\r\n+CMTI: "SM",3\r\n')  # no heap for it: still on the SIM, for the sweep
    s.feed(b'\r\n+CMTI: "SM",4\r\n')
    item = await asyncio.wait_for_ms(m.incoming.get(), 1000)
    await _close(at, m)
    return item, m


async def test_no_heap_reading_a_message_leaves_it_for_the_sweep_and_the_reader_lives():
    # a MemoryError reading an announced message, or building its entry in the inbox's ring,
    # ended the worker that reads them: later announcements were never read (and the loop's
    # handler reset the board)
    for step in ("read_pdu", "ring"):
        item, m = await _reader_meets_no_heap(step)
        assert item == ("sms", 4, DELIVER) and m.counters["read_errors"] == 1, (step, item)
        assert m.counters["received"] == 1, step


async def test_cmt_and_cds_direct_and_cdsi():
    r = _base("SIM7600")
    r["AT+CMGR=0"] = b'\r\n+CMGR: 0,"",25\r\n' + REPORT.encode() + b"\r\n" + _OK
    s, at, m = _modem(r, "SIM7600")
    await m.start()
    s.feed(b'\r\n+CMT: "",38\r\n' + DELIVER.encode() + b"\r\n")
    s.feed(b"\r\n+CDS: 25\r\n" + REPORT.encode() + b"\r\n")
    s.feed(b'\r\n+CDSI: "SR",7\r\n')  # another store: not read with CMGR (counted)
    s.feed(b'\r\n+CDSI: "SM",0\r\n')
    got = [await asyncio.wait_for_ms(m.incoming.get(), 1000)]
    for _ in range(2):
        got.append(await asyncio.wait_for_ms(m.reports.get(), 1000))
    assert got == [("sms", None, DELIVER), ("report", None, REPORT), ("report", 0, REPORT)], got
    assert len(m.incoming) == 0  # reports go to the outbox's ring, not the inbox's
    assert m.counters["skipped"] == 1 and "AT+CMGR=7" not in s.commands
    await _close(at, m)


async def test_sweep_lists_everything():
    r = _base()
    sub = "0011000B911326880736F40000A70568656C6C6F"
    r["AT+CMGL=4"] = (
        b'\r\n+CMGL: 1,1,"",38\r\n' + DELIVER.encode() + b"\r\n"
        b'+CMGL: 2,3,"",20\r\n' + sub.encode() + b"\r\n"
        b'+CMGL: 5,0,"",25\r\n' + REPORT.encode() + b"\r\n" + _OK
    )
    r["AT+CMGD=1"] = _OK
    for i, h in ((1, DELIVER), (2, sub), (5, REPORT)):
        r["AT+CMGR=%d" % i] = b'\r\n+CMGR: 1,"",20\r\n' + h.encode() + b"\r\n" + _OK
    s, at, m = _modem(r)
    await m.start()
    assert await m.sweep() == 2
    assert m.incoming.get_nowait() == ("sms", 1, DELIVER)
    assert m.reports.get_nowait() == ("report", 5, REPORT) and len(m.incoming) == 0
    assert [c for c in s.commands if c.startswith("AT+CMG")][-4:] == [
        "AT+CMGL=4", "AT+CMGR=1", "AT+CMGR=2", "AT+CMGR=5"]  # fmt: skip
    await m.delete(1)
    assert s.commands[-1] == "AT+CMGD=1"
    await _close(at, m)


async def test_sweep_waits_for_room():
    # A full ring blocks the sweep (messages stay in storage) instead of dropping anything.
    r = _base()
    r["AT+CMGL=4"] = b"".join(
        b'\r\n+CMGL: %d,1,"",38\r\n' % i + DELIVER.encode() for i in range(1, 6)
    ) + b"\r\n" + _OK
    for i in range(1, 6):
        r["AT+CMGR=%d" % i] = b'\r\n+CMGR: 1,"",38\r\n' + DELIVER.encode() + b"\r\n" + _OK
    s, at, m = _modem(r, queue_depth=4)  # 2 slots for sweeps, 2 reserved for +CMT
    await m.start()
    t = asyncio.create_task(m.sweep())
    for _ in range(100):
        if len(m.incoming) == 2:
            break
        await asyncio.sleep_ms(10)
    await asyncio.sleep_ms(200)
    assert len(m.incoming) == 2 and not t.done(), (len(m.incoming), t.done(), s.commands[-6:])
    got = []
    while len(got) < 5:
        got.append((await asyncio.wait_for_ms(m.incoming.get(), 1000))[1])
    n = await t
    assert n == 5 and got == [1, 2, 3, 4, 5] and m.incoming.discards == 0, (n, got)
    await _close(at, m)


async def test_queue_full_policy():
    r = _base()
    s, at, m = _modem(r, queue_depth=3)
    await m.start()
    for _ in range(4):
        s.feed(b'\r\n+CMT: "",38\r\n' + DELIVER.encode() + b"\r\n")
    c = m.counters
    await until(lambda: c["received"] + c["direct_lost"] == 4)
    assert len(m.incoming) == 3 and m.counters["direct_lost"] == 1, (len(m.incoming), m.counters)
    assert m.incoming.discards == 1
    await _close(at, m)


async def test_ussd_both_spacings():
    r = _base()
    r['AT+CUSD=1,"*100#",15'] = _OK
    s, at, m = _modem(r)
    await m.start()

    async def later():
        await asyncio.sleep_ms(30)
        s.feed(b'\r\n+CUSD: 0, "Balance:40,60r", 15\r\n')

    t = asyncio.create_task(later())
    assert await m.ussd("*100#", 1000) == (0, "Balance:40,60r", 15)
    await t
    r['AT+CUSD=1,"*101#",15'] = b'\r\n+CUSD: 0,"0042006100BB",72\r\n' + _OK  # URC before OK
    assert await m.ussd("*101#", 1000) == (0, "Ba\xbb", 72)
    await _close(at, m)


def test_parsers():
    assert parse_cusd("+CUSD: 2") == (2, None, None)
    assert parse_cusd('+CUSD: 1,"menu",15') == (1, "menu", 15)
    assert ucs2_decode("D83DDE00") == "\U0001F600"
    assert pdu_kind(DELIVER) == "sms" and pdu_kind(REPORT) == "report"
    assert pdu_kind("0011000B91") is None and pdu_kind("zz") == "sms"


async def test_registration_urc_updates_status():
    s, at, m = _modem(_base())
    await m.start()
    s.feed(b"\r\n+CREG: 2\r\n")
    await until(lambda: m.status["reg"] == 2)
    assert not m.status["registered"]
    s.feed(b'\r\n+CREG: 5,"00C3","1A2B"\r\n')
    await until(lambda: m.status["reg"] == 5)
    assert m.status["registered"]
    await _close(at, m)


async def test_under_voltage_event():
    s, at, m = _modem(_base())
    ev = []
    m.listeners.append(lambda n, d: ev.append((n, d)))
    await m.start()
    s.feed(b"\r\nUNDER-VOLTAGE WARNNING\r\n")
    await until(lambda: ev)
    assert ev == [("under_voltage", "UNDER-VOLTAGE WARNNING")]
    assert m.counters["under_voltage"] == 1 and m.status["ready"]
    await _close(at, m)


async def _kept_without_heap(lines):
    # a started modem (its events' names in `ev`) fed `lines` while smsgw.modem.news cannot be
    # loaded: each rare line waits for that code (news_waits)
    from noheap import no_heap_for

    s, at, m = _modem(_base())
    ev = []
    m.listeners.append(lambda n, d: ev.append(n))
    await m.start()
    with no_heap_for("smsgw.modem", "news"):
        for line in lines:
            s.feed(b"\r\n" + line + b"\r\n")
        await until(lambda: m.counters["news_waits"] == len(lines))
    return s, at, m, ev


async def test_rare_lines_met_without_heap_for_their_code_are_handled_late_not_lost():
    # a reboot or an under-voltage warning during a heap shortage: smsgw.modem.news cannot be
    # loaded; the line waits, in order, for the next rare line or probe (4 at most: the oldest
    # goes first)
    s, at, m, ev = await _kept_without_heap((b"+CPIN: SIM PIN", b"UNDER-VOLTAGE WARNNING",
                                             b"RDY", b"+CPIN: READY", b"+CPIN: READY"))
    assert ev == [] and m.status["ready"] and m.counters["news_lost"] == 1
    await m.probe()  # room again: the kept lines in their order
    assert ev == ["under_voltage", "reboot"] and m.counters["reboots"] == 1
    assert m.status["sim"] == "READY" and not m.status["ready"]
    assert m.counters["under_voltage"] == 1 and at.counters["urc_errors"] == 0
    await _close(at, m)


async def test_a_rare_line_with_room_again_drops_none_of_the_kept_ones():
    # four lines kept while there was no heap, then a fifth with room: all five are handled,
    # in order (the bound applied before trying dropped the oldest)
    s, at, m, ev = await _kept_without_heap([b"UNDER-VOLTAGE WARNNING"] * 4)
    s.feed(b"\r\nRDY\r\n")
    await until(lambda: "reboot" in ev)
    assert ev == ["under_voltage"] * 4 + ["reboot"] and m.counters["news_lost"] == 0
    await _close(at, m)


async def test_battery_both_formats():
    r = _base()
    r["AT+CBC"] = b"\r\n+CBC: 0,85,4050\r\n" + _OK
    s, at, m = _modem(r)
    assert await m.battery() == 4050
    r["AT+CBC"] = b"\r\n+CBC: 3.591V\r\n" + _OK
    assert await m.battery() == 3591
    await _close(at, m)


async def test_mangled_answers_are_errors_not_crashes():
    r = _base()
    s, at, m = _modem(r)
    await m.start()
    r["AT+CSQ"] = b"\r\n+CSQ: 1x\r\n" + _OK
    try:
        await m.signal()
        raise AssertionError("parsed")
    except ATError as e:
        assert e.kind == "PARSE"
    r["AT+CMGL=4"] = (
        b'\r\n+CMGL: ?,1,"",38\r\n' + DELIVER.encode() + b"\r\n"
        b'+CMGL: 4,1,"",38\r\n' + DELIVER.encode() + b"\r\n" + _OK
    )
    r["AT+CMGR=4"] = b'\r\n+CMGR: 1,"",38\r\n' + DELIVER.encode() + b"\r\n" + _OK
    assert await m.sweep() == 1 and m.incoming.get_nowait() == ("sms", 4, DELIVER)
    assert m.counters["skipped"] == 1
    # found by the AT fuzz campaign (tests/fuzz): these escaped as OverflowError / ValueError
    for answer in (b"+CBC: infV", b"+CBC: nanV", b"+CBC: 0,85,x"):
        r["AT+CBC"] = b"\r\n" + answer + b"\r\n" + _OK
        try:
            await m.battery()
            raise AssertionError("parsed %s" % answer)
        except ATError as e:
            assert e.kind == "PARSE"
    r["AT+CMGS=20"] = b"\r\n> "
    r["<data>"] = b"\r\n+CMGS: x1\r\n" + _OK  # noise on the TP-MR: the part may be out
    try:
        await m.send_pdu("00", 20)
        raise AssertionError("parsed")
    except ATError as e:
        assert e.kind == "PARSE"
    assert m.counters["send_errors"] == 1 and m.counters["sent"] == 0
    await _close(at, m)
