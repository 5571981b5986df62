"""`smsgate install | provision | verify | logs`: a board (real or virtual) over mpremote.

Each command opens the board's serial port with mpremote's transport, which interrupts the
running main.py (Ctrl-C) and soft-resets into the raw REPL, exactly as `mpremote` does. When a
command has finished it leaves the raw REPL and soft-reboots the board (Ctrl-D in the friendly
REPL), so boot.py and main.py run again and the gateway is back (`--no-restart` leaves the board
at the REPL). A gateway is therefore stopped for the few seconds a command takes; messages
accepted before are in the flash journal and are picked up again at boot.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from smsgate import bundle
from smsgate.cli import CliError
from smsgate.device import Device, read_from

CONFIG_PATH = "/config.json"
LOG_PATH = "/log.txt"
_SECRET_WORDS = ("password", "pin", "secret", "token", "key", "psk")


def _open(args: argparse.Namespace) -> Device:
    dev = Device(args.port)
    dev.restart = not getattr(args, "no_restart", False)
    return dev


# -- install ---------------------------------------------------------------------------------


def _parents(paths: list[str]) -> list[str]:
    dirs: list[str] = []
    for p in paths:
        parts = p.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/" + "/".join(parts[:i])
            if d not in dirs:
                dirs.append(d)
    return dirs


def _board_arg(name: str | None) -> str | None:
    return name.replace("_", "-") if name else None


def _romfs_deploy(port: str, image: Path, restart: bool) -> None:
    """Write the ROMFS image to the board's romfs partition with `mpremote romfs deploy` (it
    checks the partition's size), then restart the board so MicroPython mounts it at /rom."""
    import subprocess

    print("deploying the ROMFS image (%d bytes) with mpremote" % image.stat().st_size)
    res = subprocess.run([sys.executable, "-m", "mpremote", "connect", port, "romfs", "deploy",
                          str(image)], capture_output=True, text=True, timeout=600,
                         check=False)
    if res.returncode != 0 or "ROMFS image deployed" not in res.stdout:
        raise CliError("mpremote romfs deploy failed: %s"
                       % _last_lines(res.stdout + res.stderr))
    with Device(port) as dev:  # enters the raw REPL by a soft reset: that mounts the image
        dev.restart = restart


def _last_lines(text: str, n: int = 3) -> str:
    return " / ".join(line.strip() for line in text.strip().splitlines()[-n:])


