"""The two peer daemons on the simulated modem: gammu-smsd (files backend) and smstools3.

Each peer gets the configuration observed working against a pty modem (receive polling every
second, no battery/signal/network checks), its spool folders under its own work folder, and is
judged only by its folders and by what reached the simulated network.

Submitting a batch is made as fair as possible: the spool files are prepared beforehand in a
staging folder (gammu-smsd-inject writes there for gammu), and the batch clock starts when they
are moved into the daemon's outbox with one rename each.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from smsgate.procs import end_process

SMSTOOLS = "/usr/sbin/smsd"


class Daemon:
    """A peer daemon under our control: started in the foreground, stopped with SIGTERM."""

    name = ""

    def __init__(self, workdir: Path, link: str) -> None:
        self.dir = Path(workdir)
        self.link = link
        self.proc: subprocess.Popen | None = None
        self.out_log = self.dir / "daemon.out"

    def _dirs(self, *names: str) -> list[Path]:
        out = []
        for n in names:
            p = self.dir / n
            p.mkdir(parents=True, exist_ok=True)
            out.append(p)
        return out

    def _spawn(self, argv: list[str]) -> None:
        with open(self.out_log, "ab") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.dir)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        end_process(self.proc, 10)
        self.proc = None

    def release(self, staged: list[Path]) -> None:
        """Move prepared spool files into the daemon's outbox (the batch clock runs)."""
        for src in staged:
            os.rename(src, self.outbox / src.name)

    def log_tail(self, n: int = 3000) -> str:
        text = ""
        for p in (self.out_log, self.dir / "smsd.log"):
            if p.exists():
                text += p.read_text(errors="replace")[-n:]
        return text


class GammuSmsd(Daemon):
    """gammu-smsd with the files backend."""

    name = "gammu-smsd"

    def __init__(self, workdir: Path, link: str) -> None:
        super().__init__(workdir, link)
        self.inbox, self.outbox, self.sent, self.error, self.staging = self._dirs(
            "inbox", "outbox", "sent", "error", "staging")
        self.rc = self._write_rc("smsdrc", self.outbox)
        self.stage_rc = self._write_rc("stagerc", self.staging)

    def _write_rc(self, name: str, outbox: Path) -> Path:
        rc = self.dir / name
        rc.write_text(
            "[gammu]\ndevice = %s\nconnection = at115200\nmodel = at\n\n[smsd]\n"
            "service = files\ninboxpath = %s/\noutboxpath = %s/\nsentsmspath = %s/\n"
            "errorsmspath = %s/\nlogfile = %s\ndebuglevel = 1\nreceivefrequency = 1\n"
            "commtimeout = 1\nchecksecurity = 0\ncheckbattery = 0\nchecksignal = 0\n"
            "checknetwork = 0\nhangupcalls = 0\n"
            % (self.link, self.inbox, outbox, self.sent, self.error, self.dir / "smsd.log"))
        return rc

    def start(self) -> None:
        self._spawn(["gammu-smsd", "-c", str(self.rc)])

    def stage(self, messages: list[dict]) -> list[Path]:
        """Prepare the batch's outbox files (gammu-smsd-inject into the staging folder)."""
        before = set(self.staging.iterdir())
        for m in messages:
            argv = ["gammu-smsd-inject", "-c", str(self.stage_rc), "TEXT", m["to"]]
            if m["encoding"] == "ucs2":
                argv.append("-unicode")
            if m["parts"] > 1:
                argv += ["-len", str(len(m["text"]))]
            argv += ["-text", m["text"]]
            out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            if out.returncode:
                raise RuntimeError("gammu-smsd-inject failed: %s" % out.stderr)
        return sorted(set(self.staging.iterdir()) - before)

    def received(self) -> list[str]:
        """Texts handed over in the inbox folder."""
        return [p.read_text(errors="replace") for p in sorted(self.inbox.iterdir())]


class Smstools3(Daemon):
    """smstools3 `smsd` (foreground, `-t`)."""

    name = "smstools3"

    def __init__(self, workdir: Path, link: str) -> None:
        super().__init__(workdir, link)
        (self.outbox, self.checked, self.incoming, self.failed, self.sent,
         self.staging) = self._dirs("outgoing", "checked", "incoming", "failed", "sent",
                                    "staging")
        self.conf = self.dir / "smsd.conf"
        self.conf.write_text(
            "devices = GSM1\noutgoing = %s\nchecked = %s\nincoming = %s\nfailed = %s\n"
            "sent = %s\nlogfile = %s\ninfofile = %s\npidfile = %s\nloglevel = 7\n"
            "delaytime = 1\n\n[GSM1]\ndevice = %s\nincoming = yes\nbaudrate = 115200\n"
            % (self.outbox, self.checked, self.incoming, self.failed, self.sent,
               self.dir / "smsd.log", self.dir / "smsd.info", self.dir / "smsd.pid", self.link))
        self._n = 0

    def start(self) -> None:
        self._spawn([SMSTOOLS, "-c", str(self.conf), "-t"])

    def stage(self, messages: list[dict]) -> list[Path]:
        """One spool file per message; UCS-2 text is given as UTF-16BE (`Alphabet: UCS2`)."""
        out = []
        for m in messages:
            self._n += 1
            path = self.staging / ("bench%05d" % self._n)
            to = m["to"].lstrip("+")
            if m["encoding"] == "ucs2":
                data = ("To: %s\nAlphabet: UCS2\n\n" % to).encode() + m["text"].encode("utf-16-be")
            else:
                data = ("To: %s\n\n%s" % (to, m["text"])).encode("latin-1")
            path.write_bytes(data)
            out.append(path)
        return out

    def received(self) -> list[str]:
        texts = []
        for p in sorted(self.incoming.iterdir()):
            head, _, body = p.read_bytes().partition(b"\n\n")
            texts.append(body.decode("latin-1", errors="replace"))
        return texts
