"""smsgate.bundle: what goes on the flash, compiled, cached, copied only when changed."""

from __future__ import annotations

import subprocess

import pytest

from smsgate import bundle
from smsgate.runtime import FIRMWARE_DIR, micropython_binary, micropython_env


@pytest.fixture(scope="module")
def files():
    return bundle.build("unix")


def test_layout(files):
    assert "boards/unix.mpy" in files and "boards/__init__.mpy" in files
    assert not any(p.startswith("lib/") for p in files), "no library beside the firmware"
    assert "smsgw/__init__.mpy" in files and "smsgw/config.mpy" in files
    assert not any("pdu_mt" in p for p in files), "pdu_mt.py is host-only"
    assert not any(p.endswith(".py") and p not in ("main.py", "boot.py") for p in files)
    if (FIRMWARE_DIR / "main.py").exists():
        assert files["main.py"] == FIRMWARE_DIR / "main.py"  # source, readable on the board
    for path, local in files.items():
        if path.endswith(".mpy"):
            assert local.read_bytes()[:2] == b"M\x06", path  # mpy v6


def test_frozen_bundle_is_the_sources_only(tmp_path):
    # For an image with the firmware frozen in: a .mpy on the flash would shadow the frozen
    # module (sys.path is ['', '.frozen', '/lib']), so none goes there; main.py and the web
    # page's files do.
    files = bundle.build("tcall-sim800l", frozen=True)
    assert set(files) == {p for p in bundle.build("tcall-sim800l") if not p.endswith(".mpy")}
    assert "main.py" in files
    assert bundle.install_to_dir("unix", tmp_path, frozen=True) == list(files)


def test_esp32_boards_ship_their_base_module():
    for board in ("t-sim7600", "tcall-sim800l"):
        names = [p for p in bundle.build(board) if p.startswith("boards/")]
        own = "boards/%s.mpy" % bundle.board_module(board)
        assert sorted(names) == sorted(["boards/__init__.mpy", "boards/esp32.mpy", own]), names


def test_no_host_stand_in_reaches_a_board():
    # The virtual board's ESP32 stand-ins (vboard/mpy/**) are the host's, never a board's:
    # on an ESP32 they would shadow the port's own machine/network/ntptime/time.
    from smsgate.vboard.board import _MPY_DIR

    stand_ins = {p.stem for p in _MPY_DIR.rglob("*.py")}
    assert {"machine", "network", "ntptime", "time", "vbhw", "vboot"} <= stand_ins
    for board in bundle.BOARDS:
        shipped = {p.rsplit("/", 1)[-1].split(".")[0] for p in bundle.build(board)}
        assert not shipped & stand_ins, (board, shipped & stand_ins)


def test_unix_board_ships_no_esp32_module(files):
    assert "boards/esp32.mpy" not in files


def test_unknown_board_is_refused():
    with pytest.raises(bundle.BundleError, match="unknown board"):
        bundle.build("no-such-board")


def test_mpy_abi_check():
    bundle.check_board_mpy(2822)  # the unix port (x64, v6.3)
    bundle.check_board_mpy(0x2A06)  # an ESP32 (xtensawin, v6.2): bytecode loads anyway
    with pytest.raises(bundle.BundleError, match="mpy v5"):
        bundle.check_board_mpy(5)


def test_install_to_dir_copies_only_changes_and_imports(files, tmp_path):
    flash = tmp_path / "flash"
    written = bundle.install_to_dir("unix", flash, files=files)
    assert sorted(written) == sorted(files)
    (flash / "config.json").write_text("{}")  # the board's own files are left alone
    assert bundle.install_to_dir("unix", flash, files=files) == []
    (flash / "smsgw" / "config.mpy").write_bytes(b"corrupt")
    assert bundle.install_to_dir("unix", flash, files=files) == ["smsgw/config.mpy"]
    assert (flash / "config.json").read_text() == "{}"
    code = (
        "import os, sys; os.chdir(%r); sys.path[:] = ['', '.frozen', 'lib']\n"
        "import smsgw.config, boards.unix, smsgw.net.httpd as h\n"
        "print(smsgw.VERSION, smsgw.config.DEFAULTS['api']['port'], h.Server.__name__)"
        % str(flash)
    )
    out = subprocess.run(
        [micropython_binary(), "-X", "heapsize=128K", "-c", code],
        capture_output=True,
        text=True,
        timeout=30,
        env=micropython_env(),
    )
    assert out.returncode == 0, out.stderr + out.stdout
    assert out.stdout.split()[1:] == ["8080", "Server"]


def test_cache_is_keyed_by_source(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("X = 1\n")
    first = bundle.compile_file(src, "smsgw/m.py")
    assert bundle.compile_file(src, "smsgw/m.py") == first
    src.write_text("X = 2\n")
    assert bundle.compile_file(src, "smsgw/m.py") != first


def test_traceback_names_the_module_file_so_one_string_serves_both(files, tmp_path):
    # -s gets the name the board gives the module's __file__ (bundle.source_name): one interned
    # string per module, not two (~1 KB of the core's heap on 32-bit)
    assert bundle.source_name("smsgw/net/url.py") == "smsgw/net/url.mpy"
    flash = tmp_path / "flash"
    bundle.install_to_dir("unix", flash, files=files)
    files_, traceback = _url_error_on_micropython(
        "import os; os.chdir(%r); sys.path[:] = ['']" % str(flash), "", "128K")
    assert files_ == "smsgw/net/url.mpy", files_
    assert 'File "smsgw/net/url.mpy"' in traceback, traceback


def test_romfs_image_runs_in_place_under_its_own_names(tmp_path):
    # smsgate install --romfs: the compiled modules packed by mpremote's ROMFS builder; mounted
    # at /rom (as MicroPython does on a board with a romfs partition) they import from there,
    # and the -s name is again the module's __file__ (one interned string, not two).
    image = bundle.romfs_image("unix")
    assert sorted(bundle.build("unix", frozen=True)) == sorted(
        p for p in bundle.build("unix") if not p.endswith(".mpy"))
    files_, traceback = _url_error_on_micropython(
        "import vfs; vfs.mount(vfs.VfsRom(open(%r, 'rb').read()), '/rom')\n"
        "sys.path[:] = ['.frozen', '/rom', '/rom/lib']" % str(image),
        "import smsgw.net.httpd as h; print(h.__file__)", "512K")
    assert files_ == "/rom/smsgw/net/url.mpy\n/rom/smsgw/net/httpd.mpy", files_
    assert 'File "/rom/smsgw/net/url.mpy"' in traceback, traceback


def _url_error_on_micropython(setup: str, more: str, heap: str) -> tuple[str, str]:
    """(the __file__ lines, the traceback) of smsgw.net.url imported on MicroPython after
    `setup` (where the modules are) and made to raise; `more` prints further __file__ lines."""
    code = ("import sys\n%s\nfrom smsgw.net import url\nprint(url.__file__)\n%s\n"
            "try:\n    url.split('nonsense', {})\n"
            "except ValueError as e:\n    sys.print_exception(e)\n" % (setup, more))
    out = subprocess.run([micropython_binary(), "-X", "heapsize=" + heap, "-c", code],
                         capture_output=True, text=True, timeout=30, env=micropython_env())
    assert out.returncode == 0, out.stderr + out.stdout
    head, sep, traceback = out.stdout.partition("Traceback")
    assert sep, out.stdout
    return head.strip(), sep + traceback