def do_install(args: argparse.Namespace) -> int:
    """Put the firmware on the board; only files whose sha256 differs are copied."""
    with _open(args) as dev:
        info = dev.eval_json(
            "import sys,json\nb=c=None\ntry:\n c=json.load(open('/config.json'))\n"
            " b=c.get('board')\nexcept Exception:\n pass\n"
            "try:\n import vfs\n r=vfs.rom_ioctl(1)\nexcept Exception:\n r=0\n"
            "print(json.dumps([sys.implementation._mpy,sys.platform,b,c is not None,r]))"
        )
        mpy, platform, cfg_board, has_config, rom_parts = info
        if not has_config:
            # The gateway cannot start without its config (a real board would go round a
            # crash-and-reset loop): stay at the REPL until `smsgate provision`.
            dev.restart = False
        try:
            bundle.check_board_mpy(mpy)
        except bundle.BundleError as exc:
            raise CliError(str(exc)) from None
        board = args.board or _board_arg(cfg_board) or ("unix" if platform == "linux" else None)
        if not board:
            raise CliError("say which board this is: --board tcall-sim800l|t-sim7600|unix")
        # --romfs: the compiled modules go to the ROMFS partition (mounted at /rom), in place
        # of a real board's `mpremote romfs deploy` the virtual board's partition file
        virtual = platform == "linux"
        if args.romfs and not virtual and rom_parts < 1:
            raise CliError("the MicroPython on %s has no ROMFS partition: flash one built with "
                           "ROMFS and a romfs partition (README: 'the modules in a ROMFS "
                           "partition'), or install without --romfs" % args.port)
        try:
            files = bundle.build(board, frozen=args.frozen or args.romfs)
            compiled = [p for p in bundle.build(board) if p.endswith(".mpy")]
            image = bundle.romfs_image(board) if args.romfs else None
        except bundle.BundleError as exc:
            raise CliError(str(exc)) from None
        if image is not None and virtual:
            from smsgate.vboard.board import ROMFS_FILE

            files[ROMFS_FILE] = image
        remote = dev.hashes(["/" + p for p in files])
        changed = [p for p, src in files.items() if remote["/" + p] != bundle.file_sha256(src)]
        # A .py beside its .mpy is imported instead of the .mpy; with the firmware frozen into
        # the MicroPython image (or in the ROMFS), a .mpy or .py on the flash instead of that.
        # And what an earlier version installed that nothing imports any more.
        shadows = ["/" + p[:-4] + ".py" for p in compiled] + ["/" + p for p in bundle.RETIRED]
        if args.frozen or args.romfs:
            shadows += ["/" + p for p in compiled]
        if virtual and not args.romfs:
            # the virtual board reads its ROMFS image into the heap (a real board maps it from
            # flash): a plain install erases that partition rather than leave it costing heap
            from smsgate.vboard.board import ROMFS_FILE

            shadows.append("/" + ROMFS_FILE)
        stale = [p for p, h in dev.hashes(shadows).items() if h is not None]
        deploy = image is not None and not virtual
        restart = dev.restart
        if deploy:
            dev.restart = False  # restarted after the deploy, so that /rom is the new image
        if not changed and not stale and not deploy:
            print("nothing to copy: %d files on %s already up to date (board %s)"
                  % (len(files), args.port, board))
            return 0
        dev.makedirs(_parents(changed))
        total = 0
        for p in changed:
            data = files[p].read_bytes()
            dev.write("/" + p, data)
            total += len(data)
            print("  wrote /%s (%d bytes)" % (p, len(data)))
        for p in stale:
            dev.exec("import os\nos.remove(%r)" % p)
            if p.endswith(".romfs"):
                print("  removed %s (the ROMFS image: the modules are on the flash now)" % p)
                continue
            if p.lstrip("/") in bundle.RETIRED:
                print("  removed %s (this version does not use it)" % p)
                continue
            print("  removed %s (it would shadow the %s module)"
                  % (p, "frozen" if args.frozen else "ROMFS" if args.romfs else "compiled"))
        if stale:
            # A package folder left without its modules is still a package to the import
            # system: '' comes first in sys.path, so an empty /smsgw hides the one in /rom
            # (or the frozen one). Deepest first; a folder with other files in it stays.
            emptied = sorted(_parents([p.lstrip("/") for p in stale]), key=len, reverse=True)
            dev.exec("import os\nfor d in %r:\n try:\n  os.rmdir(d)\n except OSError:\n"
                     "  pass" % emptied)
        after = dev.hashes(["/" + p for p in changed])
        bad = [p for p in changed if after["/" + p] != bundle.file_sha256(files[p])]
        if bad:
            raise CliError("verification failed after writing: %s" % ", ".join(bad))
    if deploy:
        _romfs_deploy(args.port, image, restart)
    print("installed board %s on %s: %d of %d files written (%d bytes), %d unchanged"
          % (board, args.port, len(changed), len(files), total, len(files) - len(changed)))
    if not has_config:
        print("no /config.json on the board yet: it stays at the REPL; next: smsgate provision "
              "--port %s --board %s ..." % (args.port, board))
    return 0


# -- provision -------------------------------------------------------------------------------

# flag -> dotted config key (smsgw/config.py DEFAULTS)
_FLAG_KEYS = {
    "api_user": "api.user",
    "api_password": "api.password",
    "http_port": "api.port",
    "modem": "modem.model",
    "modem_port": "modem.port",
    "pin": "modem.pin",
    "baud": "modem.baud",
    "board": "board",
    "device_name": "device.name",
    "device_id": "device.id",
}


def _set(cfg: dict, dotted: str, value: Any) -> None:
    node = cfg
    keys = dotted.split(".")
    for k in keys[:-1]:
        node = node.setdefault(k, {})
        if not isinstance(node, dict):
            raise CliError("%s: cannot set inside a non-object" % dotted, status=2)
    node[keys[-1]] = value


def _is_secret(dotted: str) -> bool:
    if dotted.startswith("commands.allow."):  # F: per-number TOTP secrets
        return True
    last = dotted.rsplit(".", 1)[-1].lower()
    return any(w in last for w in _SECRET_WORDS)


