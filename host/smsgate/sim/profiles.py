"""SIM800L and SIM7600E as data: identity, boot URCs, timings, CNMI ranges, storages, formats.

The engine (`engine.py`) reads only these tables; a model difference is a value here, never an
`if model == ...` in the engine. Sources: the SIM800 V1.09 and SIM7600 V3.00 AT manuals and the
public logs collected in docs/SIMCOM-AT.md (§1-§10).

Behaviour we had to GUESS (no manual text or log pins it down):
- Autobaud (SIM800): bytes before the first complete `AT` line are dropped without echo; boot
  URCs due before that sync are never printed, later ones (Call Ready, SMS Ready) are.
- Lines without an `AT` prefix are ignored silently (no ERROR).
- Before SMS-ready: SIM800 answers `AT+CMGS`/`AT+CMGW` with `+CMS ERROR: 325` and the other SMS
  commands with `+CME ERROR: 3` (as in the jakhax#4 log); SIM7600 uses `+CMS ERROR: 302` for
  the sends. `AT+CPIN?` / `AT+CSCA?` before `+CPIN: READY` answer `+CME ERROR: 14` (SIM busy).
- The network registers `reg_after_s` after SIM-ready; `+CSQ: 0,0` (SIM800) / `99,99` (SIM7600)
  until then.
- SIM7600 storage indices are 0-based (its manual); SIM800 1-based (every log).
- Stores modelled: SIM800 `SM` (30) and `ME` (20, empty); SIM7600 `SM` (30), `ME` (23) and `SR`
  (status reports for `<ds>=2`, 30). `AT+CPMS=?` advertises only these (no SM_P/ME_P/MT).
- `AT+CMGD=<i>,<flag>` with flag>0 ignores the index on both models; `AT+CMGD=,4` is accepted
  on SIM7600 only (SIM800: ERROR).
- ESC at the `> ` prompt answers `OK` on both models (documented for SIM7600 only).
- `AT+CNMI` with fewer than 5 values keeps the current value of the omitted ones.
- A PDU whose length disagrees with `AT+CMGS=<n>` or that does not decode: `+CMS ERROR: 304`;
  a send while not registered: `+CMS ERROR: 331`.
- Text-mode sends longer than one SMS are split by the modem (concatenated, rolling TP-MR; the
  `+CMGS:` shows the last MR).
- Status reports with `<ds>=0` are dropped (counted); `+CDSI` stores them in `SR` (SIM7600 only).
- CSMS=1: a +CMT/+CDS not acknowledged within `cnma_timeout_s` switches routing off (mt/ds to
  0, 27.005 §3.4.4) and the SMSC redelivers it `smsc_retry_s` later (then stored, +CMTI per mt).
- A wrong PIN counts down 3 attempts, then `SIM PUK` (PUK "12345678"); a PIN sent when none is
  pending answers `+CME ERROR: 3` without costing an attempt.
- USSD: the reply comes `ussd_delay_s` after the OK; with `AT+CSCS="HEX"` SIM800 answers
  `+CUSD: 2` (TinyGSM#192 observation), UCS2 gives hex with dcs 72.
- RING repeats every `ring_interval_s`; the caller gives up after `ring_max` rings (NO CARRIER).
- SIM7600 `AT+CCLK?` starts at the current UTC time (network time), SIM800 at 04/01/01; a
  network that sends no time (control `POST /network {"sends_time": false}`) leaves SIM800 at
  04/01/01 and SIM7600 at 80/01/06 (the GPS epoch), both ticking from boot.
- Network time (NITZ) comes with every registration, in the network's zone (default +00):
  SIM800 takes it when `AT+CLTS=1` (saved by `AT&W`; the manual wants a reboot after), prints
  `*PSUTTZ: yyyy,M,d,h,m,s,"+z",0` and `DST: 0`; SIM7600 takes it when `AT+CTZU=1` (kept at
  once, without AT&W) and prints `+CTZV: +zz` when `AT+CTZR=1`. The modem's clock forgets it
  at every boot. `AT+CCLK?` then shows local time with the zone in quarters.
- From `+CPIN: READY` to the end of the boot-time search the registration reads 2
  (searching); `+CSQ` reads unregistered meanwhile.
- Timings: SIM800 RDY 3 s, Call Ready 6 s, SMS Ready 7 s; SIM7600 RDY 12 s, SMS DONE 18 s, PB DONE
  20 s (inside the ranges the reference gives); send latency 2 s, status report 5 s (defaults).
- TP-MR keeps counting across reboots and power cycles (it lives on the SIM, EF-SMSS) and the
  modem overwrites the MR of the submitted PDU with its own.
- The `reboot` fault during a command: echo, `\\r\\n` and a few noise bytes, then silence and
  the boot sequence. `zombie` (echo only) is cured only by a power cycle (`POST /power`).
- `AT+CFUN=0` prints `+CPIN: NOT READY` before its OK on both models (logged on SIM800 only).
- `+CMGL`/`+CMGR` in PDU mode show an empty quoted alpha (`,"",`) on both models; text mode
  `+CMT`/`+CMGR` show `"<oa>","","<scts>"` with zone `+00`; a UCS-2 message is shown as UCS-2
  hex when CSCS is GSM/IRA.
- ATV0: OK/RING/NO CARRIER/ERROR become `0\\r`/`2\\r`/`3\\r`/`4\\r`; `+CME/+CMS ERROR` stay text.
- CSCLK=2 swallows the waking chunk and anything within 100 ms (shorter when time-scaled);
  CSCLK=1 follows DTR (control API: a pty has no modem-control lines), awake 50 ms after low.
- An invalid store in `AT+CPMS`: `+CMS ERROR: 302`; a bad CNMI combination on SIM7600:
  `+CMS ERROR: 303`. Operator "SimNet", PLMN 00101 (test network), LAC 1A2B, CI 3C4D, rssi 20.
"""

