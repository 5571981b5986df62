# Model differences as data (docs/SIMCOM-AT.md §2, §3, §6): the driver has one code path.
# Times are in ms at real speed; Modem multiplies them by cfg["time_scale"] (tests run fast).


class Profile:
    """One modem model. Attributes are plain data read by Modem and Supervisor."""

    # The fields, for the type checker (bare annotations: no code on MicroPython).
    name: str
    boot_urcs: tuple
    reboot_urcs: tuple
    sms_ready_urcs: tuple
    cnmi: bytes
    storage: bytes
    index_base: int
    reg_cmds: tuple
    reg_urc_cmds: tuple
    pwrkey_on_ms: int
    pwrkey_off_ms: int
    boot_ms: int
    power_off_ms: int
    reset_cmd: bytes
    reset_ms: int
    cbc: str
    cmgs_timeout_ms: int
    prompt_ms: int
    ussd_ms: int


def _profile(**kw):
    # Profile has no methods: a profile keeps nothing of this module alive once it is forgotten
    # (a method would hold the module's globals, and with them every table here).
    p = Profile()
    for k in kw:
        setattr(p, k, kw[k])
    return p


def _sim800():
    return _profile(
        name="SIM800",
        # §2.1: RDY/+CFUN: 1 only at a fixed baud rate; "Call Ready" then "SMS Ready".
        boot_urcs=("RDY", "+CFUN: 1", "Call Ready", "SMS Ready"),
        reboot_urcs=("RDY",),  # seen mid-session = the modem rebooted (brown-out, CFUN=1,1)
        sms_ready_urcs=("SMS Ready",),
        # §6.3: ds=2 (+CDSI) unsupported on SIM800: reports arrive as +CDS with the PDU inline.
        cnmi=b"AT+CNMI=2,1,0,1,0",
        storage=b'AT+CPMS="SM","SM","SM"',
        index_base=1,  # §6.2: 1-based in every log
        reg_cmds=(b"AT+CREG?",),
        reg_urc_cmds=(b"AT+CREG=1",),
        pwrkey_on_ms=1000,  # §2.1: low >= 1 s
        pwrkey_off_ms=1500,
        boot_ms=6000,  # LilyGO waits ~6 s after the pulse; UART usable after ~3 s
        power_off_ms=1000,  # > 800 ms after STATUS low before powering on again
        reset_cmd=b"AT+CFUN=1,1",
        reset_ms=10000,  # TinyGSM: 10 s for CFUN=1,1
        cbc="mv",  # +CBC: 0,85,4050
        cmgs_timeout_ms=60000,  # §6.4: manual maximum response time
        prompt_ms=5000,
        ussd_ms=10000,
    )


def _sim7600():
    return _profile(
        name="SIM7600",
        boot_urcs=("RDY", "+CPIN: READY", "SMS DONE", "PB DONE"),
        reboot_urcs=("RDY",),
        sms_ready_urcs=("SMS DONE",),
        # §6.3: ds=1 (+CDS with the PDU inline, as on SIM800) needs mode=1 on SIM7600. ds=2 would
        # store reports in "SR", a store that CMGR/CMGD reach only after switching CPMS mem1, which
        # cannot be made atomic with other commands. mode=1 only differs from 2 in on-line data
        # mode, which the gateway never enters.
        cnmi=b"AT+CNMI=1,1,0,1,0",
        storage=b'AT+CPMS="SM","SM","SM"',
        index_base=0,  # §6.2: the manual says indexes start with zero
        # §5.2: on LTE +CREG may stay 0/3 while +CGREG/+CEREG say 1/5: any of them counts.
        reg_cmds=(b"AT+CREG?", b"AT+CGREG?", b"AT+CEREG?"),
        reg_urc_cmds=(b"AT+CREG=1", b"AT+CGREG=1", b"AT+CEREG=1"),
        pwrkey_on_ms=500,  # §2.2: LilyGO 500 ms on / 3000 ms off (HIGH = pressed via transistor)
        pwrkey_off_ms=3000,
        boot_ms=15000,  # LilyGO MODEM_START_WAIT_MS
        power_off_ms=1000,
        reset_cmd=b"AT+CFUN=1,1",  # AT+CRESET also works; CFUN=1,1 is common to both models
        reset_ms=24000,  # TinyGSM sleeps 24 s after a reset
        cbc="volts",  # +CBC: 3.591V
        cmgs_timeout_ms=60000,
        prompt_ms=5000,
        ussd_ms=10000,
    )

# Built on demand: a board has one modem, so only its profile takes RAM.
_BUILDERS = (("SIM7600", _sim7600), ("SIM800", _sim800))
MODELS = ("SIM800", "SIM7600")
_made = {}


def get(name):
    """The profile for a model name ("SIM800", "sim7600", "SIM800L" ...).

    Raises:
        ValueError: unknown model.
    """
    n = name.upper()
    for key, build in _BUILDERS:
        if n.startswith(key):
            if key not in _made:
                _made[key] = build()
            return _made[key]
    raise ValueError("unknown modem model: %s" % name)
