"""JSON as ARM accepts it: comments, trailing commas, a BOM and CRLF line ends.

:func:`load` returns the value together with the position of every value by JSON
path (``("resources", 0, "properties", "hardwareProfile")``) and the comments found,
so every resource property can be traced back to its line.
A syntax error is an :class:`~azbackup_policy.errors.InputError` with line and column.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from azbackup_policy.errors import InputError
from azbackup_policy.model import SourceSpan

JsonPath = tuple[str | int, ...]

_BLANK = re.compile(r"[ \t\r\n\ufeff]*")
_SPACE = re.compile(r"(?:[ \t\r\n\ufeff]+|//[^\n]*|/\*(?:[^*]|\*(?!/))*\*/)*")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\.)*"', re.DOTALL)
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_MAX_NUMBER_CHARS = 4000  # Python refuses int() of more than 4300 digits
_LITERALS = {"true": True, "false": False, "null": None}


@dataclass(frozen=True, slots=True)
class Comment:
    line: int
    text: str


@dataclass(slots=True)
class Loaded:
    """A parsed JSON document with positions by JSON path and its comments."""

    value: Any
    positions: dict[JsonPath, SourceSpan] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)


class _Reader:
    def __init__(self, text: str, file: str, max_depth: int) -> None:
        self.text = text
        self.file = file
        self.max_depth = max_depth
        self.pos = 0
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.result = Loaded(None)

    def line_col(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_left(self.newlines, offset)
        start = self.newlines[index - 1] + 1 if index else 0
        return index + 1, offset - start + 1

    def fail(self, message: str, offset: int | None = None) -> InputError:
        line, column = self.line_col(self.pos if offset is None else offset)
        return InputError(self.file, line, column, f"invalid JSON: {message}")

    def skip(self) -> None:
        text = self.text
        end = _BLANK.match(text, self.pos).end()  # type: ignore[union-attr]
        if not text.startswith("/", end):  # fast path: no comment here
            self.pos = end
            return
        match = _SPACE.match(self.text, self.pos)
        assert match is not None  # the pattern accepts the empty string
        if match.end() > self.pos:
            self._comments(match.start(), match.group())
        self.pos = match.end()
        if self.text.startswith("/*", self.pos):
            raise self.fail("unterminated /* comment")

    def _comments(self, start: int, chunk: str) -> None:
        if "/" not in chunk:
            return
        for found in re.finditer(r"//[^\n]*|/\*(?:[^*]|\*(?!/))*\*/", chunk):
            line, _ = self.line_col(start + found.start())
            self.result.comments.append(Comment(line, found.group().rstrip("\r")))

    def value(self, path: JsonPath, depth: int) -> Any:
        if depth > self.max_depth:
            raise self.fail(f"nesting deeper than {self.max_depth} levels")
        self.skip()
        start = self.pos
        char = self.text[start: start + 1]
        if char == "{":
            value: Any = self.obj(path, depth)
        elif char == "[":
            value = self.array(path, depth)
        else:
            value = self.scalar()
        line, column = self.line_col(start)
        end_line, _ = self.line_col(max(start, self.pos - 1))
        self.result.positions[path] = SourceSpan(self.file, line, end_line, column)
        return value

    def scalar(self) -> Any:
        text, pos = self.text, self.pos
        if text.startswith('"', pos):
            try:  # the C string scanner; the slow path below words the errors
                value, self.pos = scanstring(text, pos + 1, True)
                return value
            except ValueError:
                pass
            match = _STRING.match(text, pos)
            if match is None:
                raise self.fail("unterminated string or control character in string")
            self.pos = match.end()
            try:
                return json.loads(match.group())
            except json.JSONDecodeError as exc:
                raise self.fail(f"bad escape in string ({exc.msg})", pos) from None
        match = _NUMBER.match(text, pos)
        if match is not None:
            self.pos = match.end()
            number = match.group()
            if len(number) > _MAX_NUMBER_CHARS:
                raise self.fail(f"number with {len(number)} characters is too long", pos)
            return float(number) if any(c in number for c in ".eE") else int(number)
        for word, literal in _LITERALS.items():
            if text.startswith(word, pos):
                self.pos = pos + len(word)
                return literal
        if pos >= len(text):
            raise self.fail("unexpected end of file")
        raise self.fail(f"unexpected character {text[pos]!r}")

    def expect(self, char: str, wanted: str | None = None) -> None:
        self.skip()
        if not self.text.startswith(char, self.pos):
            found = repr(self.text[self.pos]) if self.pos < len(self.text) else "the end"
            raise self.fail(f"expected {wanted or repr(char)} but found {found}")
        self.pos += 1

    def peek(self, char: str) -> bool:
        self.skip()
        if self.text.startswith(char, self.pos):
            self.pos += 1
            return True
        return False

    def obj(self, path: JsonPath, depth: int) -> dict[str, Any]:
        self.pos += 1
        result: dict[str, Any] = {}
        while not self.peek("}"):
            self.skip()
            if not self.text.startswith('"', self.pos):
                raise self.fail("expected a property name in double quotes or '}'")
            key = self.scalar()
            self.expect(":")
            result[key] = self.value((*path, key), depth + 1)
            if not self.peek(","):
                self.expect("}", "',' or '}'")
                break
        return result

    def array(self, path: JsonPath, depth: int) -> list[Any]:
        self.pos += 1
        result: list[Any] = []
        while not self.peek("]"):
            result.append(self.value((*path, len(result)), depth + 1))
            if not self.peek(","):
                self.expect("]", "',' or ']'")
                break
        return result


# Fast path for strict JSON (most generated templates): the C decoder reads the values
# and one regex pass over the tokens records the positions. Anything else (comments,
# trailing commas, NaN, too deep, a syntax error) goes to the reader above, which also
# words the errors.
_STR = r'"[^"\\]*(?:\\.[^"\\]*)*"'
# One match per value, with the key before it when in an object. Groups: 1 the key,
# then the value: 2 a string, 3 { or [, 4 } or ] (never after a key), 5 a number or
# literal. Blanks and commas are consumed by the token after them.
_TOKEN = re.compile(
    rf'[\s,]*(?:({_STR})\s*:\s*)?(?:({_STR})|([{{\[])|([}}\]])|([^\s{{}}\[\],:"]+))')


class _NotStrict(Exception):
    pass


def _reject_constant(name: str) -> Any:
    raise _NotStrict(name)


def _strict(text: str, file: str, max_depth: int) -> Loaded | None:
    """The Loaded of ``text`` when it is strict JSON within ``max_depth``, else None."""
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, _NotStrict, RecursionError):
        return None
    positions = _positions(text, file, max_depth)
    return None if positions is None else Loaded(value, positions)


def span_maker() -> Callable[[str, int, int, int], SourceSpan]:
    """A constructor of :class:`SourceSpan` for the position pass, which makes one per
    JSON value: it fills the slots directly (a third of the cost of the dataclass
    ``__init__``, whose frozen fields are set one ``object.__setattr__`` call each).
    The dataclass itself when its fields are not the four this fills."""
    names = tuple(f.name for f in dataclasses.fields(SourceSpan))
    if names != ("file", "line", "end_line", "column") or hasattr(SourceSpan, "__post_init__"):
        return SourceSpan
    new = SourceSpan.__new__
    set_file, set_line, set_end, set_column = (
        getattr(SourceSpan, name).__set__ for name in names)

    def make(file: str, line: int, end_line: int, column: int) -> SourceSpan:
        span = new(SourceSpan)
        set_file(span, file)
        set_line(span, line)
        set_end(span, end_line)
        set_column(span, column)
        return span

    return make


def _positions(text: str, file: str, max_depth: int) -> dict[JsonPath, SourceSpan] | None:
    """Spans by JSON path of valid strict JSON (one loop: it runs once per value)."""
    newlines = [m.start() for m in re.finditer("\n", text)]
    positions: dict[JsonPath, SourceSpan] = {}
    make, line_of = span_maker(), bisect.bisect_left
    stack: list[list[Any]] = []  # open containers: [path, next index, line, column]
    pop, push = stack.pop, stack.append
    for token in _TOKEN.finditer(text):
        kind = token.lastindex or 0
        start = token.start(kind)
        index = line_of(newlines, start)
        line = index + 1  # one int object for line and end_line of a scalar
        if kind == 4:
            path, _, first, column = pop()
            positions[path] = make(file, first, line, column)
            continue
        if len(stack) > max_depth:
            return None
        column = start - (newlines[index - 1] + 1 if index else 0) + 1
        if not stack:
            path = ()
        elif (key := token.group(1)) is not None:  # valid JSON: in an object
            path = (*stack[-1][0], json.loads(key) if "\\" in key else key[1:-1])
        else:
            top = stack[-1]
            path = (*top[0], top[1])
            top[1] += 1
        if kind == 3:
            push([path, 0, line, column])
        elif kind == 5 and token.end(5) - start > _MAX_NUMBER_CHARS:
            return None  # the reader words the error
        else:
            positions[path] = make(file, line, line, column)
    return positions


def load(text: str, file: str, *, max_depth: int = 200) -> Loaded:
    """Parse ``text`` (of ``file``); raise InputError with a location on bad JSON."""
    fast = _strict(text, file, max_depth)
    if fast is not None:
        return fast
    reader = _Reader(text, file, max_depth)
    reader.result.value = reader.value((), 0)
    reader.skip()
    if reader.pos < len(text):
        raise reader.fail("unexpected content after the end of the JSON value")
    return reader.result