from __future__ import annotations

# Error texts for CMEE=2 (SIM800 manual wording; SIM7600 differs only in capitals).
CME_TEXT = {
    3: "operation not allowed",
    4: "operation not supported",
    10: "SIM not inserted",
    11: "SIM PIN required",
    12: "SIM PUK required",
    13: "SIM failure",
    14: "SIM busy",
    16: "incorrect password",
    20: "memory full",
    21: "invalid index",
    30: "no network service",
    100: "unknown",
}
CMS_TEXT = {
    21: "Short message transfer rejected",
    38: "Network out of order",
    41: "Temporary failure",
    42: "Switching equipment Congestion",
    47: "Resources unavailable, unspecified",
    50: "Requested facility not subscribed",
    69: "Requested facility not implemented",
    300: "ME failure",
    302: "operation not allowed",
    303: "operation not supported",
    304: "invalid PDU mode",
    305: "invalid text mode",
    310: "SIM not inserted",
    311: "SIM pin necessary",
    314: "SIM busy",
    320: "memory failure",
    321: "invalid memory index",
    322: "memory full",
    325: "invalid input value",
    330: "SMSC address unknown",
    331: "no network",
    332: "network timeout",
    340: "no cnma ack",
    500: "Unknown",
}

# Commands that need SMS-ready (and an unlocked SIM).
SMS_COMMANDS = frozenset(
    "+CMGF +CMGS +CMGW +CMSS +CMGL +CMGR +CMGD +CMGDA +CPMS +CNMI +CSCA +CSMP +CSDH +CSMS +CNMA"
    " +CMMS".split()
)

