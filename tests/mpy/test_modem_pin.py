# The SIM PIN on MicroPython: sent at most once, also across boots (a flash mark), never shown.
# heapsize: 192K (passes at 160K; it compiled test_modem.py for its replies, which failed 192K)
import os

from smsgw.modem import profiles
from smsgw.modem.at import ATChannel
from smsgw.errors import ATError, ATTimeout
from smsgw.modem.modem import Modem, ModemError
from fsutil import scratch
from smsgw.fstree import rmtree
from test_at import FakeStream
from modem_replies import OK as _OK, base as _base


async def _close(at, m):
    await m.stop()
    await at.stop()


def _pin_modem(replies, path, pin="1111"):
    s = FakeStream(replies)
    at = ATChannel(s)
    # timeouts at a tenth, as test_modem: room for a busy machine
    cfg = {"time_scale": 0.1, "probe_ms": 100, "pin": pin}
    return s, at, Modem(at, profiles.get("SIM800"), None, cfg, path)


async def _refused(m, words):
    try:
        await m.start()
        raise AssertionError("started")
    except ModemError as e:
        assert words in e.reason, e.reason
        return e.reason


async def test_wrong_pin_is_not_sent_again_after_a_reboot():
    d = scratch("pin")
    path = d + "/sim_pin"
    r = _base()
    r["AT+CPIN?"] = b"\r\n+CPIN: SIM PIN\r\n" + _OK
    r['AT+CPIN="1111"'] = b"\r\n+CME ERROR: 16\r\n"
    s, at, m = _pin_modem(r, path)
    await _refused(m, "SIM PIN rejected")
    await at.stop()
    # A new boot (a new Modem on the same flash): the mark says no.
    s2, at2, m2 = _pin_modem(r, path)
    why = await _refused(m2, "rejected earlier, not sent again")
    assert "1111" not in why and path in why
    assert s.commands.count('AT+CPIN="1111"') == 1 and 'AT+CPIN="1111"' not in s2.commands
    await at2.stop()
    # Another PIN in the config is tried (once); accepted, the mark goes.
    r['AT+CPIN="2222"'] = _OK
    s3, at3, m3 = _pin_modem(r, path, "2222")
    r["AT+CPIN?"] = lambda st, cmd: st.feed(
        b"\r\n+CPIN: %s\r\n\r\nOK\r\n" % (b"READY" if 'AT+CPIN="2222"' in st.commands
                                             else b"SIM PIN"))
    await m3.start()
    assert m3.status["ready"] and s3.commands.count('AT+CPIN="2222"') == 1
    assert "sim_pin" not in os.listdir(d)
    await _close(at3, m3)
    rmtree(d)


async def test_pin_with_a_lost_answer_is_never_sent_again():
    d = scratch("pin")
    path = d + "/sim_pin"
    r = _base()
    r["AT+CPIN?"] = b"\r\n+CPIN: SIM PIN\r\n" + _OK
    r['AT+CPIN="1111"'] = lambda st, cmd: None  # no answer: the PIN may have been checked
    s, at, m = _pin_modem(r, path)
    why = await _refused(m, "uncertain")
    assert at.counters["timeouts"] == 1
    await _refused(m, "SIM PIN uncertain earlier, not sent again")
    await at.stop()
    s2, at2, m2 = _pin_modem(r, path)
    await _refused(m2, "SIM PIN uncertain earlier")
    await at2.stop()
    assert s.commands.count('AT+CPIN="1111"') == 1 and 'AT+CPIN="1111"' not in s2.commands
    # The SIM turns out unlocked (the PIN had been taken, or someone entered it): forgotten.
    r["AT+CPIN?"] = b"\r\n+CPIN: READY\r\n" + _OK
    s3, at3, m3 = _pin_modem(r, path)
    await m3.start()
    assert "sim_pin" not in os.listdir(d) and "1111" not in why
    await _close(at3, m3)
    rmtree(d)


async def test_pin_errors_and_timeouts_never_show_the_pin():
    r = _base()
    r["AT+CPIN?"] = b"\r\n+CPIN: SIM PIN\r\n" + _OK
    r['AT+CPIN="4321"'] = lambda st, cmd: None
    s, at, m = _pin_modem(r, None, "4321")
    try:
        await at.cmd(b'AT+CPIN="4321"', 50)
        raise AssertionError("answered")
    except ATTimeout as e:
        assert "4321" not in str(e) and "4321" not in e.cmd and "AT+CPIN=" in str(e)
    r['AT+CPIN="4321"'] = b"\r\n+CME ERROR: 16\r\n"
    try:
        await at.cmd(b'AT+CPIN="4321"')
        raise AssertionError("accepted")
    except ATError as e:
        assert "4321" not in repr(e) and e.code == 16
    await at.stop()
