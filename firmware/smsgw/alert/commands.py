# SMS commands: "<TOTP code> STATUS | RELAY <n> ON|OFF | REBOOT | SEND <number> <text> | BALANCE"
# from allow-listed numbers, each with its own base32 secret (RFC 6238, +-1 step). A code is
# accepted once (the last used step per number is kept, in flash too). Wrong codes are
# rate-limited per number: at most max_attempts per window_s are checked (a token bucket, one
# token back every window_s / max_attempts). Only a well-formed command with a wrong or replayed
# code spends a token: junk "from" an owner's number spends nothing, and a valid code never
# does. Anything not authenticated does nothing, gets no reply and is only counted -- except
# while the board's clock is unset (smsgw.clock): no code can be checked then, and an
# allow-listed number gets a reply saying so instead of silence.
# Loaded only while the unit handles an SMS from an allow-listed number (alert/unit.py), then
# forgotten; what lasts between SMS (the rate-limit buckets) the unit keeps and hands back in.
from smsgw import clock
from smsgw.alert import totp, util
from smsgw.fsutil import read_json, write_json

MAX_TEXT = 480  # longest command SMS considered (3 GSM-7 segments); longer is ignored
VERBS = ("STATUS", "RELAY", "REBOOT", "SEND", "BALANCE")


def parse(text):
    """Split a command SMS. Returns (code, verb, args) or None when it is not shaped like one.

    verb is upper-case; args: STATUS/REBOOT/BALANCE (), RELAY (n, on), SEND (number, text);
    an unknown verb or bad arguments give verb "?" and args (reason,).
    """
    parts = text.strip().split(None, 2)
    if len(parts) < 2 or len(parts[0]) != totp.DIGITS or not parts[0].isdigit():
        return None
    code, verb = parts[0], parts[1].upper()
    rest = parts[2] if len(parts) > 2 else ""
    if verb in ("STATUS", "REBOOT", "BALANCE") and not rest:
        return code, verb, ()
    if verb == "RELAY":
        a = rest.upper().split()
        if len(a) == 2 and a[0].isdigit() and a[1] in ("ON", "OFF"):
            return code, verb, (a[0], a[1] == "ON")
        return code, "?", ("usage: RELAY <n> ON|OFF",)
    if verb == "SEND":
        a = rest.split(None, 1)
        if len(a) == 2:
            try:
                return code, verb, (util.check_number(a[0], "number"), a[1])
            except util.ConfigError:
                pass
        return code, "?", ("usage: SEND <+number> <text>",)
    return code, "?", ("commands: STATUS, RELAY n ON|OFF, REBOOT, SEND n text, BALANCE",)


