"""Bicep tokenizer: one compiled regex, tokens as small tuples with byte offsets.

A token is ``(kind, value, start, end)``. ``kind`` is ``"id"``, ``"int"``, ``"str"``
(a plain string, ``value`` decoded), ``"tpl"`` (an interpolated string: ``value`` is a
list of parts, each a ``str`` or a list of tokens of the ``${...}`` expression),
``"nl"`` (a line break), ``"eof"`` or the punctuation text itself (``"{"``, ``"=="``).
Offsets index the source text; :class:`LineIndex` turns them into line and column
only when a position is needed, which keeps tokenizing fast.

Comments are skipped, except ``// azbackup-policy: ...`` comments, which are kept in
:attr:`Lexer.marked_comments` as ``(offset, text)`` for the emitter.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from azbackup_policy.errors import InputError

Token = tuple[str, object, int, int]

MARKER = "azbackup-policy:"

_TOKEN = re.compile(
    r"""[ \t\f\v\ufeff]*(?:
 (?P<nl>\r\n|\n|\r)
|(?P<lc>//[^\r\n]*)
|(?P<bc>/\*[\s\S]*?\*/)
|(?P<badc>/\*)
|(?P<id>[A-Za-z_][A-Za-z0-9_]*)
|(?P<int>[0-9]+)
|(?P<mstr>'''[\s\S]*?''')
|(?P<badm>''')
|(?P<str>'(?:[^'\\$\r\n]|\\[^\r\n]|\$(?!\{))*')
|(?P<q>')
|(?P<op>\.\.\.|\?\?|\.\?|::|==|!=|=~|!~|<=|>=|&&|\|\||=>|[{}\[\]().,:?!=<>+\-*/%@|])
|(?P<pragma>\#[^\r\n]*)
|(?P<eof>\Z)
)""",
    re.VERBOSE,
)

_ESCAPES = {"\\": "\\", "'": "'", "n": "\n", "r": "\r", "t": "\t", "$": "$"}
_UNICODE_ESCAPE = re.compile(r"u\{([0-9A-Fa-f]{1,6})\}")


class LineIndex:
    """Offsets -> 1-based (line, column); ``\\r\\n``, ``\\n`` and ``\\r`` end a line."""

    __slots__ = ("starts",)

    def __init__(self, text: str) -> None:
        starts = [0]
        starts.extend(m.end() for m in re.finditer(r"\r\n|\n|\r", text))
        self.starts = starts

    def line(self, offset: int) -> int:
        return bisect_right(self.starts, offset)

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


_MAX_INT = 2**63 - 1
_MAX_INT_DIGITS = 40


class Lexer:
    """Tokenizes one Bicep source text; errors raise :class:`InputError`."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.lines = LineIndex(text)
        self.marked_comments: list[tuple[int, str]] = []

    def error(self, offset: int, message: str) -> InputError:
        line, column = self.lines.position(offset)
        return InputError(self.file, line, column, message)

    def _integer(self, digits: str, offset: int) -> int:
        """An integer literal; Bicep integers are 64-bit, so longer ones are errors."""
        if len(digits) > _MAX_INT_DIGITS or int(digits) > _MAX_INT:
            shown = digits if len(digits) <= 20 else digits[:20] + "..."
            raise self.error(offset, f"integer literal {shown} is larger than "
                             f"{_MAX_INT} (Bicep integers are 64-bit)")
        return int(digits)

    def tokenize(self) -> list[Token]:
        tokens, _ = self._run(0, stop_at_brace=False)
        return tokens

    def _run(self, pos: int, *, stop_at_brace: bool) -> tuple[list[Token], int]:
        out: list[Token] = []
        text, match = self.text, _TOKEN.match
        append, depth = out.append, 0
        while True:
            m = match(text, pos)
            if m is None:
                bad = _skip_blank(text, pos)
                raise self.error(bad, f"unexpected character {text[bad]!r}")
            kind = m.lastgroup
            pos = m.end()
            if kind == "id":
                append(("id", m.group(kind), m.start(kind), pos))
            elif kind == "op":
                op = m.group(kind)
                if op == "{":
                    depth += 1
                elif op == "}":
                    if stop_at_brace and depth == 0:
                        return out, pos
                    depth -= 1
                append((op, None, m.start(kind), pos))
            elif kind == "nl":
                append(("nl", None, m.start(kind), pos))
            elif kind == "str":
                start = m.start(kind)
                append(("str", _decode(self, m.group(kind)[1:-1], start + 1), start, pos))
            elif kind == "int":
                append(("int", self._integer(m.group(kind), m.start(kind)), m.start(kind), pos))
            elif kind == "lc":
                self._comment(m.group(kind)[2:], m.start(kind))
            elif kind == "q":
                pos = self._template(m.start(kind), append)
            elif kind == "mstr":
                append(("str", _multiline(m.group(kind)[3:-3]), m.start(kind), pos))
            elif kind == "eof":
                if stop_at_brace:
                    raise self.error(pos, "unterminated string interpolation '${'")
                append(("eof", None, pos, pos))
                return out, pos
            elif kind == "badc":
                raise self.error(m.start(kind), "unterminated comment '/*'")
            elif kind == "badm":
                raise self.error(m.start(kind), "unterminated multi-line string")

    def _comment(self, body: str, start: int) -> None:
        stripped = body.strip()
        if stripped.startswith(MARKER):
            self.marked_comments.append((start, stripped))

    def _template(self, start: int, append: object) -> int:
        """Scan an interpolated (or unterminated) string starting at ``start``."""
        parts: list[str | list[Token]] = []
        buf: list[str] = []
        text, j = self.text, start + 1
        size = len(text)
        while True:
            if j >= size or text[j] in "\r\n":
                raise self.error(start, "unterminated string")
            char = text[j]
            if char == "'":
                break
            if char == "\\":
                decoded, j = _escape(self, j)
                buf.append(decoded)
            elif char == "$" and text.startswith("${", j):
                parts.append("".join(buf))
                buf = []
                tokens, j = self._run(j + 2, stop_at_brace=True)
                tokens.append(("eof", None, j - 1, j - 1))
                parts.append(tokens)
            else:
                buf.append(char)
                j += 1
        parts.append("".join(buf))
        append(("tpl", parts, start, j + 1))  # type: ignore[operator]
        return j + 1


def _skip_blank(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\f\v\ufeff":
        pos += 1
    return pos


def _multiline(body: str) -> str:
    """A ``'''`` string: no escapes; one line break right after the opening is dropped."""
    if body.startswith("\r\n"):
        return body[2:]
    if body.startswith(("\n", "\r")):
        return body[1:]
    return body


def _decode(lexer: Lexer, raw: str, offset: int) -> str:
    if "\\" not in raw:
        return raw
    out, i, size = [], 0, len(raw)
    while i < size:
        k = raw.find("\\", i)
        if k < 0:
            out.append(raw[i:])
            break
        out.append(raw[i:k])
        decoded, nxt = _escape_in(lexer, raw, k, offset)
        out.append(decoded)
        i = nxt
    return "".join(out)


def _escape(lexer: Lexer, j: int) -> tuple[str, int]:
    return _escape_in(lexer, lexer.text, j, 0)


def _escape_in(lexer: Lexer, raw: str, k: int, offset: int) -> tuple[str, int]:
    """Decode the escape at ``raw[k]`` (a backslash); return the text and next index."""
    nxt = raw[k + 1 : k + 2]
    if nxt in _ESCAPES:
        return _ESCAPES[nxt], k + 2
    uni = _UNICODE_ESCAPE.match(raw, k + 1)
    if uni is not None:
        code = int(uni.group(1), 16)
        if code <= 0x10FFFF:
            return chr(code), uni.end()
    raise lexer.error(offset + k, f"invalid escape sequence '\\{nxt}'")
