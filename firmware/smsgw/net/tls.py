# One TLS client context for every client (webhooks/httpc, e-mail/smtp, MQTT). The CA is given
# by path (a DER certificate on the flash: mbedtls refuses PEM as cadata) and read once.
_cas = {}  # path -> DER bytes, read on first use


def context(ca=None):
    """An ssl.SSLContext for a client connection: the server's certificate is verified against
    the DER CA certificate at path `ca`, or not verified when `ca` is None/empty.

    Raises:
        OSError when the CA file cannot be read.
    """
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca:
        der = _cas.get(ca)
        if der is None:
            with open(ca, "rb") as f:
                der = _cas[ca] = f.read()
        ctx.load_verify_locations(cadata=der)
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.verify_mode = ssl.CERT_NONE
    return ctx
