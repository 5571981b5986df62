"""The page's live SMS counter (web/sms.js) against the firmware's codec, string by string:
encoding, units, parts and characters left in the last part must be what the gateway will do."""

from __future__ import annotations

import random

import pytest

from smsgate import bundle
from smsgw.codec import gsm7
from smsgw.codec.tpud import user_data_parts

TABLE = [
    "", "a", "hello world", "a" * 160, "a" * 161, "a" * 306, "a" * 307, "a" * 459, "a" * 460,
    "€" * 80, "€" * 81, "a" * 159 + "€", "a" * 152 + "€", "a" * 152 + "€b", "a" * 153 + "€",
    "[{}]~\\|^\f", "Grüße aus Köln", "Ç", "ç", "\r\n", "tab\there", "\x1b", "`backtick`",
    "😀", "a" * 69 + "😀", "a" * 70, "a" * 68 + "😀", "ж" * 70, "ж" * 71,
    "ж" * 66 + "😀" + "ж" * 9,
    "ж" * 133 + "😀", "中文" * 40, "hello 👋 world", "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà",
    "\u00a0nbsp", "ΑΒΓ", "a" * 1600, "€" * 800, "😀" * 400, "x" * 38000,
]
# Random mixes of GSM-7, extension, Latin-1 outside GSM-7, Cyrillic, CJK and astral characters.
_POOL = "abcXYZ 019.,!?\n@£Δ€[]{}^~|\\éçÇ`жΩ中😀👋🏽"


def _random_strings(n=300, seed=15):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        gsm_only = rnd.random() < 0.5
        pool = _POOL[:22] if gsm_only else _POOL
        out.append("".join(rnd.choice(pool) for _ in range(rnd.randint(0, 420))))
    return out


def expected(text: str) -> dict:
    """What the firmware does with `text`: encoding, units, parts, room left in the last part."""
    try:
        enc, _dcs, parts = user_data_parts(text)
    except Exception:  # more than 255 parts: the outbox refuses it
        sept = gsm7.to_septets(text)
        return {"encoding": "GSM-7" if sept is not None else "UCS-2", "tooLong": True}
    udl = parts[-1][1]  # the last part's TP-UDL, with the concatenation header when split
    if enc == "gsm7":
        units, left = len(gsm7.to_septets(text)), 160 - udl  # 7 header septets + 153
    else:
        units, left = gsm7.ucs2_units(text), (140 - udl) // 2  # 6 header octets + 2 x 67
    return {"encoding": "GSM-7" if enc == "gsm7" else "UCS-2", "units": units,
            "parts": len(parts), "left": left, "tooLong": False}


@pytest.fixture(scope="module")
def counter(browser):
    pg = browser.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    js = bundle.web_files()  # the page's script as built (minified), counter included
    pg.set_content("<!doctype html><title>counter</title>")
    pg.add_script_tag(content=next(v for k, v in js.items() if k.endswith(".js")).decode())
    yield pg
    pg.close()
    assert not errors, errors


def _check(counter, strings):
    got = counter.evaluate("(ts) => ts.map((t) => SMS.count(t))", strings)
    for text, g in zip(strings, got):
        want = expected(text)
        if want["tooLong"]:
            assert (g["encoding"], g["tooLong"]) == (want["encoding"], True), text[:40]
            continue
        assert {k: g[k] for k in want} == want, repr(text[:80])


def test_table_matches_the_codec(counter):
    _check(counter, TABLE)


def test_random_strings_match_the_codec(counter):
    _check(counter, _random_strings())
