"""Over-the-air updates on the virtual board: `smsgate ota` against the firmware's net/ota.py,
with probation and rollback done by the board itself (main.py + net/ota.py)."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from helpers import wait_until
from smsgate import bundle
from smsgate.cmd_ota import Board, OtaError, firmware_version, manifest_of, sign, update, upload
from smsgate.runtime import FIRMWARE_DIR
from smsgate.virtual import VirtualGateway

KEY = "update-key-0123456789"
A = firmware_version(FIRMWARE_DIR)


def _tree(tmp_path, name, version, breaker=None):
    """A copy of the firmware tree with another VERSION (and optionally a broken module)."""
    dst = tmp_path / name
    shutil.copytree(FIRMWARE_DIR, dst, ignore=shutil.ignore_patterns("__pycache__"))
    init = dst / "smsgw" / "__init__.py"
    init.write_text(re.sub(r'VERSION = "[^"]+"', 'VERSION = "%s"' % version, init.read_text()))
    if breaker:
        breaker(dst)
    return dst


def _gateway(tmp_path, **kw):
    cfg = {"ota": {"key": KEY, "probation_s": 60}}
    return VirtualGateway(config=cfg, data_dir=tmp_path / "flash", heap="512K", **kw)


def _ota(gw, fw, key=KEY, wait=120):
    return subprocess.run(
        [sys.executable, "-m", "smsgate", "ota", "--url", gw.url, "--user", gw.user,
         "--password", gw.password, "--key", key, "--firmware", str(fw), "--wait", str(wait)],
        capture_output=True, text=True, timeout=wait + 120)


def _info(gw):
    st, doc, _ = gw.api("GET", "/ota")
    assert st == 200
    return doc


def _post(gw, i):
    st, body, _ = gw.api("POST", "/message", {"id": "ota-%d" % i,
                                              "phoneNumbers": ["+1555000%04d" % i],
                                              "textMessage": {"text": "queued %d" % i}})
    assert st == 202, body


def test_update_a_to_b_keeps_the_queue(tmp_path):
    fw_b = _tree(tmp_path, "fw-b", A + "-b")
    with _gateway(tmp_path, sim_args=("--send-latency", "1.5")) as gw:
        gw.wait_ready()
        for i in range(4):  # pending while the board updates and reboots
            _post(gw, i)
        res = _ota(gw, fw_b)
        assert res.returncode == 0, res.stdout + res.stderr + gw.console_text()[-3000:]
        assert "%s → %s" % (A, A + "-b") in res.stdout
        inf = _info(gw)
        assert inf["version"] == A + "-b" and inf["slot"] == "a"
        assert inf["last"]["result"] == "ok" and inf["last"]["from"] == A
        for i in range(4):
            gw.wait_state("ota-%d" % i, ("Sent", "Delivered"), 60)
        # a second update sends only what changed and runs from the other slot
        fw_c = _tree(tmp_path, "fw-c", A + "-c")
        res = _ota(gw, fw_c)
        assert res.returncode == 0, res.stdout + res.stderr
        assert _info(gw)["slot"] == "b"


def test_a_bundle_that_cannot_boot_is_rolled_back(tmp_path):
    def breaker(tree: Path):
        api = tree / "smsgw" / "net" / "api.py"
        api.write_text("raise ImportError('broken on purpose')\n" + api.read_text())

    fw_bad = _tree(tmp_path, "fw-bad", A + "-bad", breaker)
    with _gateway(tmp_path) as gw:
        gw.wait_ready()
        res = _ota(gw, fw_bad, wait=240)
        assert res.returncode == 1, res.stdout + res.stderr
        assert "rolled back" in res.stderr
        inf = _info(gw)
        assert inf["version"] == A and inf["last"]["result"] == "rolled back"
        st, health, _ = gw.api("GET", "/health")
        assert health["checks"]["firmware"]["status"] == "warn"
        _post(gw, 100)
        gw.wait_state("ota-100", ("Sent", "Delivered"), 60)


def test_wrong_key_or_wrong_hash_is_refused_and_nothing_changes(tmp_path):
    fw_b = _tree(tmp_path, "fw-b", A + "-b")
    with _gateway(tmp_path) as gw:
        gw.wait_ready()
        res = _ota(gw, fw_b, key="not-the-right-key-123")
        assert res.returncode == 1 and "bad signature" in res.stderr
        assert not (gw.data_dir / "fw" / "a").exists()  # nothing staged (the manifest sent
        assert not (gw.data_dir / "fw" / "state").exists()  # is data, not firmware)
        files = bundle.build("unix", firmware_dir=fw_b)
        board = Board(gw.url, gw.user, gw.password)
        text, sig = sign(manifest_of(files, A + "-b"), KEY)
        upload(board, "/ota/manifest?v=1", text, "manifest")
        st, doc = board.call("POST", "/ota/begin", {"signature": sig})
        assert st == 200, doc
        path = doc["need"][0]
        size = files[path].stat().st_size
        st, doc = board.call("PUT", "/ota/file?path=%s&offset=0" % path, b"\0" * size)
        assert st == 400 and "sha256" in doc["message"]
        st, doc = board.call("POST", "/ota/commit")
        assert st == 400 and "missing or incomplete" in doc["message"]
        assert not (gw.data_dir / "fw" / "state").exists()
        assert _info(gw)["version"] == A


def test_power_cuts_during_updates_leave_a_whole_version(tmp_path):
    """Kill -9 at random moments of repeated updates: the board always comes back on A or B,
    never on a mix, and no accepted message is lost."""
    rnd = random.Random(7)
    fw_b = _tree(tmp_path, "fw-b", A + "-b")
    files_b = bundle.build("unix", firmware_dir=fw_b)
    files_a = bundle.build("unix")
    want = {A: manifest_of(files_a, A)["files"], A + "-b": manifest_of(files_b, A + "-b")["files"]}
    with _gateway(tmp_path) as gw:
        gw.wait_ready()
        accepted = 0
        for round_ in range(int(__import__("os").environ.get("OTA_CUTS", "6"))):
            _post(gw, 200 + round_)
            accepted += 1
            cur = _info(gw)["version"]
            nxt = A + "-b" if cur == A else A
            board = Board(gw.url, gw.user, gw.password)
            out = open(tmp_path / "ota.log", "a")
            t = threading.Thread(target=_quiet_update, args=(board, nxt, fw_b, files_a, out),
                                 daemon=True)
            t.start()
            t.join(rnd.uniform(0.2, 6.0))
            gw.kill_board()  # power cut, wherever the update is
            t.join(30)
            gw.restart_board(kill=False, wait=False)
            wait_until(lambda: _try_info(gw), 120, "the board back")
            wait_until(lambda: _try_info(gw).get("probation") != "running", 120,
                       "probation over")
            inf = _try_info(gw)
            assert inf["version"] in want
            st, files, _ = gw.api("GET", "/ota/files")
            assert st == 200
            got = {p: h for p, h in files.items()}
            expect = {p: v[0] for p, v in want[inf["version"]].items()}
            assert got == expect, "a mix of versions in slot %s" % inf["slot"]
        for i in range(accepted):
            gw.wait_state("ota-%d" % (200 + i), ("Sent", "Delivered"), 90)


def _try_info(gw):
    try:
        st, doc, _ = gw.api("GET", "/ota", timeout=3)
    except OSError:
        return {}
    return doc if st == 200 else {}


def _quiet_update(board, version, fw_b, files_a, out):
    files = bundle.build("unix", firmware_dir=fw_b) if version != A else files_a
    try:
        update(board, files, version, KEY, wait_s=60, out=out)
    except (OtaError, OSError, ValueError):
        pass


def test_the_web_page_comes_from_the_running_slot(tmp_path):
    import urllib.request

    fw_b = _tree(tmp_path, "fw-b", A + "-b")
    with _gateway(tmp_path) as gw:
        gw.wait_ready()
        res = _ota(gw, fw_b)
        assert res.returncode == 0, res.stdout + res.stderr
        assert (gw.data_dir / "fw" / "a" / "www" / "index.html.gz").exists()
        (gw.data_dir / "www" / "index.html.gz").unlink()  # the root copy is not what is served
        req = urllib.request.Request(gw.url + "/", headers={"Accept": "text/html"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200 and resp.headers["Content-Encoding"] == "gzip"
