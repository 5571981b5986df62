"""tools/chaos.py, the power-cut campaign of `make chaos`: a short run end to end (10 cuts during
mixed traffic, then the full audit), and the audit on made-up evidence, so that CI guards the
harness itself: it must see a lost, doubled or unreported message when there is one."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _chaos():
    spec = importlib.util.spec_from_file_location("chaos", REPO / "tools" / "chaos.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_ten_power_cuts_lose_nothing(tmp_path):
    out = tmp_path / "chaos.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "tools" / "chaos.py"), "--cuts", "10", "--seed", "3",
         "--out", str(out), "--drain-s", "240"],
        cwd=REPO, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    report = proc.stdout[-4000:] + proc.stderr[-4000:]
    assert out.exists(), report
    f = json.loads(out.read_text())["figures"]
    assert proc.returncode == 0, report
    assert f["cuts"] == 10 and f["accepted"] > 0, f
    assert f["inbound_injected"] > 0 and f["events_expected"] > 0, f
    for k in ("lost", "duplicated", "not_final", "inbound_lost", "inbound_duplicated",
              "events_lost"):
        assert f[k] == 0, (k, f)


class _Gw:
    def __init__(self, inbox):
        self.inbox = inbox

    def api(self, method, path, body=None, **kw):
        assert path.startswith("/inbox")
        return 200, self.inbox, {}


class _Sim:
    def __init__(self, sent):
        self._sent = sent

    def sent(self):
        return self._sent


class _Rx:
    def __init__(self, got):
        self.got = got

    def envelopes(self, event):
        return [g for g in self.got if g["event"] == event]


class _Traffic:
    def __init__(self, msgs, injected):
        self.msgs, self.injected = msgs, injected


def _status(state, error=None):
    return {"state": state, "recipients": [{"state": state, "error": error}]}


def test_the_audit_sees_what_went_wrong():
    chaos = _chaos()
    msgs = {"ok": {"to": ["+1"], "text": "a", "accepted": True},
            "gone": {"to": ["+2"], "text": "b", "accepted": True},
            "twice": {"to": ["+3"], "text": "c", "accepted": True},
            "twice-said": {"to": ["+4"], "text": "d", "accepted": True},
            "never": {"to": ["+5"], "text": "e", "accepted": False}}
    states = {"ok": _status("Sent"), "gone": {"state": "missing"}, "twice": _status("Sent"),
              "twice-said": _status("Sent", "uncertain: part 1 of recipient 0")}
    sent = [{"to": "+1", "text": "a", "complete": True}]
    sent += [{"to": "+3", "text": "c", "complete": True}] * 2
    sent += [{"to": "+4", "text": "d", "complete": True}] * 2
    sent += [{"to": "+5", "text": "e", "complete": True}]  # on air, never answered 202
    inbox = [{"contentPreview": "in1"}, {"contentPreview": "in2"}, {"contentPreview": "in2"}]
    got = [{"event": "sms:sent", "payload": {"messageId": "ok", "phoneNumber": "+1"}},
           {"event": "sms:sent", "payload": {"messageId": "ok", "phoneNumber": "+1"}},
           {"event": "sms:received", "payload": {"message": "in1"}}]
    r = chaos.audit(_Gw(inbox), _Sim(sent), _Traffic(msgs, ["in1", "in2", "in3"]), _Rx(got),
                    states, timeout=0)
    f = r["figures"]
    assert (f["accepted"], f["sent"]) == (4, 3)
    assert f["lost"] == 2  # "gone", and "never" on air without a 202
    assert (f["duplicated"], f["duplicated_reported"], f["uncertain"]) == (1, 1, 1)
    assert (f["inbound_lost"], f["inbound_duplicated"]) == (1, 1)
    # sms:sent missing for "twice" and "twice-said", sms:received for in2 (twice in the inbox)
    assert (f["events_lost_sent"], f["events_lost_received"], f["events_duplicated"]) == (2, 1, 1)
    assert len(r["problems"]) >= 7
