# Where a webhook may not be posted: the check of a registration's URL (net/webhook_admin.py)
# and of the address a delivery connects to (net/webhook_send.py, httpc's deny), loaded with
# either and forgotten with it.


def refused_target(host, port, api_port=None):
    """Why a webhook may not be sent to host:port (a name or an address), or None.

    Link-local addresses (169.254/16: cloud metadata, other devices' fallback addresses;
    fe80::/10) never; the gateway's own API (loopback, unspecified or its Wi-Fi address at
    api.port) neither: an event posted to our own API is a loop, or a way around its auth.
    """
    h = host.lower()
    if h.split(":")[-1].startswith("169.254.") or h[:3] in ("fe8", "fe9", "fea", "feb"):
        return "link-local address"
    if port == api_port and (h.startswith("127.") or h in ("localhost", "0.0.0.0", "::", "::1")
                             or h == _own_ip()):
        return "the gateway's own API"
    return None


def _own_ip():
    try:
        import network

        return network.WLAN(network.STA_IF).ifconfig()[0]
    except Exception:  # no Wi-Fi here (unix port) or not up
        return None
