"""The GSM 7-bit default alphabet and its extension table as 3GPP TS 23.038 6.2.1 / 6.2.1.1
print them: the reference the codec's lookup tables (firmware/smsgw/codec/gsm7.py,
gsm7read.py) are checked against, and the characters the codec tests draw from. Importable as
`alphabet` (tests/conftest.py puts this directory on sys.path)."""

# the default alphabet, indexed by septet value (0x1B is the escape)
BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# the extension table, as (code, character) pairs in two strings
EXT_CODES = b"\x0a\x14\x28\x29\x2f\x3c\x3d\x3e\x40\x65"
EXT_CHARS = "\f^{}\\[~]|€"