SIM800 = {
    "name": "sim800",
    "identity": {
        "CGMI": "SIMCOM_Ltd",
        "CGMM": "SIMCOM_SIM800L",
        "CGMR": "Revision:1418B04SIM800L24",
        "ATI": "SIM800 R14.18",
        "CGSN": "866262037412345",
        "CIMI": "310260123456789",
        "ICCID": "8901260123456789012F",
    },
    # commands of the other model that this one answers with ERROR
    "lacks": frozenset("+CRESET +CPOF +CICCID +CPSI +CNSMOD +CEREG +CHUP +CTZU +CTZR".split()),
    "iccid_prefix": "",  # AT+CCID answers the bare ICCID
    # (delay from power-on in seconds, URC); "{cpin}" becomes READY or SIM PIN.
    "boot": [
        (3.0, "RDY"),
        (3.05, "+CFUN: 1"),
        (3.1, "+CPIN: {cpin}"),
        (6.0, "Call Ready"),
        (7.0, "SMS Ready"),
    ],
    "sim_ready_urc": "+CPIN: {cpin}",  # the URC that ends "SIM busy"
    "sms_ready_urc": "SMS Ready",
    "after_pin": ["+CPIN: READY", "Call Ready", "SMS Ready"],  # once a PIN is accepted
    "after_pin_gap_s": 1.0,
    "reg_after_s": 2.0,
    "autobaud": True,
    "defaults": {
        "echo": 1, "verbose": 1, "cmee": 0, "cmgf": 0, "cnmi": (2, 1, 0, 0, 0), "cscs": "IRA",
        "ipr": 0,
        "creg": 0, "cgreg": 0, "cereg": 0, "csdh": 0, "csmp": (17, 167, 0, 0), "clip": 0,
        "crc": 0, "cmms": 0, "csms": 0, "cpms": ("SM", "SM", "SM"), "csclk": 0,
        "clts": 0, "ctzu": 0, "ctzr": 0,
    },
    "cscs_list": ("IRA", "GSM", "UCS2", "HEX", "PCCP", "PCDN", "8859-1"),
    "csclk_modes": (0, 1, 2),
    "sleep_after_s": 5.0,  # CSCLK=2: idle time before the UART sleeps
    "cnmi_test": "+CNMI: (0-3),(0-3),(0,2),(0,1),(0,1)",
    "cnmi_ranges": ((0, 1, 2, 3), (0, 1, 2, 3), (0, 2), (0, 1), (0, 1)),
    "cnmi_rules": (),
    "stores": {"SM": 30, "ME": 20},
    "cpms_lists": (("SM", "ME"), ("SM", "ME"), ("SM", "ME")),
    "index_base": 1,
    "cmgd_empty_index": False,  # AT+CMGD=,4 accepted?
    "has_cmgda": True,
    "has_cereg": False,
    "has_cpsi": False,
    "prompt": "\r\n> ",
    "not_ready_send": ("CMS", 325),
    "not_ready_other": ("CME", 3),
    "csq_unregistered": (0, 0),
    "cbc": "+CBC: 0,{pct},{mv}",
    "cusd": '+CUSD: {m}, "{text}", {dcs}',
    "cusd_hex_fails": True,
    "clip": '+CLIP: "{num}",{type},"",0,"",0',
    "cops_act": "",
    "cclk_start": "network-less",  # 04/01/01,00:00:00+00 ticking from boot
    "cclk_unset": 1072915200,  # 2004-01-01 00:00:00 UTC: the clock before any time
    "nitz": "clts",  # the setting that makes the clock take network time
    "cfun_reset_cmd": "+CFUN=1,1",
    "poweroff": {"+CPOWD": "NORMAL POWER DOWN"},
    "poweroff_ok": False,
    "pwrkey_on_ms": 1000,  # PWRKEY low >= 1 s switches it on (HW design fig. 12)
    "pwrkey_off_ms": 1500,  # 1.5-33 s switches it off (fig. 13)
    "pwrkey_off_urc": "NORMAL POWER DOWN",
    "cnma_timeout_s": 15.0,  # guessed network timer for the +CNMA acknowledgement
    "smsc_retry_s": 10.0,
    "ussd_delay_s": 2.0,
    "ring_interval_s": 1.0,
    "ring_max": 30,
    "send_latency_s": 2.0,
    "report_delay_s": 5.0,
}

