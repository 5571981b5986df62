"""python-gammu as an independent oracle: it decodes what we encode, and we decode what it
encodes.

gammu quirk (python-gammu 3.x): for GSM-7 text with extension characters DecodePDU returns
`Length` in septets, so the text carries a NUL and garbage after the real end; we compare up to
the first NUL (a real '@' comes back as '@', never NUL). It also rewrites C0 control characters
in UCS-2 text, so the texts given to it here have none (tests/codec/test_codec_properties.py
covers them).
"""

import datetime

import gammu
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import alphabet
from smsgw.codec import gsm7, pdu, submit

from smsgate.sim import pdu_mt

GSM_CHARS = alphabet.BASIC.replace("\x1b", "") + alphabet.EXT_CHARS
texts = st.lists(
    st.one_of(
        st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=400),
        # gammu maps C0 controls in UCS-2 text to other characters: leave them out here
        st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=200),
        st.sampled_from(["😀", "€", "Ж"]),
    ),
    max_size=3,
).map("".join)
# gammu also reads "~" in UCS-2 text as its own escape ("~\xa0" comes back "~~"): swap it there.
texts = texts.map(lambda t: t if gsm7.to_septets(t) is not None else t.replace("~", "-"))
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CODING = {"gsm7": "Default_No_Compression", "ucs2": "Unicode_No_Compression"}


def _gammu_text(g):
    return g["Text"].split("\x00", 1)[0]


@SETTINGS
@given(
    text=texts,
    ref=st.integers(0, 65535),
    bits=st.sampled_from([8, 16]),
    number=st.sampled_from(["+4917012345678", "0171234567", "Alpha", "Shop 24", "1" * 20]),
)
def test_gammu_decodes_our_submit(text, ref, bits, number):
    encoding, parts = submit.encode_submit(
        number, text, ref=ref, ref_bits=bits, validity_s=86400, smsc="+4917"
    )
    joined = ""
    for i, (h, _) in enumerate(parts):
        g = gammu.DecodePDU(bytes.fromhex(h), True)
        assert g["Type"] == "Submit" and g["Number"] == number
        assert g["SMSC"]["Number"] == "+4917" and g["SMSC"]["Validity"] == "1440M"
        assert g["Coding"] == CODING[encoding]
        joined += _gammu_text(g)
        if len(parts) == 1:
            assert g["UDH"]["Type"] == "NoUDH"
            continue
        assert (g["UDH"]["PartNumber"], g["UDH"]["AllParts"]) == (i + 1, len(parts))
        if bits == 8:
            assert g["UDH"]["ID8bit"] == ref & 0xFF
        else:
            assert g["UDH"]["ID16bit"] == ref
    assert joined == text


@SETTINGS
@given(text=texts, unicode=st.booleans(), bits16=st.booleans())
def test_we_decode_gammu_encodesms(text, unicode, bits16):
    if unicode:  # gammu's "~" quirk applies to any UCS-2 text
        text = text.replace("~", "-")
    needs_ucs2 = gsm7.to_septets(text) is None
    kind = "ConcatenatedTextLong16bit" if bits16 else "ConcatenatedTextLong"
    msgs = gammu.EncodeSMS(
        {"Class": -1, "Unicode": unicode or needs_ucs2, "Entries": [{"ID": kind, "Buffer": text}]}
    )
    joined = ""
    for i, m in enumerate(msgs):
        m["Number"] = "+123"
        m["SMSC"] = {"Location": 0, "Number": "+4911", "Validity": "NA"}
        d = pdu.decode(gammu.EncodePDU(m).hex())
        assert d["type"] == "submit" and d["number"] == "+123" and d["smsc"] == "+4911"
        assert d["encoding"] == ("ucs2" if unicode or needs_ucs2 else "gsm7")
        if len(msgs) > 1:
            c = d["udh"]["concat"]
            assert (c["seq"], c["total"], c["bits"]) == (i + 1, len(msgs), 16 if bits16 else 8)
        joined += d["text"]
    assert joined == text


@SETTINGS
@given(
    text=texts,
    sender=st.sampled_from(["+491701234567", "0171234567", "Bank", "INFO 24"]),
    tz=st.integers(-47, 47),
)
def test_gammu_decodes_our_deliver(text, sender, tz):
    hexes = pdu_mt.encode_deliver(sender, text, (2024, 2, 29, 23, 59, 58, tz), smsc="+4911")
    tzinfo = datetime.timezone(datetime.timedelta(minutes=15 * tz))
    joined = ""
    for h in hexes:
        g = gammu.DecodePDU(bytes.fromhex(h), True)
        assert g["Type"] == "Deliver" and g["Number"] == sender
        assert g["DateTime"] == datetime.datetime(2024, 2, 29, 23, 59, 58, tzinfo=tzinfo)
        joined += _gammu_text(g)
    assert joined == text


def test_gammu_decodes_our_status_report():
    h = pdu_mt.encode_status_report(
        77, "+4915123", 0x41, (2024, 2, 29, 23, 59, 58, -14), (2024, 3, 1, 0, 0, 1, -14)
    )
    g = gammu.DecodePDU(bytes.fromhex(h), True)
    assert g["Type"] == "Status_Report" and g["MessageReference"] == 77
    assert g["Number"] == "+4915123" and g["DeliveryStatus"] == 0x41
    tz = datetime.timezone(datetime.timedelta(minutes=-210))
    assert g["SMSCDateTime"] == datetime.datetime(2024, 3, 1, 0, 0, 1, tzinfo=tz)


def test_we_decode_gammu_deliver():
    # A full message dict as gammu wants it, taken from its own decoder, then changed.
    template = pdu_mt.encode_deliver("+1", "x", (2020, 1, 1, 0, 0, 0))[0]
    base = gammu.DecodePDU(bytes.fromhex(template))
    base.update(
        SMSC={"Location": 0, "Number": "+4911", "Validity": "NA"},
        Number="+4915555",
        Text="Grüße {x}",
        Length=9,
        DateTime=datetime.datetime(2023, 7, 1, 12, 30, 45),
        Class=1,
    )
    d = pdu.decode(gammu.EncodePDU(dict(base), "Deliver").hex())
    assert d["type"] == "deliver" and d["number"] == "+4915555" and d["text"] == "Grüße {x}"
    assert d["smsc"] == "+4911" and d["class"] == 1 and d["scts"].startswith("2023-07-01T12:30:45")
    # (gammu's EncodePDU returns b"" for the StatusReport layout: no oracle that way round.)
