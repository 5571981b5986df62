"""Fault injection: the ways real SIMCom modems misbehave (docs/SIMCOM-AT.md §10), as counters.

Each kind arms a counter or acts at once; the engine asks at fixed points (a command line
arrives, a final OK is about to go out, a PDU was received) whether a fault applies.
"""

from __future__ import annotations

import asyncio
import random

KINDS = (
    "silent", "lose_ok", "cms_error", "reboot", "storage_full", "deregister", "register",
    "under_voltage", "garbage", "slow", "zombie", "urc", "mute", "clear",
)
# where a `urc` fault puts its URC: at once, or inside the next command's answer
URC_WHERE = ("now", "after_echo", "before_ok", "before_prompt", "after_ctrl_z")


class FaultError(ValueError):
    """A fault request is malformed (the control API answers 400 with the message)."""


class Faults:
    """Armed faults of one modem."""

    def __init__(self, modem) -> None:
        self.modem = modem
        self.silent = 0
        self.lose_ok = 0
        self.cms_error = 0
        self.cms_code = 500
        self.reboot_next = False
        self.reboot_cmgs = False
        self.reboot_cmgs_sent = False
        self.slow = 0
        self.slow_s = 0.0
        self.zombie = False
        self.urcs: dict[str, list[str]] = {}
        self.mute: list[str] = []  # command prefixes that get no answer, once each

    def describe(self) -> dict:
        return {
            "silent": self.silent, "lose_ok": self.lose_ok, "cms_error": self.cms_error,
            "reboot_next": self.reboot_next, "reboot_cmgs": self.reboot_cmgs, "slow": self.slow,
            "zombie": self.zombie, "urcs": self.urcs, "mute": self.mute,
        }

    def on_power_cycle(self) -> None:
        """A real power cycle cures a zombie."""
        self.zombie = False

    # ---- arming (control API) ------------------------------------------------------------------
    def inject(self, spec: dict) -> dict:
        """Arm or perform the fault described by `spec` ({"kind": ..., ...}).

        Raises:
            FaultError: unknown kind or bad parameter.
        """
        kind = spec.get("kind")
        if kind not in KINDS:
            raise FaultError("unknown fault kind %r (known: %s)" % (kind, ", ".join(KINDS)))
        n = _int(spec, "n", 1)
        m = self.modem
        if kind == "silent":
            self.silent += n
        elif kind == "lose_ok":
            self.lose_ok += n
        elif kind == "cms_error":
            self.cms_error += n
            self.cms_code = _int(spec, "code", 500)
        elif kind == "reboot":
            self._arm_reboot(spec)
        elif kind == "storage_full":
            m.network.fill_storage(spec.get("store"))
        elif kind in ("deregister", "register"):
            stat = _int(spec, "stat", 1 if kind == "register" else 0)
            if stat not in (0, 1, 2, 3, 4, 5):
                raise FaultError("stat must be 0..5")
            m.network.set_target(stat)
        elif kind == "under_voltage":
            m.network.voltage_mv = _int(spec, "mv", 3450)
            m.urc("UNDER-VOLTAGE WARNNING")
            if spec.get("power_down"):
                m.power_off("UNDER-VOLTAGE POWER DOWN")
        elif kind == "garbage":
            data = spec.get("bytes")
            raw = bytes.fromhex(data) if isinstance(data, str) else _noise(_int(spec, "n", 8))
            m.write(raw)
        elif kind == "slow":
            self.slow += n
            self.slow_s = float(spec.get("s", 5.0))
        elif kind == "zombie":
            self.zombie = bool(spec.get("on", True))
        elif kind == "urc":
            text, where = spec.get("text"), spec.get("where", "now")
            if not isinstance(text, str) or where not in URC_WHERE:
                raise FaultError("urc: 'text' (string) and 'where' in %s" % (URC_WHERE,))
            if where == "now":
                m.urc(text)
            else:
                self.urcs.setdefault(where, []).append(text)
        elif kind == "mute":  # the next n commands starting with `match` get no answer at all
            match = spec.get("match")
            if not isinstance(match, str) or not match.upper().startswith("AT"):
                raise FaultError("mute: 'match' must be a command prefix such as 'AT+CPIN='")
            self.mute += [match.upper()] * n
        elif kind == "clear":
            self.__init__(m)
            m.network.voltage_mv = 4050
        return {"kind": kind, "armed": self.describe()}

    def _arm_reboot(self, spec: dict) -> None:
        during = spec.get("during")
        if during not in (None, "CMGS", "now", "next"):
            raise FaultError("reboot: 'during' must be 'CMGS', 'next' or 'now'")
        if during == "CMGS":
            self.reboot_cmgs = True
            self.reboot_cmgs_sent = bool(spec.get("sent", False))
        elif during == "now" or spec.get("now"):
            self.modem.write(_noise(4))
            self.modem.reboot()
        else:
            self.reboot_next = True

    # ---- hooks (engine) -------------------------------------------------------------------
    def swallowing(self) -> bool:
        """True while a `silent` fault eats the current line (no echo, no answer)."""
        return self.silent > 0

    def line_swallowed(self) -> None:
        self.silent -= 1

    async def before_command(self, text: str) -> bool:
        """Called for every command line; True means the line gets no answer."""
        m = self.modem
        if self.zombie:
            return True
        for prefix in self.mute:
            if text.upper().startswith(prefix):
                self.mute.remove(prefix)
                return True
        self.emit_urcs("after_echo")
        if self.reboot_next:
            self.reboot_next = False
            m.write(b"\r\n" + _noise(3))  # truncated output: the brown-out hits mid-answer
            m.reboot()
            return True
        if self.slow > 0:
            self.slow -= 1
            await asyncio.sleep(self.slow_s)
        return False

    def emit_urcs(self, where: str) -> None:
        """Write the URCs armed for this point of a command's answer (docs/SIMCOM-AT.md §1.4)."""
        for text in self.urcs.pop(where, ()):
            self.modem.info(text)

    def take(self, kind: str) -> bool:
        """Consume one armed `lose_ok` or `cms_error`."""
        if kind == "lose_ok" and self.lose_ok > 0:
            self.lose_ok -= 1
            return True
        if kind == "cms_error" and self.cms_error > 0:
            self.cms_error -= 1
            return True
        return False

    def take_reboot_cmgs(self) -> tuple[bool, bool]:
        """(reboot now?, was the message sent first?) for a PDU just received."""
        if not self.reboot_cmgs:
            return False, False
        self.reboot_cmgs = False
        return True, self.reboot_cmgs_sent


def _int(spec: dict, key: str, default: int) -> int:
    v = spec.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise FaultError("%s must be a number" % key)
    return int(v)


def _noise(n: int) -> bytes:
    """Bytes like those seen on a browning-out line (0x00, 0xFF, 0xF0, high bytes)."""
    pool = (0x00, 0xFF, 0xF0, 0xFE, 0x80, 0xE0)
    return bytes(random.choice(pool) for _ in range(max(1, n)))
