# smsgw.net.url: the one URL splitter of the board's clients (http(s), MQTT, SMTP).
from smsgw.net.url import split

_HTTP = {"http": (False, 80), "https": (True, 443)}


def _bad(url, why, schemes=_HTTP):
    try:
        split(url, schemes)
    except ValueError as e:
        assert str(e).startswith(why), (url, str(e))
    else:
        raise AssertionError("accepted %r" % url)


def test_defaults_and_parts():
    assert split("http://h", _HTTP) == (False, None, None, "h", 80, "/")
    assert split("https://h:8443/p/q?x=1", _HTTP) == (True, None, None, "h", 8443, "/p/q?x=1")
    assert split("http://u:p@h:81/", _HTTP) == (False, "u", "p", "h", 81, "/")
    assert split("http://u@h", _HTTP) == (False, "u", None, "h", 80, "/")
    assert split("https://[fe80::1]:9/x", _HTTP) == (True, None, None, "fe80::1", 9, "/x")
    assert split("smtps://mail.example.org", {"smtps": (True, 465)})[3:5] == (
        "mail.example.org", 465)


def test_refused_with_the_part_named():
    _bad("ftp://h", "url scheme")
    _bad("h", "url scheme")
    _bad("http://", "url host")
    _bad("http://:80", "url host")
    _bad("http://h:0", "url port")
    _bad("http://h:x", "url port")
    _bad("http://h:70000", "url port")
    _bad("http://[::1", "url host")
    _bad("http://h /x", "url chars")
    _bad("http://h\r\nX: y", "url chars")
    _bad("http://" + "a" * 300, "url")
    _bad(None, "url")
