# The outbox's sending (smsgw.queue.outbox): one message's journal -> expiry, pacing, each
# recipient's parts encoded (codec/submit) and handed to the modem, with retries of temporary
# +CMS errors and "uncertain" when a part may have gone out. Functions of the Outbox; imported
# while there is something to send and forgotten with the codec when there is none.
import asyncio

from smsgw import clock, log
from smsgw.queue.journal import PENDING, PROCESSED

# +CMS ERROR codes worth retrying (3GPP TS 24.011 E.2 temporary causes, 27.005 3.2.5 network).
TEMPORARY_CMS = (41, 42, 47, 331, 332, 500)
_MAYBE_SENT = ("REBOOT", "POWER DOWN", "PARSE")  # ATError kinds after which a part may be out


async def send(ob, j):
    """Send what is still to do of the message whose Journal is `j` (scanned once and kept
    current by its writers) for the Outbox `ob`; Outbox.send's and the sender task's work."""
    meta = j.meta
    now = clock.now()  # None while unset: no expiry can be judged (the SMSC's VP still is)
    if meta["exp"] and now is not None and now > meta["exp"]:
        for r in range(len(j.rs)):
            if j.rstate(r) in (PENDING, PROCESSED):
                j.add("F", r, x="expired")
        return
    if ob.pacer is not None:
        d = ob.pacer.delay_ms(_segments(j), meta["prio"])
        if d:  # held (carrier caps, quiet hours): wait, but a new submit wakes us, and
            # next_key chooses again so a priority message overtakes the held ones
            ob.counters["paced"] += 1
            ob.wake.clear()
            try:
                await asyncio.wait_for_ms(ob.wake.wait(), min(d, 60000))
            except asyncio.TimeoutError:
                pass
            return
    for r in range(len(j.rs)):
        if not await _send_recipient(ob, j, r):
            return


def _segments(j):
    # what the pacer counts: the codec's parts for the text, times recipients still to do
    n = len(_user_data(j.meta)[2])
    return n * sum(1 for r in range(len(j.rs)) if j.rstate(r) in (PENDING, PROCESSED))


async def _send_recipient(ob, j, r):
    if j.rstate(r) not in (PENDING, PROCESSED):
        return True
    meta = j.meta
    now = clock.now()
    validity = (max(300, meta["exp"] - now) if meta["exp"] and now is not None
                else meta.get("vp"))
    try:
        enc, parts = _encode(meta, meta["to"][r], validity)
    except MemoryError:
        raise  # not the message's fault: it stays Pending (run() counts and retries)
    except Exception as e:
        j.add("F", r, x="cannot encode: %s" % e)
        return True
    np = len(parts)
    for p in range(np):
        code = j.code(r, p)
        if code in ("M", "U"):
            continue
        if code == "S":  # handed to the modem before a crash: maybe sent, never resend
            ob.counters["uncertain"] += 1
            j.add("U", r, p)
            continue
        ok = await _send_part(ob, j, r, p, np, parts[p])
        if ok is None:
            return False
        if not ok:
            return True
    if ob.pacer is not None:
        ob.pacer.record(np)
    return True


async def _send_part(ob, j, r, p, np, part):
    """True sent, False recipient failed, None stop this message for now (uncertain)."""
    from smsgw.errors import ATError

    tries = j.tries(r, p)
    while True:
        if ob.modem is None or (ob.ready is not None and not ob.ready.is_set()):
            return None  # the modem went down between parts: resume when it is back
        j.add("S", r, p, np)
        try:
            mr = await ob.modem.send_pdu(part[0], part[1])
        except ATError as e:
            if e.kind in _MAYBE_SENT:  # modem rebooted / unparsable answer mid-send
                return _uncertain(ob, j, r, p, e)
            code = e.code if e.kind == "CMS" else None
            tries += 1
            j.add("R", r, p, tries, code)
            if (code is None or code in TEMPORARY_CMS) and tries <= ob.retries:
                ob.counters["retries"] += 1
                await asyncio.sleep_ms(ob.backoff_ms << (tries - 1))
                continue
            j.add("F", r, x=_cms_reason(e))
            return False
        except Exception as e:  # ATTimeout or worse: the part may have gone out
            return _uncertain(ob, j, r, p, e)
        if j.meta["srr"]:  # a status report will come back: remember who got this TP-MR
            ob.store.set_mr(mr, j.key, r, p)
        j.add("M", r, p, mr)
        return True


def _uncertain(ob, j, r, p, e):
    ob.counters["uncertain"] += 1
    j.add("U", r, p)
    log.warn("part %d of %s uncertain: %s", p, j.meta["id"], e)
    return None


def _encode(meta, number, validity):
    # (encoding, [(hex, tpdu_len), ...]) of the message for `number`. The codec leaves the
    # heap again as soon as the parts are hex: the modem takes seconds per part, and POSTs
    # arriving meanwhile find that room.
    from smsgw.codec import release, submit

    try:
        return submit.encode_submit(number, None, srr=meta["srr"], validity_s=validity,
                                    ud=_user_data(meta))
    finally:
        release()


def _user_data(meta):
    # (encoding, dcs, parts) for submit.encode_submit(ud=): the text's, or a data message's
    if "data" in meta:
        from smsgw.codec.data import data_parts

        return data_parts(meta["data"], meta["port"], meta["ref"])
    from smsgw.codec.tpud import user_data_parts

    return user_data_parts(meta["text"], meta["ref"])


def _cms_reason(e):
    if e.kind == "CMS" and e.code is not None:
        from smsgw.modem.at import cms_text

        return "+CMS ERROR: %s (%s)" % (e.code, e.text or cms_text(e.code) or "see 27.005")
    return "%s %s" % (e.kind, e.text or e.code or "")