SIM7600 = {
    "name": "sim7600",
    "identity": {
        "CGMI": "SIMCOM INCORPORATED",
        "CGMM": "SIMCOM_SIM7600E",
        "CGMR": "+CGMR: LE11B14SIM7600M22",
        "ATI": "Manufacturer: SIMCOM INCORPORATED\r\nModel: SIMCOM_SIM7600E\r\n"
        "Revision: SIM7600M22_V1.1\r\nIMEI: 862636051234567\r\n+GCAP: +CGSM",
        "CGSN": "862636051234567",
        "CIMI": "262011234567890",
        "ICCID": "89490200001234567890",
    },
    "lacks": frozenset("+CPOWD +CCID +CMGDA +CBATCHK +CIURC +CLTS".split()),
    "iccid_prefix": "+ICCID: ",
    "boot": [
        (12.0, "RDY"),
        (13.0, "+CPIN: {cpin}"),
        (18.0, "SMS DONE"),
        (20.0, "PB DONE"),
    ],
    "sim_ready_urc": "+CPIN: {cpin}",
    "sms_ready_urc": "SMS DONE",
    "after_pin": ["+CPIN: READY", "SMS DONE", "PB DONE"],
    "after_pin_gap_s": 2.0,
    "reg_after_s": 3.0,
    "autobaud": False,
    "defaults": {
        "echo": 1, "verbose": 1, "cmee": 2, "cmgf": 0, "cnmi": (2, 1, 0, 0, 0), "cscs": "IRA",
        "ipr": 115200,
        "creg": 0, "cgreg": 0, "cereg": 0, "csdh": 0, "csmp": (17, 167, 0, 0), "clip": 0,
        "crc": 0, "cmms": 0, "csms": 0, "cpms": ("SM", "SM", "SM"), "csclk": 0,
        "clts": 0, "ctzu": 0, "ctzr": 0,
    },
    "cscs_list": ("IRA", "GSM", "UCS2"),
    "csclk_modes": (0, 1),
    "sleep_after_s": 15.0,  # SIM7600 sleep AN: 15-20 s of idleness
    "cnmi_test": "+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)",
    "cnmi_ranges": ((0, 1, 2), (0, 1, 2, 3), (0, 2), (0, 1, 2), (0, 1)),
    # (field index, value, modes allowed): SIM7600 manual §9.2.9.
    "cnmi_rules": ((1, 3, (1,)), (3, 1, (1,)), (1, 2, (1, 2))),
    "stores": {"SM": 30, "ME": 23, "SR": 30},
    "cpms_lists": (("ME", "SM", "SR"), ("ME", "SM"), ("ME", "SM")),
    "index_base": 0,
    "cmgd_empty_index": True,
    "has_cmgda": False,
    "has_cereg": True,
    "has_cpsi": True,
    "prompt": "\r\n> ",
    "not_ready_send": ("CMS", 302),
    "not_ready_other": ("CME", 3),
    "csq_unregistered": (99, 99),
    "cbc": "+CBC: {volts}V",
    "cusd": '+CUSD: {m},"{text}",{dcs}',
    "cusd_hex_fails": False,
    "clip": '+CLIP: "{num}",{type},,,"",0',
    "cops_act": ",7",
    "cclk_start": "network",
    "cclk_unset": 315964800,  # 1980-01-06 (the GPS epoch): 80/01/06 until it has a time
    "nitz": "ctzu",
    "cfun_reset_cmd": "+CFUN=1,1",
    "poweroff": {"+CPOF": None},
    "poweroff_ok": True,
    "pwrkey_on_ms": 500,  # LilyGO T-SIM7600 on-pulse
    "pwrkey_off_ms": 2500,  # LilyGO uses a 3000 ms off-pulse
    "pwrkey_off_urc": None,
    "cnma_timeout_s": 15.0,  # guessed network timer for the +CNMA acknowledgement
    "smsc_retry_s": 10.0,
    "ussd_delay_s": 2.0,
    "ring_interval_s": 1.0,
    "ring_max": 30,
    "send_latency_s": 2.0,
    "report_delay_s": 5.0,
}

PROFILES = {"sim800": SIM800, "sim7600": SIM7600}


def with_overrides(profile: dict, overrides: dict) -> dict:
    """A copy of `profile` with some entries replaced (firmware variants: the SIM7670G prompt
    `"\\r\\n>\\r\\n"`, `index_base`, CUSD spacing, default CMEE via `defaults`...).

    Raises:
        ValueError: a key the profile does not have.
    """
    out = dict(profile)
    for key, value in overrides.items():
        if key not in profile:
            raise ValueError("unknown profile key %r" % key)
        if key == "defaults":
            value = dict(profile["defaults"], **value)
            value["cnmi"], value["csmp"], value["cpms"] = (
                tuple(value["cnmi"]), tuple(value["csmp"]), tuple(value["cpms"]))
        out[key] = value
    return out


def get(name: str) -> dict:
    """The profile table for `name` ("sim800" or "sim7600").

    Raises:
        ValueError: unknown model.
    """
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError("unknown model %r (known: %s)" % (name, ", ".join(PROFILES))) from None
