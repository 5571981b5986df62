"""`smsgate fleet status|send|bulk`: a group of boards behind an MQTT broker (smsgate.fleet).

bulk reads a CSV of `phone,text[,id]` (a first row `phone,text...` is a header). A row without
an id gets one derived from the file's name, the row number and its content, so running the
same file again resends nothing a board already accepted: the report (default
`<csv>.report.jsonl`, one line per row: id, phone, device, state, error) is rewritten as the
batch goes, and a re-run skips its final rows and keeps following the claimed ones. Ctrl-C
stops with the report written; the re-run resumes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sys
import time
from pathlib import Path

from smsgate.cli import CliError

_STATES = ("Sent", "Delivered", "Failed", "error")


def add_parser(sub) -> None:
    p = sub.add_parser("fleet", help="a fleet of boards behind an MQTT broker")
    fs = p.add_subparsers(dest="fleet_cmd", metavar="ACTION", required=True)

    def common(q):
        q.add_argument("--mqtt", required=True, help="broker URL, mqtt://[user:pass@]host:port")
        q.add_argument("--group", required=True, help="the boards' fleet.group")
        q.add_argument("--prefix", default="smsgate", help="the boards' mqtt.prefix")

    st = fs.add_parser("status", help="the group's boards from their retained status")
    common(st)
    st.add_argument("--wait", type=float, default=2.0, help="seconds to collect statuses")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=do_status)

    se = fs.add_parser("send", help="one message through the group")
    common(se)
    se.add_argument("--to", required=True)
    se.add_argument("--text", required=True)
    se.add_argument("--id", help="message id (default: a random one)")
    se.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for Sent")
    se.set_defaults(func=do_send)

    bu = fs.add_parser("bulk", help="a CSV of phone,text[,id] through the group")
    common(bu)
    bu.add_argument("--csv", required=True, type=Path)
    bu.add_argument("--report", type=Path, help="JSONL report (default <csv>.report.jsonl)")
    bu.add_argument("--timeout", type=float, default=None, help="give up after N seconds")
    bu.add_argument("--resend-after", type=float, default=30.0,
                    help="seconds before a message no board claimed is published again")
    bu.add_argument("--quiet", action="store_true", help="no progress bar")
    bu.set_defaults(func=do_bulk)


def _link(args, client_id=None):
    from smsgate.fleet import FleetLink

    try:
        link = FleetLink(args.mqtt, args.group, args.prefix, client_id)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if not link.connected.wait(10):
        link.close()
        raise CliError("no connection to the broker at %s" % args.mqtt)
    return link


def _settle(link, seconds: float) -> None:
    """Let the retained statuses and availabilities arrive."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.05)


def do_status(args) -> int:
    link = _link(args)
    try:
        _settle(link, args.wait)
        rows = [b for _, b in sorted(link.boards.items()) if b.fleet]
    finally:
        link.close()
    if args.json:
        print(json.dumps([{"device": b.device, "online": b.online, **b.status} for b in rows]))
        return 0
    head = ("DEVICE", "ONLINE", "OPERATOR", "SIGNAL", "REG", "QUEUE", "CAPACITY", "CAPS LEFT",
            "PREFIXES")
    table = [head]
    for b in rows:
        s, f = b.status, b.fleet
        table.append((b.device, "yes" if b.online else "no", str(s.get("operator") or "-"),
                      "-" if s.get("signal") is None else "%d dBm" % s["signal"],
                      str(s.get("registration", "-")), str(s.get("queue", "-")),
                      "%s/%s" % (f.get("capacity", "-"), f.get("weight", "-")),
                      str(f.get("capsLeft", "-")), ",".join(f.get("prefixes", ())) or "-"))
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    for r in table:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    if not rows:
        print("(no board of group %s has a retained status)" % args.group, file=sys.stderr)
    return 0


def do_send(args) -> int:
    import secrets

    from smsgate.fleet import Dispatcher, Job

    job = Job(args.id or "fs-" + secrets.token_hex(6), args.to, args.text)
    link = _link(args)
    try:
        Dispatcher(link, [job]).run(until=time.monotonic() + args.timeout)
    finally:
        link.close()
    print(json.dumps(job.report()))
    return 0 if job.state in ("Sent", "Delivered") else 1


