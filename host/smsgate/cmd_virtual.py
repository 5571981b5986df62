"""`smsgate virtual`: the real firmware on a virtual board against a simulated modem."""

from __future__ import annotations

import argparse
import json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "virtual",
        help="run the gateway firmware on a virtual board with a simulated modem",
        description="Start a simulated SIM800/SIM7600, put the firmware bundle on a virtual "
        "board's flash, write its config.json and serve the gateway API on 127.0.0.1.",
    )
    p.add_argument("--board", choices=("unix", "tcall-sim800l", "t-sim7600"), default="unix",
                   help="unix (default): the unix port with the host's network and clock; "
                   "tcall-sim800l / t-sim7600: that board's module on an ESP32 personality "
                   "(Wi-Fi to join, RTC from 2000, watchdog; see --board-control /wifi)")
    p.add_argument("--model", choices=("sim800", "sim7600"),
                   help="simulated modem (default: the board's; sim800 for unix)")
    p.add_argument("--http-port", type=int, default=8080, help="API port (default 8080)")
    p.add_argument("--sim-control", type=int, default=0, metavar="PORT",
                   help="the simulator's control API port (default: a free one)")
    p.add_argument("--data", metavar="DIR", help="the board's flash folder (kept; default: "
                   "a fresh temporary folder)")
    p.add_argument("--heap", default="256K", help="MicroPython heap (default 256K)")
    p.add_argument("--user", default="sms")
    p.add_argument("--password", help="API password, 8+ characters (default: a random one, "
                   "printed)")
    p.add_argument("--attach", metavar="LINK", help="use an already running `smsgate sim "
                   "modem` on this pty link instead of starting one")
    p.add_argument("--config", metavar="FILE", help="JSON merged into the board's config.json")
    p.add_argument("--mqtt", metavar="URL", help="MQTT broker, e.g. mqtt://127.0.0.1:1883 "
                   "(sets mqtt.url; other mqtt.* keys come from --config)")
    p.add_argument("--sim-scale", type=float, default=1.0,
                   help="simulator time scale (default 1.0: real modem timings)")
    p.add_argument("--repl-link", metavar="PATH", help="expose the board's REPL on a pty "
                   "linked at PATH (mpremote connect PATH ...)")
    p.add_argument("--board-control", type=int, metavar="PORT", help="serve the board's "
                   "pins on 127.0.0.1:PORT (0: a free one): POST /pins/N {\"value\": 0|1}, "
                   "POST /adc/N {\"value\": N}, GET /pins/N (alert unit inputs and relays); "
                   "ESP32 boards: POST /wifi {\"up\": false} / {\"password\": \"...\"}, "
                   "GET /wifi (the access point and the board's radio)")
    p.add_argument("--install", action="store_true", help="install this host's firmware even "
                   "when --data already holds one (by default a flash with firmware boots what "
                   "it has, e.g. a version an over-the-air update put there)")
    p.add_argument("--blank", action="store_true", help="only a board with an empty flash "
                   "(MicroPython, as freshly flashed) and its REPL: no firmware, no simulator")
    p.set_defaults(func=do_virtual)


def _user_config(path: str | None) -> dict:
    from smsgate.cli import CliError

    if not path:
        return {}
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        raise CliError("--config %s: %s" % (path, exc))
    if not isinstance(data, dict):
        raise CliError("--config %s: must be a JSON object" % path)
    return data


def do_virtual(args: argparse.Namespace) -> int:
    from smsgate.cli import CliError
    from smsgate.foreground import serve
    from smsgate.virtual import GatewayError, VirtualGateway
    from smsgw.errors import ConfigError

    if args.blank:  # D: a freshly flashed board for install/provision/verify
        from smsgate.vboard.serve import serve_blank

        return serve_blank(args.data, args.heap, args.repl_link)
    extra = _user_config(args.config)
    if args.mqtt:  # E (events): --mqtt URL is mqtt.url over whatever --config says
        mq = extra.get("mqtt") if isinstance(extra.get("mqtt"), dict) else {}
        extra["mqtt"] = dict(mq, url=args.mqtt)
    if args.heap == "256K" and ("mqtt" in extra or "webhooks" in extra):
        # E: the core keeps ~157 KB live on this 64-bit port and webhooks/MQTT ~22 KB each;
        # 256K then leaves too little room for the inbox (MemoryError seen with both)
        args.heap = "512K"
    if args.heap == "256K" and args.board != "unix":
        # the ESP32 stand-ins (network, machine, time) compile into the board's heap, ~25 KB a
        # real port keeps in flash: 256K left the first setup no room to check the config
        args.heap = "320K"
    sim_args = ("--control", str(args.sim_control)) if args.sim_control else ()
    try:
        gw = VirtualGateway(
            model=args.model, http_port=args.http_port, data_dir=args.data, heap=args.heap,
            user=args.user, password=args.password, attach=args.attach, config=extra,
            sim_scale=args.sim_scale, fw_scale=min(1.0, max(args.sim_scale, 0.2)),
            sim_args=sim_args, repl_link=args.repl_link, install=args.install or None,
            board=args.board,
        )
    except ConfigError as exc:
        raise CliError("config: %s" % exc)

    pins = []  # the board control server, when asked for

    def up():
        try:
            gw.start(timeout=120)
        except ConfigError as exc:
            raise CliError("config: %s" % exc)
        except GatewayError as exc:
            raise CliError(str(exc))
        print("smsgate virtual gateway (%s, board %s) is up" % (gw.model, args.board))
        print("  API:         %s/  (user %s, password %s)" % (gw.url, gw.user, gw.password))
        print("  board flash: %s" % gw.data_dir)
        if args.repl_link:
            print("  board REPL:  mpremote connect %s repl" % args.repl_link)
        if args.board_control is not None:  # F (alert unit): the board's wires over HTTP
            from smsgate.board_control import BoardControl

            pins.append(BoardControl(gw.data_dir, args.board_control).start())
            print("  board control: %s  (POST /pins/N, POST /adc/N, GET /pins/N%s)"
                  % (pins[0].url, ", GET/POST /wifi" if gw.esp32 else ""))
        if gw.esp32:
            print("  Wi-Fi:       access point %r, password %s"
                  % (gw.wifi_ap["ssid"], gw.wifi_ap["password"]))
        if gw.sim is not None:
            print("  sim control: %s  (POST /sms, GET /sent, POST /fault)" % gw.sim.control_url)
        else:
            print("  modem:       attached to %s" % args.attach)
        print("  try: curl -u %s:%s -H 'Content-Type: application/json' -d "
              "'{\"textMessage\":{\"text\":\"hi\"},\"phoneNumbers\":[\"+15551234567\"]}' "
              "%s/message" % (gw.user, gw.password, gw.url))

    def down():
        for p in pins:
            p.stop()
        gw.stop()

    return serve(up, lambda: gw.board is not None and gw.board.alive, down)
