#!/usr/bin/env python3
"""Power-cut campaign: N cuts at random instants during mixed traffic, then a full audit.

One simulated modem outlives every cut (a real modem is powered separately from the ESP32; its
SIM storage and the SMSC keep what they hold); the board's flash folder is kept; only the
interpreter is killed (SIGKILL: nothing flushed) and started again. Traffic runs all along:
HTTP sends (single and multipart, one or two recipients, and idempotent retries of the same id
when an answer was lost), inbound SMS injected through the simulator's control port, and
unsigned webhooks (sms:received, sms:sent) to a real HTTP receiver on 127.0.0.1.

The seed fixes the cut instants and every traffic decision (each thread has its own generator);
what the board was doing when a cut landed still depends on the machine's timing.

After the last cut the board boots once more and drains, then the audit:
- every message answered 202 exists and reaches a final state (Sent/Delivered/Failed) within
  the drain time (one still queued then is counted `not_final`);
- none was sent twice (the simulator's `/sent`) unless the gateway reported it uncertain;
- every inbound SMS the simulator handed over is in `/inbox` exactly once;
- each sms:received / sms:sent event reached the receiver at least once (duplicates counted).

Usage: .venv/bin/python tools/chaos.py [--cuts 1000] [--seed 1] [--out build/chaos.json]
(`make chaos CUTS=1000 SEED=1`). Exit status 0 when the audit found nothing lost or doubled.
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import json
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.error
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_T0 = time.monotonic()


def say(msg: str) -> None:
    print("[%6.1fs] %s" % (time.monotonic() - _T0, msg), flush=True)


class Receiver:
    """Webhook receiver: records every envelope it answers 200 to (duplicates kept)."""

    def __init__(self) -> None:
        self.got: list[dict] = []
        self.lock = threading.Lock()
        rx = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    env = json.loads(body)
                except ValueError:
                    env = {"bad": body[:200].decode(errors="replace")}
                with rx.lock:
                    rx.got.append(env)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def envelopes(self, event: str) -> list[dict]:
        with self.lock:
            return [g for g in self.got if g.get("event") == event]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Traffic:
    """Client load against the gateway while cuts happen. Each thread draws from its own
    generator seeded from `seed`, so the decisions do not depend on how the threads interleave.
    """

    def __init__(self, gw, sim, seed: float, send_every: float, inbound_every: float):
        self.gw, self.sim = gw, sim
        self.rng = random.Random("send %r" % seed)  # the sender thread's
        self.rng_in = random.Random("inbound %r" % seed)  # the inbound thread's
        self.send_every, self.inbound_every = send_every, inbound_every
        self.lock = threading.Lock()
        self.msgs: dict[str, dict] = {}  # id -> {"to": [...], "text": str, "accepted": bool}
        self.unanswered: list[str] = []  # ids whose POST got no answer: the client retries
        self.retries = 0  # idempotent re-POSTs of an id
        self.post_errors: dict[str, int] = {}  # answers other than 202, by status
        self.injected: list[str] = []  # inbound texts the simulator took
        self.stop = threading.Event()
        self._n = 0

    def run_sender(self) -> None:
        rng = self.rng
        while not self.stop.is_set():
            if self.unanswered and rng.random() < 0.5:
                mid = self.unanswered[0]
            elif self.msgs and rng.random() < 0.05:
                mid = rng.choice(sorted(self.msgs))  # a late duplicate POST
            else:
                mid = self._new_message()
            self.post(mid)
            self.stop.wait(rng.uniform(0, 2 * self.send_every))

    def _new_message(self) -> str:
        with self.lock:
            self._n += 1
            n = self._n
            mid = "chaos-%d" % n
            to = ["+1555%07d" % n]
            if self.rng.random() < 0.15:
                to.append("+1556%07d" % n)
            text = "chaos out %d " % n
            text += ("m" * 200) if self.rng.random() < 0.25 else "single"  # 2 parts or 1
            self.msgs[mid] = {"to": to, "text": text, "accepted": False}
        return mid

    def post(self, mid: str, timeout: float = 3.0) -> int | None:
        m = self.msgs[mid]
        body = {"id": mid, "textMessage": {"text": m["text"]}, "phoneNumbers": m["to"],
                "withDeliveryReport": False}
        if m["accepted"] or mid in self.unanswered:
            self.retries += 1
        try:
            status, _, _ = self.gw.api("POST", "/message", body, timeout=timeout)
        except (OSError, urllib.error.URLError, http.client.HTTPException):
            # no answer, or half of one (the power went while it was written): retried later
            with self.lock:
                if not m["accepted"] and mid not in self.unanswered:
                    self.unanswered.append(mid)
            return None
        with self.lock:
            if mid in self.unanswered:
                self.unanswered.remove(mid)
            if status == 202:
                m["accepted"] = True
            else:
                self.post_errors[str(status)] = self.post_errors.get(str(status), 0) + 1
        return status

    def run_inbound(self) -> None:
        from smsgate.sim.harness import SimError

        rng, k = self.rng_in, 0
        while not self.stop.is_set():
            self.stop.wait(rng.uniform(0, 2 * self.inbound_every))
            k += 1
            text = "chaos in %d " % k
            text += ("i" * 200) if rng.random() < 0.25 else "short"
            try:
                self.sim.send_sms("+1777%07d" % k, text)
            except (SimError, OSError):
                continue  # not handed to the network: not expected in the inbox
            self.injected.append(text)


def make_rig(tmp: Path, heap: str):
    from smsgate.sim.harness import SimProcess
    from smsgate.virtual import VirtualGateway

    # a slow SMSC answer (+CMGS 150 ms after ^Z): many cuts land inside AT+CMGS
    sim = SimProcess("sim7600", tmp / "sim", time_scale=0.05,
                     extra_args=("--send-latency", "0.15")).start()
    rx = Receiver()
    cfg = {
        "queue": {"max_messages": 5000, "max_stored": 10000, "backoff_ms": 300},
        "inbox": {"max_messages": 5000, "sweep_ms": 2000},
        "webhooks": {"retry_count": 100, "retry_base_s": 0.2, "retry_max_s": 1,
                     "timeout_s": 5, "queue_max": 1000},
    }
    gw = VirtualGateway("sim7600", attach=sim.link, data_dir=tmp / "flash", heap=heap,
                        password="chaos-secret-1", config=cfg)
    return sim, rx, gw


def cut_loop(gw, rng: random.Random, cuts: int, up_min: float, up_max: float) -> list[float]:
    """Power the board, cut it after a random time, `cuts` times. Returns the up-times."""
    ups = []
    for i in range(cuts):
        up = rng.uniform(up_min, up_max)
        ups.append(up)
        time.sleep(up)
        gw.kill_board()
        gw.restart_board(kill=False, wait=False)
        if (i + 1) % 50 == 0:
            say("%d cuts" % (i + 1))
    return ups


class Stuck(Exception):
    """The gateway is not ready after the campaign: what the modem simulator last saw."""

    def __init__(self, msg: str, sim) -> None:
        super().__init__(msg)
        try:
            self.sim_status = sim.status()
            self.sim_log = sim.log()[-60:]
        except Exception as e:  # the report still gets written
            self.sim_status, self.sim_log = repr(e), []


def drain(gw, traffic: Traffic, rx: Receiver, timeout: float) -> dict:
    """After the last cut: let everything settle; returns the gateway's view of each message.

    Raises:
        Stuck: the gateway did not come back (with the simulator's state for the report).
    """
    try:
        gw.wait_ready(120)
    except Exception as e:
        raise Stuck(str(e)[:3000], traffic.sim) from None
    # the client's policy: a POST that got no answer is retried until it is answered
    for mid in list(traffic.unanswered):
        deadline = time.monotonic() + 30
        while traffic.post(mid, timeout=10) is None and time.monotonic() < deadline:
            time.sleep(0.5)
    deadline = time.monotonic() + timeout
    states: dict[str, dict] = {}
    todo = [mid for mid, m in traffic.msgs.items() if m["accepted"]]
    while todo and time.monotonic() < deadline:
        left = []
        for mid in todo:
            status, body, _ = gw.api("GET", "/messages/" + mid)
            states[mid] = body if status == 200 else {"state": "missing", "http": status}
            if status == 200 and body["state"] in ("Pending", "Processed"):
                left.append(mid)
        todo = left
        if todo:
            time.sleep(1)
    return states


def inbox_all(gw) -> list[dict]:
    out, offset = [], 0
    while True:
        status, items, headers = gw.api("GET", "/inbox?limit=500&offset=%d" % offset)
        assert status == 200, (status, items)
        out += items
        if len(items) < 500:
            return out
        offset += 500


def audit(gw, sim, traffic: Traffic, rx: Receiver, states: dict, timeout: float) -> dict:
    sent = sim.sent()
    by_key: dict[tuple, list] = {}
    for s in sent:
        by_key.setdefault((s.get("to"), s.get("text")), []).append(s)
    f = {"accepted": 0, "unanswered_never_accepted": 0, "lost": 0, "not_final": 0,
         "sent": 0, "failed": 0, "duplicated": 0, "duplicated_reported": 0, "uncertain": 0,
         "uncertain_not_sent": 0, "partial_sends": 0}
    problems: list[str] = []
    sent_events_expected: list[tuple[str, str]] = []
    for mid, m in sorted(traffic.msgs.items()):
        if not m["accepted"]:
            f["unanswered_never_accepted"] += 1
            continue
        f["accepted"] += 1
        st = states.get(mid) or {"state": "missing"}
        if st["state"] == "missing":
            f["lost"] += 1
            problems.append("lost: %s %s" % (mid, st))
            continue
        if st["state"] in ("Pending", "Processed"):
            f["not_final"] += 1
            problems.append("not final: %s %s" % (mid, st))
        f["failed"] += st["state"] == "Failed"
        f["sent"] += st["state"] in ("Sent", "Delivered")
        for i, r in enumerate(st["recipients"]):
            number = m["to"][i]
            groups = by_key.get((number, m["text"]), [])
            complete = [g for g in groups if g.get("complete")]
            err = r.get("error") or ""
            uncertain = err.startswith("uncertain")
            f["uncertain"] += uncertain
            if len(complete) > 1:
                if uncertain:
                    f["duplicated_reported"] += 1
                else:
                    f["duplicated"] += 1
                    problems.append("sent %d times: %s -> %s %s"
                                    % (len(complete), mid, number, r))
            if r["state"] in ("Sent", "Delivered"):
                sent_events_expected.append((mid, number))
                if not complete:
                    if uncertain:
                        f["uncertain_not_sent"] += 1
                    else:
                        f["lost"] += 1
                        problems.append("Sent but never on air: %s -> %s %s" % (mid, number, r))
    f["partial_sends"] = len([s for s in sent if not s.get("complete")])
    # a message that was never answered 202 must not be on air either (or it is accepted)
    for mid, m in traffic.msgs.items():
        if not m["accepted"] and any(by_key.get((n, m["text"])) for n in m["to"]):
            problems.append("on air but never accepted: %s" % mid)
            f["lost"] += 1

    # inbound: every text the simulator took is in /inbox exactly once
    deadline = time.monotonic() + timeout
    while True:
        inbox = inbox_all(gw)
        texts = [i["contentPreview"] for i in inbox]
        missing = [t for t in traffic.injected if t not in texts]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(1)
    counts: dict[str, int] = {}
    for t in texts:
        counts[t] = counts.get(t, 0) + 1
    f["inbound_injected"] = len(traffic.injected)
    f["inbound_stored"] = len(inbox)
    f["inbound_lost"] = len(missing)
    f["inbound_duplicated"] = sum(1 for t in traffic.injected if counts.get(t, 0) > 1)
    f["inbound_incomplete"] = len([i for i in inbox if i.get("incomplete")])
    f["inbound_unexpected"] = len([t for t in counts if t not in set(traffic.injected)])
    problems += ["inbound lost: %r" % t[:30] for t in missing]
    problems += ["inbound stored %d times: %r" % (counts[t], t[:30])
                 for t in traffic.injected if counts.get(t, 0) > 1]
    problems += ["inbound not injected: %r" % t[:40] for t in counts
                 if t not in set(traffic.injected)]

    # events: each received / sent reached the receiver at least once
    def got_events():
        rcv = {}
        for e in rx.envelopes("sms:received"):
            p = e.get("payload", {})
            rcv[p.get("message")] = rcv.get(p.get("message"), 0) + 1
        snt = {}
        for e in rx.envelopes("sms:sent"):
            p = e.get("payload", {})
            k = (p.get("messageId"), p.get("phoneNumber"))
            snt[k] = snt.get(k, 0) + 1
        return rcv, snt

    deadline = time.monotonic() + timeout
    while True:
        rcv, snt = got_events()
        lost_rcv = [t for t in counts if t not in rcv]
        lost_snt = [k for k in sent_events_expected if k not in snt]
        if not (lost_rcv or lost_snt) or time.monotonic() > deadline:
            break
        time.sleep(1)
    f["events_expected"] = len(counts) + len(sent_events_expected)
    f["events_received"] = len(rx.got)
    f["events_lost"] = len(lost_rcv) + len(lost_snt)
    f["events_lost_received"] = len(lost_rcv)
    f["events_lost_sent"] = len(lost_snt)
    f["events_duplicated"] = (sum(n - 1 for n in rcv.values() if n > 1)
                              + sum(n - 1 for n in snt.values() if n > 1))
    problems += ["sms:received event lost: %r" % t[:30] for t in lost_rcv]
    problems += ["sms:sent event lost: %s -> %s" % k for k in lost_snt]
    return {"figures": f, "problems": problems}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cuts", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=str(REPO / "build" / "chaos.json"))
    ap.add_argument("--heap", default="512K", help="the board's MicroPython heap")
    ap.add_argument("--up-min", type=float, default=0.05, help="shortest power-on time (s)")
    ap.add_argument("--up-max", type=float, default=3.0, help="longest power-on time (s)")
    ap.add_argument("--send-every", type=float, default=0.4, help="mean seconds between POSTs")
    ap.add_argument("--inbound-every", type=float, default=1.2,
                    help="mean seconds between inbound SMS")
    ap.add_argument("--drain-s", type=float, default=600, help="time allowed to settle")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO / "host"))

    # SIGTERM ends the campaign like Ctrl-C: the finally below stops the simulator and board
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="smsgate-chaos-"))
    sim, rx, gw = make_rig(tmp, args.heap)
    ups: list[float] = []
    t_start = time.monotonic()
    try:
        gw.start(timeout=120)
        for ev in ("sms:received", "sms:sent"):
            status, body, _ = gw.api("POST", "/webhooks", {"id": ev.split(":")[1],
                                                           "url": rx.url, "event": ev})
            assert status == 201, (status, body)
        traffic = Traffic(gw, sim, rng.random(), args.send_every, args.inbound_every)
        threads = [threading.Thread(target=traffic.run_sender, daemon=True),
                   threading.Thread(target=traffic.run_inbound, daemon=True)]
        for t in threads:
            t.start()
        say("seed %d: %d cuts, power-on %.2f..%.2f s" % (args.seed, args.cuts, args.up_min,
                                                          args.up_max))
        ups = cut_loop(gw, rng, args.cuts, args.up_min, args.up_max)
        t_cuts = time.monotonic() - t_start
        traffic.stop.set()
        for t in threads:
            t.join(15)
        say("cuts done in %.0f s; draining" % t_cuts)
        try:
            states = drain(gw, traffic, rx, args.drain_s)
        except Stuck as e:
            result = {"figures": {"stuck": True}, "problems": ["gateway stuck: " + str(e)],
                      "sim_status": e.sim_status, "sim_log": e.sim_log}
            print(json.dumps(e.sim_status), "\n".join(map(str, e.sim_log)), sep="\n")
        else:
            result = audit(gw, sim, traffic, rx, states, min(120.0, args.drain_s))
        health = gw.health() or {}
    finally:
        gw.stop()
        sim.stop()
        rx.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    f = result["figures"]
    f.update({"cuts": args.cuts, "seed": args.seed, "messages": len(traffic.msgs),
              "retries": traffic.retries, "post_errors": traffic.post_errors,
              "mean_up_s": round(sum(ups) / max(1, len(ups)), 3),
              "cuts_s": round(t_cuts, 1), "total_s": round(time.monotonic() - t_start, 1)})
    doc = {"figures": f, "problems": result["problems"][:200],
           "health": health if isinstance(health, dict) else None}
    for k in ("sim_status", "sim_log"):
        if k in result:
            doc[k] = result[k]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n")
    for k in ("cuts", "messages", "accepted", "retries", "sent", "failed", "lost",
              "duplicated", "duplicated_reported", "uncertain", "uncertain_not_sent",
              "partial_sends", "not_final", "inbound_injected", "inbound_stored",
              "inbound_lost", "inbound_duplicated", "inbound_incomplete", "events_expected",
              "events_received", "events_lost", "events_duplicated", "cuts_s", "total_s"):
        if k in f:
            print("%-22s %s" % (k, f[k]))
    for p in result["problems"][:30]:
        print("PROBLEM", p)
    print("wrote", out)
    bad = f.get("stuck") or sum(f[k] for k in ("lost", "duplicated", "not_final", "inbound_lost",
                                                "inbound_duplicated", "events_lost"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
