"""`AT+CSCS` conversions of string parameters and text bodies (27.007 §5.5).

GSM/IRA strings travel as they are, UCS2 as 4 hex digits per UTF-16 unit, HEX as 2 hex digits
per 8-bit character (for a UCS-2 body, `dcs` 8, HEX carries UTF-16BE).
"""

from __future__ import annotations


class CharsetError(ValueError):
    """A parameter is not valid in the current character set."""


def decode(value: str, cscs: str, ucs2_body: bool = False) -> str:
    """Turn a string received from the TE into text.

    Raises:
        CharsetError: bad hex for UCS2/HEX.
    """
    if cscs == "UCS2" or (cscs == "HEX" and ucs2_body):
        try:
            return bytes.fromhex(value).decode("utf-16-be")
        except ValueError:
            raise CharsetError("bad UCS2 hex") from None
    if cscs == "HEX":
        try:
            return bytes.fromhex(value).decode("latin-1")
        except ValueError:
            raise CharsetError("bad HEX") from None
    return value


def encode(text: str, cscs: str) -> str:
    """Turn text into the form the TE expects for the current character set."""
    if cscs == "UCS2":
        return text.encode("utf-16-be").hex().upper()
    if cscs == "HEX":
        return text.encode("latin-1", "replace").hex().upper()
    if cscs == "IRA":
        return text.encode("ascii", "replace").decode("ascii")
    return text
