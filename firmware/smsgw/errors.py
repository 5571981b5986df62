# The firmware's small error vocabulary. Meanings of modem codes come from tables, not subclasses.


class SmsgateError(Exception):
    pass


class ATTimeout(SmsgateError):
    """No final result for `cmd` in time; `partial` holds the lines seen so far."""

    def __init__(self, cmd, partial=()):
        super().__init__("AT timeout: %s" % cmd)
        self.cmd = cmd
        self.partial = partial


class ATError(SmsgateError):
    """The modem answered ERROR; kind is "ERROR", "CME" or "CMS", code an int or None."""

    def __init__(self, cmd, kind, code=None, text=None):
        super().__init__("%s %s %s" % (cmd, kind, code if text is None else text))
        self.cmd = cmd
        self.kind = kind
        self.code = code
        self.text = text


class PduError(SmsgateError):
    """A PDU could not be decoded or encoded: `reason` says why, `pos` is the octet offset."""

    def __init__(self, reason, pos=None):
        super().__init__(reason if pos is None else "%s at octet %d" % (reason, pos))
        self.reason = reason
        self.pos = pos


class ConfigError(SmsgateError):
    """A config value is wrong; `key` is the dotted path of the offending key."""

    def __init__(self, key, msg):
        super().__init__("%s: %s" % (key, msg))
        self.key = key
