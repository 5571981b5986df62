# heapsize: 256K (net/queue_upkeep compiles from source again at each use, as inbox_ops does)
# Webhooks on the MicroPython unix port: HMAC vectors, URL rules, registry, the flash journal
# (power cut = a new instance on the same files), delivery with back-off, dead letters, replay.
# The receiver here is an asyncio server in the same interpreter; tests/events/ checks the
# signatures with CPython's hmac against a real HTTP server.
import asyncio
import json
import os
import sys

from fsutil import scratch
from localnet import serve
from smsgw import events
from smsgw.fstree import rmtree
from smsgw.net import httpc, webhook_cfg, webhooks
from smsgw.net.url import http as http_url
from smsgw.net import webhook_admin as admin
from smsgw.errors import ConfigError
from smsgw.hmac import sha256_hex
from smsgw.net.webhook_queue import Journal
from waits import until

def test_hmac_rfc4231_vectors():
    # RFC 4231 test cases 1, 2 and 6 (key longer than the block)
    assert sha256_hex(b"\x0b" * 20, b"Hi There") == (
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    )
    assert sha256_hex(b"Jefe", b"what do ya want ", "for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    msg = b"Test Using Larger Than Block-Size Key - Hash Key First"
    assert sha256_hex(b"\xaa" * 131, msg) == (
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    )


def test_http_url_accepts_http_https_and_refuses_the_rest():
    assert http_url("http://h/x?y=1") == (False, "h", 80, "/x?y=1")
    assert http_url("https://h.example:8443") == (True, "h.example", 8443, "/")
    assert http_url("http://[::1]:81/a") == (False, "::1", 81, "/a")
    bad = ["ftp://h/", "http://", "http://h:0/", "http://h:99999/", "http://h:x/", "h/x",
           "http://a b/", "http://u:p@h/", None, 5, "http://" + "a" * 300]
    for url in bad:
        try:
            http_url(url)
        except ValueError:
            continue
        raise AssertionError("accepted %r" % (url,))


def test_validate_merges_defaults_and_names_the_bad_key():
    cfg = webhook_cfg.validate({"signing_key": "k", "retry_count": 3})
    assert cfg["retry_count"] == 3 and cfg["retry_base_s"] == 10 and cfg["signing_key"] == "k"
    for bad, key in (({"retry_count": 0}, "webhooks.retry_count"),
                     ({"timeout_s": "x"}, "webhooks.timeout_s"),
                     ({"nope": 1}, "webhooks.nope"), ({"signing_key": 5}, "webhooks.signing_key")):
        try:
            webhook_cfg.validate(bad)
        except ConfigError as exc:
            assert exc.key == key, exc.key
        else:
            raise AssertionError(bad)


def test_registry_create_delete_and_persist():
    d = scratch("wh")
    try:
        w = webhooks.Webhooks(d)
        st, h = admin.create(w, {"url": "http://127.0.0.1:9/x", "event": "sms:received"})
        assert st == 201 and len(h["id"]) == 16 and h["event"] == "sms:received"
        st, h2 = admin.create(w, {"id": "mine", "url": "https://e.x/y", "event": "sms:sent"})
        assert st == 201 and h2 == {"id": "mine", "url": "https://e.x/y", "event": "sms:sent"}
        assert admin.create(w, {"url": "ftp://x", "event": "sms:sent"})[0] == 400
        assert admin.create(w, {"url": "http://x/", "event": "sms:bogus"})[0] == 400
        assert admin.create(w, None)[0] == 400
        for bad_id in ("a b", "a/b", "a\nb", "é", "", "x" * 65, 7):
            bad = {"id": bad_id, "url": "http://x/", "event": "sms:sent"}
            assert admin.create(w, bad)[0] == 400
        st, h3 = admin.create(w, {"id": "mine", "url": "http://e.x/z", "event": "sms:failed"})
        assert st == 201 and len(w.hooks) == 2  # same id replaces
        w2 = webhooks.Webhooks(d)  # reboot
        assert sorted(x["id"] for x in w2.hooks) == sorted([h["id"], "mine"])
        assert admin.delete(w2, "mine") == 204 and admin.delete(w2, "mine") == 404
        assert [x["id"] for x in webhooks.Webhooks(d).hooks] == [h["id"]]
    finally:
        rmtree(d)


def test_signing_key_is_not_in_the_registry():
    d = scratch("wh")
    try:
        w = webhooks.Webhooks(d, {"signing_key": "s3cret-key"})
        admin.create(w, {"url": "http://127.0.0.1:9/x", "event": "sms:received"})
        assert "s3cret" not in json.dumps(w.hooks)
        with open(d + "/webhooks.json") as f:
            assert "s3cret" not in f.read()
    finally:
        rmtree(d)


def test_journal_survives_power_cut_and_torn_line():
    d = scratch("wh")
    try:
        j = Journal(d, queue_max=10)
        for i in range(4):
            j.add("w%d" % i, b'{"n": %d}' % i)
        j.failed(j.pending[1], 5000)
        j.done(j.pending[0])
        with open(d + "/wh_queue.log", "ab") as f:
            f.write(b"A 99 0 wX {\"torn")  # power cut in the middle of an append
        j2 = Journal(d, queue_max=10)
        got = [(e[0], e[1]) + j2.read(e) for e in j2.pending]
        assert got == [(2, 1, "w1", b'{"n": 1}'), (3, 0, "w2", b'{"n": 2}'),
                       (4, 0, "w3", b'{"n": 3}')], got
        assert j2.next_seq == 5
        j2.add("w9", b"{}")
        assert Journal(d).pending[-1][0] == 5
    finally:
        rmtree(d)


def test_journal_compacts_and_keeps_sequence():
    d = scratch("wh")
    try:
        j = Journal(d, queue_max=10)
        body = b'{"pad": "' + b"x" * 200 + b'"}'
        for i in range(200):
            j.add("w", body)
            j.done(j.pending[0])
        j.add("w", b'{"last": 1}')
        size = os.stat(d + "/wh_queue.log")[6]
        assert size < 4096 + 512, size
        j2 = Journal(d)
        assert [e[0] for e in j2.pending] == [201] and j2.read(j2.pending[0])[1] == b'{"last": 1}'
        j2.done(j2.pending[0])
        assert Journal(d).next_seq == 202  # ids never reused after compaction
    finally:
        rmtree(d)


def test_overflow_moves_oldest_to_dead_and_dead_is_bounded():
    d = scratch("wh")
    try:
        j = Journal(d, queue_max=3, dead_max=2)
        for i in range(7):
            j.add("w", b'{"id": "e%d"}' % i)
        assert len(j.pending) == 3
        dead = j.dead()
        assert [x[3] for x in dead] == [b'{"id": "e2"}', b'{"id": "e3"}'], dead
        assert all(x[2] == "overflow" for x in dead) and j.dropped == 2
    finally:
        rmtree(d)


def test_events_held_for_want_of_heap_are_bounded_and_journaled_in_order():
    d = scratch("wh")
    try:
        j = Journal(d)
        c = {"oom": 0, "lost": 0}
        done, room = [], [False]

        def journal(i):
            if not room[0]:
                raise MemoryError("memory allocation failed, allocating 512 bytes")
            done.append(i)

        for i in range(10):
            j.hold(c, journal, i)
        assert done == [] and len(j.held) == 8 and c["lost"] == 2 and c["oom"] == 10
        assert events.held == 8  # the store's hand-off intents stay while any is held
        room[0] = True
        j.hold(c, journal, 10)  # room again: the held ones first, then this one
        assert done == list(range(2, 11)) and j.held == [] and events.held == 0
    finally:
        rmtree(d)


async def _read_request(reader):
    # the whole request, as a real server reads it: closing a socket with unread bytes sends
    # an RST, and MicroPython's stream read then drops the answer it had already received
    line = await reader.readline()
    headers = {}
    while True:
        h = await reader.readline()
        if h in (b"\r\n", b""):
            break
        k, v = h.decode().split(":", 1)
        headers[k.strip().lower()] = v.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return line, headers, body


class _Receiver:
    """An asyncio HTTP receiver: answers `codes` in turn (then 200) and records requests."""

    def __init__(self, codes=()):
        self.codes = list(codes)
        self.got = []
        self.server = None
        self.port = None
        self.url = None

    async def start(self):
        self.server, self.port = await serve(self._handle)
        self.url = "http://127.0.0.1:%d/hook" % self.port
        return self.url

    async def _handle(self, reader, writer):
        self.got.append(await _read_request(reader))
        code = self.codes.pop(0) if self.codes else 200
        writer.write(b"HTTP/1.1 %d X\r\nContent-Length: 2\r\n\r\nok" % code)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def stop(self):
        self.server.close()
        await self.server.wait_closed()


class _Hooked:
    """`async with _Hooked(event, cfg, codes) as (w, rx):` a scratch folder, a _Receiver
    answering `codes`, and Webhooks (device "dev1") with hook "h1" for `event` pointing at it;
    the receiver stopped and the folder gone afterwards."""

    def __init__(self, event, cfg=None, codes=(), now=lambda: 1700000000):
        self.event, self.cfg, self.now = event, cfg, now
        self.rx = _Receiver(codes)
        self.d = None

    async def __aenter__(self):
        self.d = scratch("wh")
        url = await self.rx.start()
        w = webhooks.Webhooks(self.d, self.cfg, "dev1", now=self.now)
        admin.create(w, {"id": "h1", "url": url, "event": self.event})
        return w, self.rx

    async def __aexit__(self, *exc):
        await self.rx.stop()
        rmtree(self.d)


async def test_delivery_signed_retried_then_delivered():
    cfg = {"signing_key": "k3y", "retry_base_s": 0.02}
    async with _Hooked("sms:received", cfg, [500, 503]) as (w, rx):
        admin.create(w, {"id": "h2", "url": rx.url, "event": "sms:sent"})
        w.start()
        assert w.on_event("sms:received", {"message": "hi", "phoneNumber": "+1"}) == 1
        assert w.on_event("sms:delivered", {}) == 0  # nobody listens: nothing stored
        await until(lambda: w.counters["delivered"] == 1)
        assert len(rx.got) == 3 and w.counters["tries_failed"] == 2
        line, headers, body = rx.got[-1]
        assert line.startswith(b"POST /hook HTTP/1.1")
        assert headers["x-timestamp"] == "1700000000"
        assert headers["x-signature"] == sha256_hex("k3y", body, "1700000000")
        env = json.loads(body)
        assert env["webhookId"] == "h1" and env["deviceId"] == "dev1"
        assert env["event"] == "sms:received" and env["payload"]["message"] == "hi"
        assert len(set(json.loads(g[2])["id"] for g in rx.got)) == 1  # same id on every try
        assert w.queue.pending == []
        await w.stop()


_SEND = ("smsgw.net.webhook_send", "smsgw.net.httpc", "smsgw.net.tcp", "smsgw.net.url",
         "smsgw.hmac", "smsgw.net.webhook_target")


async def test_delivery_code_is_loaded_while_deliveries_are_pending_only():
    async with _Hooked("sms:sent", {"retry_base_s": 0.02}, [500]) as (w, rx):
        w.start()
        for i in range(2):  # a failed try and its retry, then a second event later
            w.on_event("sms:sent", {"messageId": "m%d" % i})
            # loaded by the event itself: a burst of deliveries fragments the heap after it
            assert all(n in sys.modules for n in _SEND)
            await until(lambda: w.counters["delivered"] == i + 1)
            # the journal is empty: the task sleeps without the HTTP client, hmac, the try
            await until(lambda: not any(n in sys.modules for n in _SEND))
        assert w.counters["tries_failed"] == 1 and len(rx.got) == 3
        await w.stop()


async def test_no_heap_for_the_delivery_code_postpones_without_spending_a_try():
    real = sys.modules.pop("smsgw.net.webhook_send", None)

    class _NoHeap:  # what `from smsgw.net.webhook_send import attempt` meets on a full heap
        def __getattr__(self, name):
            raise MemoryError("memory allocation failed")

    sys.modules["smsgw.net.webhook_send"] = _NoHeap()
    try:
        async with _Hooked("sms:sent") as (w, rx):
            w.on_event("sms:sent", {})
            entry = w.queue.pending[0]
            assert await w.deliver(entry) is False
            assert entry[1] == 0 and w.counters["tries_failed"] == 0 and rx.got == []
            assert "MemoryError" in w.last_error and w.queue.due()[1] > 0  # due again later
            del sys.modules["smsgw.net.webhook_send"]  # room again: the same entry goes out
            assert await w.deliver(entry) is True and len(rx.got) == 1
    finally:
        sys.modules.pop("smsgw.net.webhook_send", None)
        if real is not None:
            sys.modules["smsgw.net.webhook_send"] = real


async def test_no_heap_during_a_try_is_counted_and_retried_and_the_task_lives():
    # a MemoryError out of a try (here: reading the entry back from the journal) ended the
    # delivery task, and the loop's handler reset the board
    async with _Hooked("sms:sent") as (w, rx):
        real, short = w.queue.read, [1]

        def read(entry):
            if short[0]:
                short[0] -= 1
                raise MemoryError("memory allocation failed, allocating 322 bytes")
            return real(entry)

        w.queue.read = read
        t = w.start()
        w.on_event("sms:sent", {"messageId": "m1"})
        await until(lambda: w.counters["oom"] == 1)
        assert not t.done() and rx.got == [] and w.queue.pending[0][1] == 0  # no try spent
        await until(lambda: w.counters["delivered"] == 1)  # a second later
        assert len(rx.got) == 1 and w.counters["tries_failed"] == 0
        # no heap in the POST itself: the heap's fault, not the receiver's, so no try spent
        # either (with the tries spent, a board short of heap sent deliveries to the dead list)
        w.on_event("sms:sent", {"messageId": "m2"})
        httpc = sys.modules["smsgw.net.httpc"]  # loaded by the event, for this delivery
        real_request, calls = httpc.request, [0]

        async def request(*args):
            calls[0] += 1
            if calls[0] == 1:
                raise MemoryError("memory allocation failed, allocating 1024 bytes")
            return await real_request(*args)

        httpc.request = request
        await until(lambda: w.counters["delivered"] == 2)
        assert calls[0] == 2 and w.counters["oom"] == 2 and w.counters["tries_failed"] == 0
        assert len(rx.got) == 2 and not t.done()
        await w.stop()


async def test_no_heap_for_the_loop_itself_is_counted_and_the_task_lives():
    # a MemoryError outside a try (the idle wait's timer, the due entry) ended the delivery
    # task, and the loop's handler reset the board
    async with _Hooked("sms:sent") as (w, rx):
        real, short = w.queue.due, [2]

        def due():
            if short[0]:
                short[0] -= 1
                raise MemoryError("memory allocation failed, allocating 100 bytes")
            return real()

        w.queue.due = due
        t = w.start()
        w.on_event("sms:sent", {"messageId": "m1"})
        await until(lambda: w.counters["delivered"] == 1)
        assert w.counters["oom"] == 2 and not t.done() and len(rx.got) == 1
        await w.stop()


async def test_no_heap_to_journal_an_event_holds_it_for_the_task_not_lost():
    # a MemoryError journaling an event (its envelopes, the journal's lines) lost it: events.emit
    # counted the handler's error and no delivery was ever made
    async with _Hooked("sms:received") as (w, rx):
        admin.create(w, {"id": "h2", "url": rx.url, "event": "sms:received"})
        real, fails = w.queue.add, [False, True, True]  # h1 goes in, h2 meets no heap twice

        def add(wid, body, tries=0):
            if fails and fails.pop(0):
                raise MemoryError("memory allocation failed, allocating 512 bytes")
            return real(wid, body, tries)

        w.queue.add = add
        w.online = asyncio.Event()  # no Wi-Fi: nothing is tried, but the journal is written
        assert w.on_event("sms:received", {"message": "hi"}) == 2
        assert len(w.queue.pending) == 1 and len(w.queue.held) == 1  # h1 journaled, h2 held
        assert events.held == 1
        t = w.start()
        await until(lambda: len(w.queue.pending) == 2)  # h2 journaled by the task later
        assert events.held == 0 and rx.got == []
        w.online.set()
        await until(lambda: w.counters["delivered"] == 2)
        envs = [json.loads(g[2]) for g in rx.got]
        assert sorted(e["webhookId"] for e in envs) == ["h1", "h2"], envs
        assert envs[0]["id"] == envs[1]["id"] and envs[1]["payload"] == {"message": "hi"}
        assert w.counters["oom"] == 2 and w.counters["lost"] == 0 and not t.done()
        await w.stop()


async def test_delivery_waits_for_the_clock_without_spending_tries():
    now = [None]  # an ESP32 after power-on: the RTC says 2000 until the modem or NTP set it
    async with _Hooked("sms:received", {"retry_count": 2}, now=lambda: now[0]) as (w, rx):
        w.start()
        w.on_event("sms:received", {"message": "hi"})
        await until(lambda: w.counters["clock_wait"] >= 1)
        assert rx.got == [] and w.queue.pending[0][1] == 0  # nothing sent, no try spent
        now[0] = 1800000000
        w.queue.postpone(w.queue.pending[0], 0)  # (the task would look again in 10 s)
        w._wake.set()
        await until(lambda: w.counters["delivered"] == 1)
        assert rx.got[0][1]["x-timestamp"] == "1800000000"
        await w.stop()


async def test_delivery_waits_for_the_network_without_spending_tries():
    async with _Hooked("sms:received", {"retry_count": 2}) as (w, rx):
        w.online = asyncio.Event()  # ctx.online: Wi-Fi down (net/wifi.py clears it)
        w.start()
        w.on_event("sms:received", {"message": "while offline"})
        await asyncio.sleep_ms(200)
        assert rx.got == [] and len(w.queue.pending) == 1  # queued, nothing tried
        assert w.counters["tries_failed"] == 0 and w.queue.pending[0][1] == 0
        w.online.set()  # joined again
        await until(lambda: w.counters["delivered"] == 1)
        assert json.loads(rx.got[0][2])["payload"]["message"] == "while offline"
        await w.stop()


async def test_dead_after_retry_count_then_replay():
    cfg = {"retry_count": 3, "retry_base_s": 0.01}
    async with _Hooked("sms:failed", cfg, [500] * 3) as (w, rx):
        w.start()
        w.on_event("sms:failed", {"reason": "x"})
        await until(lambda: w.counters["dead"] == 1)
        dead = admin.dead_list(w)
        assert len(dead) == 1 and dead[0]["tries"] == 3 and dead[0]["reason"] == "tries"
        assert dead[0]["webhookId"] == "h1" and dead[0]["payload"] == {"reason": "x"}
        assert "X-Signature" not in str(rx.got[0][1]) and "x-signature" not in rx.got[0][1]
        assert admin.replay(w, {"ids": ["nope"]}) == (200, {"replayed": 0})
        assert admin.replay(w, {"ids": "bad"})[0] == 400
        await until(lambda: not any(n in sys.modules for n in _SEND))  # nothing pending
        assert admin.replay(w, {"ids": [dead[0]["id"]]}) == (200, {"replayed": 1})
        assert all(n in sys.modules for n in _SEND)  # brought in by the replay, as by an event
        await until(lambda: w.counters["delivered"] == 1)
        assert admin.dead_list(w) == [] and len(rx.got) == 4
        assert json.loads(rx.got[-1][2])["id"] == dead[0]["id"]
        await w.stop()


async def test_pending_deliveries_resume_after_power_cut():
    d = scratch("wh")
    try:
        w = webhooks.Webhooks(d, {"retry_base_s": 60}, "dev1")
        admin.create(w, {"id": "h1", "url": "http://127.0.0.1:9/none", "event": "sms:sent"})
        for i in range(3):
            w.on_event("sms:sent", {"messageId": "m%d" % i})
        w.start()
        await until(lambda: w.counters["tries_failed"] >= 3)  # receiver down: all wait 60 s
        await w.stop()
        rx = _Receiver()
        url = await rx.start()
        w2 = webhooks.Webhooks(d, {"retry_base_s": 60}, "dev1")  # power cut, new boot
        assert len(w2.queue.pending) == 3 and all(e[1] == 1 for e in w2.queue.pending)
        admin.create(w2, {"id": "h1", "url": url, "event": "sms:sent"})
        w2.start()
        await until(lambda: w2.counters["delivered"] == 3)
        got = [json.loads(g[2])["payload"]["messageId"] for g in rx.got]
        assert got == ["m0", "m1", "m2"], got
        await w2.stop()
        await rx.stop()
    finally:
        rmtree(d)


async def test_deleted_webhook_drops_its_pending_and_timeout_counts_as_failure():
    d = scratch("wh")

    async def hang(reader, writer):
        await asyncio.sleep(5)

    srv, port = await serve(hang)
    try:
        w = webhooks.Webhooks(d, {"timeout_s": 0.2, "retry_base_s": 60})
        admin.create(w, {"id": "slow", "url": "http://127.0.0.1:%d/" % port, "event": "sms:sent"})
        w.on_event("sms:sent", {})
        ok = await w.deliver(w.queue.pending[0])
        assert not ok and "TimeoutError" in w.last_error and w.queue.pending[0][1] == 1
        admin.delete(w, "slow")
        assert not await w.deliver(w.queue.pending[0]) and w.queue.pending == []
    finally:
        srv.close()
        await srv.wait_closed()
        rmtree(d)


async def test_overflow_while_a_delivery_is_in_flight_keeps_the_task_alive():
    d = scratch("wh")

    async def slow(reader, writer):
        await _read_request(reader)
        await asyncio.sleep_ms(200)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    srv, port = await serve(slow)
    try:
        w = webhooks.Webhooks(d, {"queue_max": 2, "dead_max": 50})
        admin.create(w, {"id": "s", "url": "http://127.0.0.1:%d/" % port, "event": "sms:sent"})
        task = w.start()
        w.on_event("sms:sent", {"n": 0})
        await asyncio.sleep_ms(50)  # n=0 is in flight now
        for i in range(1, 6):
            w.on_event("sms:sent", {"n": i})  # overflows while n=0 is being delivered
        await until(lambda: not w.queue.pending)
        assert w.counters["delivered"] == 2 and w.counters["overflow"] == 4
        dead = sorted(json.loads(x[3])["payload"]["n"] for x in w.queue.dead())
        assert dead == [1, 2, 3, 4], dead  # the in-flight one was not the victim
        assert not task.done()
        await w.stop()
    finally:
        srv.close()
        await srv.wait_closed()
        rmtree(d)


def test_damaged_journal_line_and_torn_dead_line_are_survived():
    d = scratch("wh")
    try:
        j = Journal(d)
        j.add("w", b'{"n": 1}')
        j.add("w", b'{"n": 2}')
        with open(d + "/wh_queue.log", "ab") as f:
            f.write(b"T x?y 1\nA 7 0 w {\"n\": 7}\n")  # bit rot, then a good record
        with open(d + "/wh_dead.log", "ab") as f:
            f.write(b'w 3 tries {"id": "old"}\nw 3 tri')  # torn mid-append
        j2 = Journal(d)
        assert j2.corrupt == 1 and [e[0] for e in j2.pending] == [1, 2, 7]
        assert [x[3] for x in j2.dead()] == [b'{"id": "old"}']
        j2.to_dead(j2.pending[0], "tries")  # appends cleanly after the cleaned tail
        assert [x[3] for x in Journal(d).dead()] == [b'{"id": "old"}', b'{"n": 1}']
    finally:
        rmtree(d)


async def test_status_without_content_length_does_not_wait_for_the_deadline():
    async def keep_open(reader, writer):
        await reader.readline()
        writer.write(b"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(3)  # never closes in time

    srv, port = await serve(keep_open)
    try:
        import time

        t0 = time.ticks_ms()
        status, body = await httpc.request("POST", "http://127.0.0.1:%d/" % port, b"{}", (), 2)
        assert status == 204 and body == b""
        assert time.ticks_diff(time.ticks_ms(), t0) < 1000
    finally:
        srv.close()
        await srv.wait_closed()


def test_health_check_warns_on_dead_letters_and_an_unset_clock():
    d = scratch("wh")
    try:
        now = [1800000000]
        w = webhooks.Webhooks(d, {}, "dev", now=lambda: now[0])
        assert w.health_check()["status"] == "pass"
        now[0] = None  # an ESP32 after power-on, before the modem or NTP set its clock
        hc = w.health_check()
        assert hc["status"] == "warn" and "clock not set" in hc["description"]
        now[0] = 1800000000
        w.counters["dead"] = 1
        assert w.health_check()["status"] == "warn"
    finally:
        rmtree(d)
