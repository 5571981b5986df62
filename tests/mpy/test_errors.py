# The firmware error vocabulary carries what the supervisor and the API need.
from smsgw.errors import ATError, ATTimeout, ConfigError, PduError, SmsgateError


def test_at_error_fields():
    e = ATError("AT+CMGS=20", "CMS", 500)
    assert isinstance(e, SmsgateError)
    assert (e.cmd, e.kind, e.code) == ("AT+CMGS=20", "CMS", 500)


def test_timeout_keeps_partial_lines():
    e = ATTimeout("AT+CSQ", ["+CSQ: 20,0"])
    assert e.partial == ["+CSQ: 20,0"]


def test_pdu_error_names_position():
    assert str(PduError("truncated", 7)) == "truncated at octet 7"


def test_config_error_names_key():
    e = ConfigError("mqtt.port", "must be 1..65535")
    assert e.key == "mqtt.port" and "mqtt.port" in str(e)
