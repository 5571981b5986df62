# One URL splitter for every client of the board (webhooks over http(s), MQTT, SMTP): the scheme
# says TLS and the default port; credentials, host (IPv6 literals in brackets), port and path
# are checked the same way everywhere. The http(s) and mqtt(s) forms live here too, since
# their users load apart from the protocol's code (a webhook registration without the HTTP
# client, an MQTT connection without the section's checks); SMTP's is net/smtp.py's.
from micropython import const

MAX_URL = const(256)  # documented input limit for every configured URL


def split(url, schemes):
    """Split `url` -> (tls, user, password, host, port, path).

    Args:
        url: the URL; schemes: {"http": (False, 80), "https": (True, 443)}: scheme -> (tls,
        default port).
    Returns:
        user/password are None when absent; path is "/" when absent.
    Raises:
        ValueError: naming the part that is wrong (url, url scheme, url chars, url host, url port).
    """
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise ValueError("url")
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in schemes:
        raise ValueError("url scheme (%s)" % " or ".join(s + "://" for s in schemes))
    tls, port = schemes[scheme]
    if " " in rest or "\r" in rest or "\n" in rest:
        raise ValueError("url chars")
    i = rest.find("/")
    hostport, path = (rest, "/") if i < 0 else (rest[:i], rest[i:])
    user = password = None
    if "@" in hostport:
        cred, hostport = hostport.rsplit("@", 1)
        user, colon, pw = cred.partition(":")
        password = pw if colon else None
    host = hostport
    if hostport.startswith("["):  # IPv6 literal (RFC 3986 3.2.2)
        j = hostport.find("]")
        if j < 0:
            raise ValueError("url host")
        host, tail = hostport[1:j], hostport[j + 1 :]
        if tail:
            if not tail.startswith(":"):
                raise ValueError("url host")
            port = _port(tail[1:])
    elif ":" in hostport:
        host, p = hostport.rsplit(":", 1)
        port = _port(p)
    if not host:
        raise ValueError("url host")
    return tls, user, password, host, port, path


def http(url):
    """Split an http(s) URL -> (tls, host, port, path): the form webhooks are delivered to
    (net/httpc.py) and registered with (net/webhook_admin.py).

    Raises:
        ValueError: not a string, too long, not http/https, no host, bad port, spaces, or
        credentials in the URL (a receiver authenticates by the signature, not by the URL).
    """
    tls, user, _, host, port, path = split(url, {"http": (False, 80), "https": (True, 443)})
    if user is not None:
        raise ValueError("url userinfo")
    return tls, host, port, path


def mqtt(url):
    """mqtt[s]://[user[:pass]@]host[:port] -> (tls, host, port, user, password).

    Raises:
        ValueError: another scheme, no host, bad port (see split).
    """
    tls, user, password, host, port, _ = split(url, {"mqtt": (False, 1883), "mqtts": (True, 8883)})
    return tls, host, port, user, password


def _port(text):
    try:
        port = int(text)
    except ValueError:
        raise ValueError("url port") from None
    if not 0 < port < 65536:
        raise ValueError("url port")
    return port
