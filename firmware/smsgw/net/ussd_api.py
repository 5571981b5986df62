# POST /ussd {"code": "*100#"} (imported on its first request, smsgw.net.api's lazy routes):
# the network's answer through Modem.ussd (its timeout: the profile's ussd_ms). A menu (the
# network waits for a reply, +CUSD <m> 1) is answered with status 1 and its session ended.
from smsgw.net.api import error, reply

from micropython import const


_CODE_MAX = const(32)  # characters of a USSD code
# +CUSD <m> (3GPP TS 27.007 7.15): 2 terminated by the network, 4 not supported, 5 timed out
_REFUSED = {2: "the network ended the session", 4: "operation not supported",
            5: "the network timed out"}
_busy = []  # one USSD session at a time (the modem has one): this module stays imported while
# one runs (a request meanwhile finds it busy) and forgets itself when it ends (smsgw.net.ondemand)


async def _end_session(at):
    from smsgw.errors import SmsgateError

    try:
        await at.cmd(b"AT+CUSD=2", 3000)
    except SmsgateError:
        pass  # the network may have ended it already; the next request works either way


def _ussd_code(body):
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, str) or not 0 < len(code) <= _CODE_MAX:
        raise ValueError("code: a USSD code such as *100#, up to %d characters" % _CODE_MAX)
    for c in code:
        if c not in "0123456789*#+":
            raise ValueError("code: digits, * , # and + only")
    return code


async def ussd(ctx, request):
    """POST /ussd {"code": "*100#"}: 200 with the network's answer; 400 bad code, 409 another
    request running, 503 modem not ready, 502 the network refused, 504 no answer in time."""
    try:
        return await _session(ctx, request)
    finally:
        if not _busy:  # another request's session keeps the module
            from smsgw import forget

            forget("smsgw.net.ussd_api")


async def _session(ctx, request):
    from smsgw.errors import ATError, ATTimeout
    from smsgw.net.api import json_body
    from smsgw.net.ondemand import misrouted

    bad = misrouted(request, "POST", "/ussd")
    if bad:
        return bad
    try:
        code = _ussd_code(json_body(request))
    except ValueError as e:
        return error(400, str(e))
    if not ctx.modem.status.get("ready"):
        return error(503, "modem not ready", {"Retry-After": "10"})
    if _busy:
        return error(409, "another USSD request is in progress")
    _busy.append(code)
    try:
        m, text, dcs = await ctx.modem.ussd(code.encode())
        if m == 1:  # a menu waiting for a reply: this API sends none, so end the session
            await _end_session(ctx.at)
    except ATTimeout:
        return error(504, "no USSD answer from the network in time")
    except ATError as e:
        return error(502, "the modem refused the USSD request (%s)" % e)
    finally:
        _busy.clear()
    if m is None:
        return error(502, "USSD answer not understood")
    if text is None and m in _REFUSED:
        return error(502, "USSD refused: %s (+CUSD: %d)" % (_REFUSED[m], m))
    return reply({"code": code, "text": text, "status": m, "dcs": dcs})