class Auth:
    """Allow list, TOTP check with replay refusal and per-number rate limit.

    Args:
        cfg: the validated `commands` section.
        counters: a dict for health (cmd_accepted, cmd_unknown_number, cmd_bad_code,
            cmd_replayed, cmd_rate_limited, cmd_malformed).
        state_path: JSON file keeping the last accepted step per number (None: RAM only).
        ticks, wall: injectable clocks (ms monotonic; Unix seconds or None while unset).
        tat: the rate-limit buckets ({number: ticks}) of an earlier Auth, to go on with.
    """

    def __init__(self, cfg, counters, state_path=None, ticks=None, wall=None, tat=None):
        self.keys = dict((n, totp.b32decode(s)) for n, s in cfg.get("allow", {}).items())
        self.max_attempts = cfg.get("max_attempts", 5)
        self.window_ms = cfg.get("window_s", 300) * 1000
        self.counters = counters
        self._path = state_path
        self._ticks = ticks or util.ticks_ms
        self._wall = wall or clock.now
        self._interval = max(1, self.window_ms // self.max_attempts)  # one token back
        self.tat = {} if tat is None else tat  # number -> ticks its bucket is full again (GCRA)
        self.last_step = read_json(state_path, {}) if state_path else {}
        util.count_commands(counters)

    def _count(self, name):
        self.counters[name] += 1
        return None

    def check(self, number, text):
        """Authenticate one SMS. Returns (verb, args) to run ("CLOCK": the clock is unset, the
        code was not checked), or None (do nothing, no reply)."""
        key = self.keys.get(number)
        if key is None:
            return self._count("cmd_unknown_number")
        cmd = parse(text) if len(text) <= MAX_TEXT else None
        if cmd is None:
            return self._count("cmd_malformed")
        if not self._may_check(number):
            return self._count("cmd_rate_limited")
        code, verb, args = cmd
        now = self._wall()
        if now is None:  # the RTC is not set yet: a code can only be refused, say why
            self.counters["cmd_no_clock"] += 1
            return "CLOCK", ()
        step = totp.match(key, code, now, self.last_step.get(number, -1))
        if step is None:
            self._spend(number)
            replay = totp.match(key, code, now) is not None
            return self._count("cmd_replayed" if replay else "cmd_bad_code")
        self.last_step[number] = step
        if self._path:
            write_json(self._path, self.last_step)
        self.counters["cmd_accepted"] += 1
        return verb, args

    def _may_check(self, number):
        # A token left: fewer than max_attempts failures "outstanding" in the window.
        tat = self.tat.get(number)
        return tat is None or util.ticks_diff(tat, self._ticks()) <= (
            self.window_ms - self._interval)

    def _spend(self, number):
        now = self._ticks()
        tat = self.tat.get(number)
        base = tat if tat is not None and util.ticks_diff(tat, now) > 0 else now
        self.tat[number] = util.ticks_add(base, self._interval)


class Actions:
    """What an authenticated command does (run's `actions`), on the running alert unit `u`
    (alert/unit.py: its relays, engine, outbox, modem, board and tasks)."""

    def __init__(self, u):
        self.u = u

    def status(self):
        u = self.u
        f = u.fields()
        parts = ["%s up %s" % (u.device, f["uptime"]),
                 "sig %s reg %s q %s" % (f["signal"], f["reg"], f["queue"])]
        if u.relays:
            parts.append("relays " + " ".join(
                "%s=%s" % (n, "ON" if u.relay_on.get(n) else "OFF") for n in u.relays))
        if u.engine is not None:
            parts.append("in " + u.engine.inputs())
            la = u.engine.last_alert
            parts.append("last %s" % ("none" if la is None else "%s %s" % (
                la[0], util.fmt_time(clock.local_seconds(la[1])))))
        return ", ".join(parts)

    def relay(self, n, on):
        u = self.u
        pin = u.relays.get(n)
        if pin is None:
            return False
        u.board.write_pin(pin, 1 if on else 0)
        u.relay_on[n] = on
        return True

    def send_text(self, number, text):
        u = self.u
        if u.outbox is None:
            return "no outbox"
        status, obj = u.outbox.submit({"textMessage": {"text": text},
                                       "phoneNumbers": [number]})
        return obj.get("id", "") if status < 300 else "refused (%s)" % obj.get("message")

    async def balance(self):
        u = self.u
        code = u.cfg.get("commands", {}).get("balance_ussd", "*100#")
        m, text, dcs = await u.modem.ussd(code.encode())
        return text

    def reboot(self):
        import asyncio  # here: validating on the host imports no asyncio code (alert/__init__)

        u = self.u
        delay = u.cfg.get("commands", {}).get("reboot_delay_s", 10)
        u.tasks.append(asyncio.create_task(self._reboot_later(delay)))

    async def _reboot_later(self, delay_s):
        # Give the reply time to leave: wait until the queue is empty, at most delay_s.
        import asyncio

        u = self.u
        for _ in range(delay_s * 4):
            if u.outbox is None or not u.outbox.pending():
                break
            await asyncio.sleep_ms(250)
        from smsgw import log

        log.info("alert: REBOOT command")
        from smsgw.resets import expect

        expect(u.dir, "REBOOT command")  # not counted as an unexpected reset
        u.board.reset()


async def run(verb, args, actions):
    """Execute an authenticated command. Returns the reply text.

    `actions` provides: status() -> str, relay(n, on) -> bool, send_text(number, text) -> str,
    async balance() -> str, reboot() (schedules the reset after the reply).
    """
    if verb == "STATUS":
        return actions.status()
    if verb == "RELAY":
        n, on = args
        if not actions.relay(n, on):
            return "RELAY %s: no such relay" % n
        return "RELAY %s %s" % (n, "ON" if on else "OFF")
    if verb == "SEND":
        return "SEND to %s: %s" % (args[0], actions.send_text(args[0], args[1]))
    if verb == "BALANCE":
        try:
            return "BALANCE: %s" % await actions.balance()
        except Exception as e:  # a USSD failure is the answer, not a crash of the command task
            return "BALANCE failed: %s" % e
    if verb == "REBOOT":
        actions.reboot()
        return "REBOOT: restarting"
    if verb == "CLOCK":
        return "Refused: the clock is not set yet, codes cannot be checked. Try again later."
    return "ERROR %s" % args[0]
