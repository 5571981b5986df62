"""AT command lines: split a line into commands (basic `E0`, `&W`, extended `+CMGS=...`)
and their arguments; `CmdError` is how a handler reports a failure."""

from __future__ import annotations

PROMPT = object()  # handler result: the command entered the `> ` data prompt


class CmdError(Exception):
    """A command failed; kind "CME"/"CMS" with a code, or None for a plain ERROR."""

    def __init__(
        self, kind: str | None = None, code: int | None = None, final: str | None = None
    ) -> None:
        super().__init__("%s %s %s" % (kind, code, final))
        self.kind = kind
        self.code = code
        self.final = final  # another final result code instead of ERROR (e.g. NO CARRIER)


class Cmd:
    """One command of a command line: name ("+CSQ", "E", "&W"), op ("", "?", "=?", "="), args."""

    def __init__(self, name: str, op: str, raw: str) -> None:
        self.name = name
        self.op = op
        self.raw = raw
        self.args = split_args(raw) if op == "=" else []

    def int_arg(self, i: int, default: int | None = None, choices=None) -> int:
        """Argument `i` as int; a missing one gives `default`; a bad one raises CmdError()."""
        if i >= len(self.args) or self.args[i] in (None, ""):
            if default is None:
                raise CmdError()
            return default
        try:
            v = int(self.args[i])
        except ValueError:
            raise CmdError() from None
        if choices is not None and v not in choices:
            raise CmdError()
        return v

    def str_arg(self, i: int, default: str | None = None) -> str:
        if i >= len(self.args) or self.args[i] is None:
            if default is None:
                raise CmdError()
            return default
        return self.args[i]


def split_args(raw: str) -> list:
    """Split `a,"b,c",,d` into ["a", "b,c", None, "d"] (quotes removed, empty -> None)."""
    out, cur, quoted, inq = [], [], False, False
    for ch in raw:
        if ch == '"':
            inq = not inq
            quoted = True
        elif ch == "," and not inq:
            out.append("".join(cur).strip() if (cur or quoted) else None)
            cur, quoted = [], False
        else:
            cur.append(ch)
    out.append("".join(cur).strip() if (cur or quoted) else None)
    if out == [None]:
        return []
    return out


def parse_line(body: str) -> list[Cmd] | None:
    """Parse what follows `AT` into commands; None on a syntax error."""
    cmds, i, n = [], 0, len(body)
    while i < n:
        ch = body[i]
        if ch in " ;":
            i += 1
            continue
        if ch in "+*^$#%":
            j = i + 1
            while j < n and (body[j].isalnum() or body[j] in "_"):
                j += 1
            name = body[i:j].upper()
            if body.startswith("=?", j):
                cmds.append(Cmd(name, "=?", ""))
                i = j + 2
            elif body.startswith("=", j):
                k, inq = j + 1, False
                while k < n and (inq or body[k] != ";"):
                    inq ^= body[k] == '"'
                    k += 1
                cmds.append(Cmd(name, "=", body[j + 1 : k]))
                i = k
            elif body.startswith("?", j):
                cmds.append(Cmd(name, "?", ""))
                i = j + 1
            else:
                cmds.append(Cmd(name, "", ""))
                i = j
            continue
        if ch == "&" and i + 1 < n:
            name, i = "&" + body[i + 1].upper(), i + 2
        elif ch.isalpha():
            name, i = ch.upper(), i + 1
            if name == "D":  # dial: the rest of the line
                cmds.append(Cmd("D", "=", body[i:].rstrip(";")))
                break
        else:
            return None
        j = i
        while j < n and body[j].isdigit():
            j += 1
        if body.startswith("?", j):
            cmds.append(Cmd(name, "?", ""))
            j += 1
        else:
            cmds.append(Cmd(name, "=", body[i:j]) if j > i else Cmd(name, "", ""))
        i = j
    return cmds