# -- bulk ------------------------------------------------------------------------------------
def read_csv(path: Path) -> list[tuple[str, str, str]]:
    """(id, phone, text) per row; ids derived from file name, row number and content."""
    out = []
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except OSError as exc:
        raise CliError("cannot read %s: %s" % (path, exc)) from None
    if rows and rows[0] and rows[0][0].strip().lower() == "phone":
        rows = [None] + rows[1:]  # header: row numbers stay the file's
    for n, row in enumerate(rows, 1):
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) < 2 or not row[0].strip() or not row[1]:
            raise CliError("%s row %d: expected phone,text[,id]" % (path, n))
        phone, text = row[0].strip(), row[1]
        rid = row[2].strip() if len(row) > 2 and row[2].strip() else None
        if rid is None:
            h = hashlib.sha256(("%s\0%d\0%s\0%s" % (path.name, n, phone, text)).encode())
            rid = "b-" + h.hexdigest()[:20]
        out.append((rid, phone, text))
    if len({r[0] for r in out}) != len(out):
        raise CliError("%s: an id appears twice" % path)
    return out


def load_report(path: Path) -> dict[str, dict]:
    """The previous run's lines by id (absent file: none)."""
    out = {}
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                r = json.loads(line)
                out[r["id"]] = r
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line (the run was killed while writing)
    return out


def write_report(path: Path, jobs) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        for j in jobs:
            f.write(json.dumps(j.report()) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)  # a crash leaves the old report or the new one, never half


class Progress:
    """A one-line progress bar with the rate, on stderr."""

    def __init__(self, jobs, quiet: bool) -> None:
        self.jobs, self.quiet = jobs, quiet
        self.t0 = time.monotonic()
        self.done0 = sum(j.final for j in jobs)
        self.last = 0.0

    def __call__(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.quiet or (not force and now - self.last < 0.5):
            return
        self.last = now
        n = len(self.jobs)
        done = sum(j.final for j in self.jobs)
        held = sum(1 for j in self.jobs if j.device and not j.final)
        rate = (done - self.done0) / max(now - self.t0, 1e-6)
        bar = "#" * (30 * done // max(n, 1))
        sys.stderr.write("\r[%-30s] %d/%d done, %d on boards, %.2f msg/s  "
                         % (bar, done, n, held, rate))
        sys.stderr.flush()


def summary(jobs, elapsed: float) -> dict:
    by_state: dict[str, int] = {}
    by_device: dict[str, int] = {}
    for j in jobs:
        by_state[j.state] = by_state.get(j.state, 0) + 1
        if j.device and j.state in ("Sent", "Delivered"):
            by_device[j.device] = by_device.get(j.device, 0) + 1
    return {"rows": len(jobs), "states": by_state, "sentBy": by_device,
            "uncertain": sum(1 for j in jobs if (j.error or "").startswith("uncertain")),
            "claimedTwice": [j.id for j in jobs if j.twice], "seconds": round(elapsed, 1)}


def do_bulk(args) -> int:
    from smsgate.fleet import Dispatcher, Job

    rows = read_csv(args.csv)
    report = args.report or args.csv.with_name(args.csv.name + ".report.jsonl")
    before = load_report(report)
    jobs = []
    for rid, phone, text in rows:
        j = Job(rid, phone, text)
        old = before.get(rid)
        if old and old.get("device"):  # a board accepted it: never given to another one
            j.device, j.state, j.error = old["device"], old["state"], old.get("error")
        jobs.append(j)
    # one persistent session per file and group: results that come while we are stopped wait
    key = hashlib.sha256(("%s\0%s" % (args.group, args.csv.resolve())).encode()).hexdigest()
    link = _link(args, client_id="smsgate-bulk-" + key[:16])
    _settle(link, 1.0)
    disp = Dispatcher(link, jobs, resend_after=args.resend_after)
    prog = Progress(jobs, args.quiet)
    t0 = time.monotonic()
    last_write = [0.0]

    def tick():
        prog()
        if time.monotonic() - last_write[0] > 1.0:
            write_report(report, jobs)
            last_write[0] = time.monotonic()

    interrupted = False
    try:
        finished = disp.run(None if args.timeout is None else t0 + args.timeout, tick)
    except KeyboardInterrupt:
        finished, interrupted = False, True
    finally:
        link.close()
        write_report(report, jobs)
    prog(force=True)
    if not args.quiet:
        sys.stderr.write("\n")
    s = summary(jobs, time.monotonic() - t0)
    s["report"] = str(report)
    print(json.dumps(s))
    if interrupted:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return 130
    if s["claimedTwice"]:
        return 2
    return 0 if finished and all(j.state in ("Sent", "Delivered") for j in jobs) else 1
