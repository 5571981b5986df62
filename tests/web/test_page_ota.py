"""The page shows the firmware an over-the-air update put there, and the update's outcome."""

from __future__ import annotations

import io
import re
import shutil

from smsgate import bundle
from smsgate.browser import log_in
from smsgate.cmd_ota import Board, firmware_version, update
from smsgate.runtime import FIRMWARE_DIR
from smsgate.virtual import VirtualGateway

KEY = "update-key-0123456789"


def test_firmware_row_shows_version_and_last_update(tmp_path, page):
    a = firmware_version(FIRMWARE_DIR)
    fw_b = tmp_path / "fw-b"
    shutil.copytree(FIRMWARE_DIR, fw_b, ignore=shutil.ignore_patterns("__pycache__"))
    init = fw_b / "smsgw" / "__init__.py"
    init.write_text(re.sub(r'VERSION = "[^"]+"', 'VERSION = "%s-b"' % a, init.read_text()))
    with VirtualGateway(password="web-secret", heap="512K", data_dir=tmp_path / "flash",
                        config={"ota": {"key": KEY}}) as gw:
        gw.wait_ready()
        board = Board(gw.url, gw.user, gw.password)
        files = bundle.build("unix", firmware_dir=fw_b)
        assert update(board, files, a + "-b", KEY, wait_s=120, out=io.StringIO()) == \
            "%s → %s-b" % (a, a)
        log_in(page, gw.url, gw.user, gw.password)
        row = page.wait_for_selector("#st dt:text-is('Firmware') + dd")
        text = row.inner_text()
        assert "%s-b (slot a)" % a in text and "last update %s -> %s-b: ok" % (a, a) in text
        assert not page.errors
