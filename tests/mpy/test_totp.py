# TOTP for SMS commands: RFC 2104/4226/6238 vectors, base32, replay refusal, provisioning URI.
from smsgw.alert import totp

RFC_KEY = b"12345678901234567890"  # RFC 6238 appendix B, SHA1 seed


def _hmac_sha1(key, msg):
    import hashlib

    from smsgw.hmac import digest  # the firmware's one HMAC, with the hash TOTP uses

    return digest(key, msg, hashlib.sha1)


def test_hmac_sha1_rfc2202_vectors():
    import binascii

    h = binascii.hexlify
    assert h(_hmac_sha1(b"\x0b" * 20, b"Hi There")) == (
        b"b617318655057264e28bc0b6fb378c8ef146be00"
    )
    assert h(_hmac_sha1(b"Jefe", b"what do ya want for nothing?")) == (
        b"effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
    )
    # key longer than the block: hashed first (RFC 2202 test case 6)
    msg = b"Test Using Larger Than Block-Size Key - Hash Key First"
    assert h(_hmac_sha1(b"\xaa" * 80, msg)) == b"aa4ae5e15272d00e95705637ce8a3b55ed402112"


def test_hotp_rfc4226_appendix_d():
    want = ["755224", "287082", "359152", "969429", "338314",
            "254676", "287922", "162583", "399871", "520489"]
    assert [totp.hotp(RFC_KEY, i) for i in range(10)] == want


def test_totp_rfc6238_appendix_b_sha1():
    vectors = [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ]
    for t, code in vectors:
        assert totp.totp(RFC_KEY, t, digits=8) == code, t
        # the 6-digit code is the same value modulo 10^6
        assert totp.totp(RFC_KEY, t) == code[2:], t


def test_base32_roundtrip_and_tolerance():
    assert totp.b32decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ") == RFC_KEY
    assert totp.b32encode(RFC_KEY) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert totp.b32decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq") == RFC_KEY
    assert totp.b32decode("MZXW6===") == b"foo"
    assert totp.b32encode(b"foo") == "MZXW6"
    for bad in ("", "A1B", "====", "abc!"):
        try:
            totp.b32decode(bad)
        except ValueError:
            pass
        else:
            raise AssertionError(bad)


def test_match_window_and_replay():
    t = 1111111111
    code = totp.totp(RFC_KEY, t)
    step = totp.counter_at(t)
    assert totp.match(RFC_KEY, code, t) == step
    # one step of clock skew either way is accepted, two are not
    assert totp.match(RFC_KEY, code, t + 30) == step
    assert totp.match(RFC_KEY, code, t - 30) == step
    assert totp.match(RFC_KEY, code, t + 60) is None
    assert totp.match(RFC_KEY, code, t - 60) is None
    # replay: the step was used, so the same code (or an older one) is refused
    assert totp.match(RFC_KEY, code, t, last_counter=step) is None
    older = totp.totp(RFC_KEY, t - 30)
    assert totp.match(RFC_KEY, older, t, last_counter=step) is None
    newer = totp.totp(RFC_KEY, t + 30)
    assert totp.match(RFC_KEY, newer, t, last_counter=step) == step + 1
    assert totp.match(RFC_KEY, "12345", t) is None
    wrong = "%06d" % ((int(code) + 1) % 1000000)
    assert totp.match(RFC_KEY, wrong, t) is None


def test_uri_for_authenticator_apps():
    u = totp.uri("gezd gnbv gy3t qojq", "+15550000001", issuer="pump station")
    assert u == (
        "otpauth://totp/pump%20station:%2B15550000001?secret=GEZDGNBVGY3TQOJQ"
        "&issuer=pump%20station&algorithm=SHA1&digits=6&period=30"
    )


def test_clock_is_unix_epoch():
    from smsgw import clock

    # 2020-01-01 < now: a 2000-epoch clock not corrected would fail this on such ports.
    assert clock.unix() > 1577836800 and clock.now() == clock.unix() and clock.is_set()