def _shown(dotted: str, value: Any) -> str:
    """How provision prints a config value: secrets and URL passwords never appear."""
    if _is_secret(dotted):
        return "(secret)"
    if isinstance(value, str):
        value = redact_url(value)
    return json.dumps(value)


def redact_url(text: str) -> str:
    """`mqtt://user:pass@host` -> `mqtt://user:***@host` (any scheme; other text unchanged)."""
    return re.sub(r"(://[^/@:\s]*:)[^/@\s]*@", r"\1***@", text)


def _flatten(cfg: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in cfg.items():
        key = prefix + k
        if isinstance(v, dict) and v:
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _device_path(path: str) -> str:
    """A host link to a pty (the simulator's `ttyV0`) as the virtual board sees it.

    The virtual board mounts the host's tree at /host. The link itself is kept, not the
    /dev/pts/N behind it: when the simulator stops its link goes (ENOENT on the board), while
    the number would be handed to the next pty opened on the host (another board's REPL).
    """
    if os.path.islink(path) and os.path.realpath(path).startswith("/dev/"):
        return "/host" + os.path.abspath(path)
    return path


def updates_from_args(args: argparse.Namespace) -> dict:
    """The config changes asked for on the command line (file first, then flags)."""
    cfg: dict = {}
    if args.config:
        try:
            cfg = json.loads(Path(args.config).read_text())
        except (OSError, ValueError) as exc:
            raise CliError("--config %s: %s" % (args.config, exc), status=2) from None
        if not isinstance(cfg, dict):
            raise CliError("--config %s: must be a JSON object" % args.config, status=2)
    if args.wifi is not None:
        ssid, sep, password = args.wifi.partition(":")
        if not sep or not ssid:
            raise CliError("--wifi: expected SSID:PASSWORD", status=2)
        _set(cfg, "wifi.ssid", ssid)
        _set(cfg, "wifi.password", password)
    for attr, key in _FLAG_KEYS.items():
        value = getattr(args, attr, None)
        if value is not None:
            if key == "board":
                value = value.replace("-", "_")
            if key == "modem.port":
                value = _device_path(value)
            _set(cfg, key, value)
    for item in args.set or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise CliError("--set: expected KEY=VALUE, got %r" % item, status=2)
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw  # a bare string
        _set(cfg, key, value)
    return cfg


def _validate(cfg: dict) -> None:
    from smsgw import config
    from smsgw.errors import ConfigError

    try:
        config.validate(config.merge(config.DEFAULTS, cfg))
    except ConfigError as exc:
        raise CliError("invalid config: %s" % exc, status=2) from None


def do_provision(args: argparse.Namespace) -> int:
    """Validate on the host, merge into the board's config, write it atomically."""
    from smsgw import config
    from smsgw.password import new_password

    updates = updates_from_args(args)
    if not updates:
        raise CliError("nothing to provision: give --config or settings", status=2)
    # No board serves without an API password: one is generated when neither the flags nor
    # the board's config give one (and shown once below; `smsgate verify` shows it again).
    api_u = updates.get("api", {})
    given = not isinstance(api_u, dict) or "password" in api_u  # (not a dict: validation says)
    generated = None if given else new_password()
    _validate(config.merge(updates, {"api": {"password": generated}}) if generated
              else updates)  # before touching the board
    with _open(args) as dev:
        raw = dev.read(CONFIG_PATH)
        current: dict = {}
        if raw is not None:
            try:
                current = json.loads(raw)
            except ValueError:
                print("warning: %s on the board was not valid JSON; replacing it" % CONFIG_PATH)
            if not isinstance(current, dict):
                current = {}
        merged = config.merge(current, updates)
        api_cfg = merged.get("api")
        if generated and (not isinstance(api_cfg, dict) or "password" not in api_cfg):
            merged = config.merge(merged, {"api": {"password": generated}})
        else:
            generated = None  # the board's own password stays
        _validate(merged)
        from smsgate.cmd_totp import provisioning_text  # F: --totp-uri NUMBER [--qr]

        totp_text = provisioning_text(merged, args.totp_uri, args.qr) if args.totp_uri else ""
        text = (json.dumps(merged, indent=1, sort_keys=True) + "\n").encode()
        before, after = _flatten(current), _flatten(merged)
        changed = sorted(k for k in after if before.get(k, object()) != after[k])
        if raw == text:
            print("config on %s unchanged (sha256 %s)" % (args.port, _sha(text)))
            print(totp_text, end="")
            return 0
        dev.write(CONFIG_PATH, text)
        if dev.read(CONFIG_PATH) != text:
            raise CliError("the config read back differs from what was written")
    for key in changed:
        print("  %s = %s" % (key, _shown(key, after[key])))
    print("config written to %s:%s (%d keys changed, sha256 %s)%s"
          % (args.port, CONFIG_PATH, len(changed), _sha(text),
             "" if args.no_restart else "; board restarted"))
    if generated:
        print("API login: user %s, password %s (generated; `smsgate verify` shows it again)"
              % (merged["api"].get("user", config.DEFAULTS["api"]["user"]), generated))
    ap = setup_ap_text(merged)
    if ap:
        print(ap)
    print(totp_text, end="")
    return 0


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- verify ----------------------------------------------------------------------------------


def do_verify(args: argparse.Namespace) -> int:
    """Config digest and the on-board self-check as a pass/fail table; 0 when all pass."""
    import smsgw

    with _open(args) as dev:
        out = dev.exec("import smsgw.selfcheck as s\ns.main(%r)" % smsgw.VERSION, timeout=60)
        raw = dev.read(CONFIG_PATH)  # after: the self-check's config.load may add a password
    line = [x for x in out.splitlines() if x.startswith("SELFCHECK ")]
    if not line:
        raise CliError("the self-check printed no result:\n%s" % out.strip())
    results = json.loads(line[-1][len("SELFCHECK "):])
    if raw is None:
        print("config   %s: absent (firmware defaults)" % CONFIG_PATH)
    else:
        print("config   %s: %d bytes, sha256 %s" % (CONFIG_PATH, len(raw), _sha(raw)))
    print("api      %s" % _api_login(raw))
    ap = setup_ap_text(_loads(raw))
    if ap:
        print("wifi     %s" % ap)
    width = max(len(r[0]) for r in results)
    for name, ok, detail in results:
        print("%s  %s  %s" % ("PASS" if ok else "FAIL", name.ljust(width), detail))
    failed = [r[0] for r in results if not r[1]]
    if failed:
        print("verify: %d of %d checks failed: %s"
              % (len(failed), len(results), ", ".join(failed)))
        return 1
    print("verify: all %d checks passed" % len(results))
    return 0


def _loads(raw: bytes | None) -> dict:
    try:
        cfg = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return cfg if isinstance(cfg, dict) else {}


def setup_ap_text(cfg: dict) -> str | None:
    """How to reach an ESP32 board's setup access point (smsgw/net/ap.py; net/wifi.py opens it
    while no Wi-Fi network is joined); None on a board without Wi-Fi or without a password."""
    from smsgw.net import ap

    api_cfg = cfg.get("api")
    if cfg.get("board", "unix") == "unix" or not isinstance(api_cfg, dict) \
            or not api_cfg.get("password"):
        return None
    name = ap.name(cfg, "XXXX")
    if name.endswith("-XXXX"):
        name += " (XXXX: the modem's IMEI, last 4 digits)"
    return "setup access point %s, WPA2 password %s (open while no Wi-Fi network is joined)" \
        % (name, ap.password(cfg))


def _api_login(raw: bytes | None) -> str:
    """The API login as the board's config holds it (the first boot generates the password)."""
    from smsgw import config

    api_cfg = _loads(raw).get("api")
    api_cfg = api_cfg if isinstance(api_cfg, dict) else {}
    user = api_cfg.get("user", config.DEFAULTS["api"]["user"])
    password = api_cfg.get("password")
    if not password:
        return "user %s, no password yet (the first boot generates one)" % user
    return "user %s, password %s" % (user, password)


# -- logs ------------------------------------------------------------------------------------


def _stream_console(dev: Device, end: float | None) -> None:
    """Restart the gateway and print its console (the log lines are printed there too)."""
    dev.transport.exit_raw_repl()
    serial = dev.transport.serial
    serial.write(b"\x04")  # soft reboot: main.py runs again
    serial.timeout = 0.2
    while end is None or time.monotonic() < end:
        data = serial.read(4096)
        if data:
            sys.stdout.write(data.decode(errors="replace").replace("\r\n", "\n"))
            sys.stdout.flush()


def do_logs(args: argparse.Namespace) -> int:
    """Print the board's log file, then with `--follow` the lines appended to it.

    The board runs one interpreter: while the REPL reads files, main.py is stopped. So
    `--follow` restarts the gateway and streams its console, where every log line is printed
    as it is appended. `--poll` instead re-reads the file every `--interval` seconds and keeps
    the gateway stopped (useful when main.py is not running anyway, e.g. after a crash).
    """
    dev = _open(args)
    restart = dev.restart
    try:
        size, data = read_from(dev, args.file, 0)
        if size < 0:
            print("(no %s on the board yet)" % args.file, file=sys.stderr)
        sys.stdout.write(data.decode(errors="replace"))
        sys.stdout.flush()
        end = time.monotonic() + args.duration if args.duration else None
        if args.follow:
            restart = False  # the gateway is already running again
            _stream_console(dev, end)
            return 0
        offset = max(size, 0)
        while args.poll and (end is None or time.monotonic() < end):
            time.sleep(args.interval)
            size, data = read_from(dev, args.file, offset)
            if size < offset:  # rotated: the new file starts over
                size, data = read_from(dev, args.file, 0)
            offset = max(size, 0)
            sys.stdout.write(data.decode(errors="replace"))
            sys.stdout.flush()
        return 0
    finally:
        if restart:
            dev.close(restart=True)
        else:
            dev.transport.close()


# -- parsers ---------------------------------------------------------------------------------


def _port(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", "-p", required=True, help="serial port of the board (or a pty)")
    p.add_argument("--no-restart", action="store_true",
                   help="leave the board at the REPL instead of soft-rebooting it afterwards")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register install, provision, verify and logs."""
    p = sub.add_parser("install", help="put the firmware on a board (only changed files)")
    _port(p)
    p.add_argument("--board", choices=bundle.BOARDS,
                   help="board type (default: the board's config, or unix on the unix port)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--frozen", action="store_true",
                   help="the board runs a MicroPython image with the firmware frozen in "
                        "(firmware/manifest.py): write no .mpy, remove compiled modules")
    where.add_argument("--romfs", action="store_true",
                   help="put the compiled modules in the board's ROMFS partition (run in place, "
                        "mounted at /rom; mpremote romfs deploy) instead of .mpy files: needs "
                        "a MicroPython built with ROMFS and a romfs partition")
    p.set_defaults(func=do_install)

    p = sub.add_parser("provision", help="validate and write the board's config")
    _port(p)
    p.add_argument("--config", help="JSON file with config keys to set")
    p.add_argument("--wifi", metavar="SSID:PASSWORD")
    p.add_argument("--api-user")
    p.add_argument("--api-password")
    p.add_argument("--http-port", type=int)
    p.add_argument("--modem", help="modem model: sim800 or sim7600")
    p.add_argument("--modem-port", help="modem device (the virtual board: the simulator's pty)")
    p.add_argument("--pin", help="SIM PIN")
    p.add_argument("--baud", type=int, help="modem UART speed")
    p.add_argument("--board", help="board type: tcall-sim800l, t-sim7600 or unix")
    p.add_argument("--device-name")
    p.add_argument("--device-id")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="any config key, dotted (value parsed as JSON, else a string)")
    p.add_argument("--totp-uri", metavar="NUMBER", help="print the otpauth:// URI of NUMBER's "
                   "SMS-command secret (commands.allow) for an authenticator app")
    p.add_argument("--qr", action="store_true", help="with --totp-uri: also draw a QR code")
    p.set_defaults(func=do_provision)

    p = sub.add_parser("verify", help="config digest and the on-board self-check")
    _port(p)
    p.set_defaults(func=do_verify)

    p = sub.add_parser("logs", help="print the board's log file")
    _port(p)
    how = p.add_mutually_exclusive_group()
    how.add_argument("--follow", "-f", action="store_true",
                     help="then restart the gateway and print lines as they are logged")
    how.add_argument("--poll", action="store_true",
                     help="then re-read the file for appended lines (the gateway stays stopped)")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    p.add_argument("--duration", type=float, help="stop following after this many seconds")
    p.add_argument("--file", default=LOG_PATH, help=argparse.SUPPRESS)
    p.set_defaults(func=do_logs)
