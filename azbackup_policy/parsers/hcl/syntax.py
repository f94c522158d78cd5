"""HCL native syntax: python-hcl2's Lark grammar in, :class:`Block` records out.

We parse with ``hcl2.parses_to_tree`` (python-hcl2's own grammar and Lark parser, with
positions) and read that tree directly. python-hcl2's typed transform and its dict
serialization are skipped: they cost as much again as the parse, drop every position
(``with_meta`` is ignored in 8.x) and cannot tell ``a = tags`` from ``a = "tags"``.
Expressions stay Lark nodes; :mod:`.evaluate` walks them when a value is needed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hcl2
from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from azbackup_policy.errors import InputError
from azbackup_policy.parsers.hcl.native import prepare

_MARKER = re.compile(r"azbackup-policy\s*:", re.IGNORECASE)
_COMMENT = re.compile(r"^[ \t]*(#|//)")
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.DOTALL)
_STRIPPED = " \t\r\n"
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


@dataclass(slots=True, eq=False)
class SourceFile:
    path: str  # as opened
    shown: str  # as reported
    text: str
    _lines: list[str] | None = None
    _has_markers: bool | None = None

    def has_markers(self) -> bool:
        if self._has_markers is None:
            self._has_markers = _MARKER.search(self.text) is not None
        return self._has_markers

    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines


@dataclass(slots=True, eq=False)
class Attr:
    name: str
    expr: Any  # a Lark node, or a JSON value (see .jsonsyntax)
    line: int
    end_line: int
    src: SourceFile


@dataclass(slots=True, eq=False)
class Block:
    type: str
    labels: tuple[str, ...]
    line: int
    end_line: int
    src: SourceFile
    attrs: dict[str, Attr] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Sub:
    """An expression parsed from another text (a heredoc or JSON template part)."""

    node: Any
    text: str


@dataclass(frozen=True, slots=True)
class Literal:
    """A JSON value taken as is (``.tfvars.json``, variable defaults in ``.tf.json``)."""

    value: Any


def expression_text(node: Any, text: str) -> str:
    """The source text of an expression (a Lark node in ``text``, or a JSON value)."""
    if isinstance(node, Tree) and not node.meta.empty:
        return text[node.meta.start_pos : node.meta.end_pos].strip()
    if isinstance(node, Token):
        return str(node)
    if isinstance(node, Sub):
        return node.text[4:].strip()
    if isinstance(node, Literal):
        return json.dumps(node.value)
    return node if isinstance(node, str) else json.dumps(node)


def parse_file(src: SourceFile) -> list[Block]:
    """The top-level blocks of one ``.tf`` file; syntax errors become InputError."""
    tree = parse_tree(src.text, src.shown)
    return body_blocks(tree.children[0], src)


def parse_tree(text: str, shown: str, line_offset: int = 0) -> Tree[Any]:
    try:
        return hcl2.parses_to_tree(prepare(text))
    except UnexpectedInput as exc:
        line, column = _position(exc, text)
        raise InputError(shown, line + line_offset, column, _describe(exc)) from None
    except RecursionError:
        raise InputError(shown, 1 + line_offset, 1, "expression nested too deeply") from None
    except Exception as exc:  # python-hcl2/Lark failing in any other way
        raise InputError(shown, 1 + line_offset, 1, f"cannot parse: {exc}") from None


def _position(exc: UnexpectedInput, text: str) -> tuple[int, int]:
    line = getattr(exc, "line", -1)
    column = getattr(exc, "column", -1)
    if isinstance(exc, UnexpectedEOF) or line is None or line < 1:
        line = text.count("\n") + 1
        column = len(text) - text.rfind("\n")
    return line, max(1, column or 1)


def _token_text(text: str) -> str:
    """A token for a message: its first line, short, and never the text of a string
    (a string or heredoc may be a secret such as ``admin_password``)."""
    lines = text.strip().splitlines()
    first = lines[0] if lines else text
    if any(quote in text for quote in "\"'") or first.startswith("<<"):
        return "string"
    return repr(first if len(first) <= 20 else first[:20] + "...")


def _describe(exc: UnexpectedInput) -> str:
    if isinstance(exc, UnexpectedCharacters):
        return f"syntax error: unexpected character {exc.char!r}"
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            return "syntax error: unexpected end of file (unclosed block or string?)"
        return f"syntax error: unexpected {_token_text(str(token))}"
    return "syntax error: unexpected end of file (unclosed block or string?)"


def body_blocks(body: Tree[Any], src: SourceFile) -> list[Block]:
    blocks: list[Block] = []
    for child in body.children:
        if isinstance(child, Tree) and child.data == "block":
            blocks.append(_block(child, src))
    return blocks


def _block(tree: Tree[Any], src: SourceFile) -> Block:
    children = tree.children
    names: list[str] = []
    body: Tree[Any] | None = None
    for child in children:
        if isinstance(child, Tree):
            if child.data == "body":
                body = child
            elif child.data == "string":
                names.append(string_literal(child))
            elif child.data != "new_line_or_comment":
                names.append(str(child.children[0]))
    block = Block(names[0], tuple(names[1:]), tree.meta.line, tree.meta.end_line, src)
    if body is not None:
        _fill(block, body, src)
    return block


def _fill(block: Block, body: Tree[Any], src: SourceFile) -> None:
    for child in body.children:
        if not isinstance(child, Tree):
            continue
        if child.data == "attribute":
            name = str(child.children[0].children[0])
            meta = child.meta
            if name in block.attrs:
                first = block.attrs[name].line
                raise InputError(src.shown, meta.line, meta.column,
                                 f"attribute {name!r} is set twice (first on line {first})")
            block.attrs[name] = Attr(name, child.children[2], meta.line, meta.end_line, src)
        elif child.data == "block":
            block.blocks.append(_block(child, src))


def string_literal(tree: Tree[Any]) -> str:
    """The text of a quoted string without interpolations (block labels)."""
    parts: list[str] = []
    for part in tree.children:
        if isinstance(part, Tree):
            inner = part.children[0]
            if isinstance(inner, Token):
                parts.append(literal_part(inner))
    return "".join(parts)


def literal_part(token: Token) -> str:
    if token.type == "STRING_CHARS":
        return decode_escapes(str(token))
    return str(token)[1:]  # $${ -> ${ and %%{ -> %{


def decode_escapes(text: str) -> str:
    if "\\" not in text:
        return text
    return _ESCAPE.sub(_unescape, text)


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code[0] in "uU" and len(code) > 1:
        return chr(int(code[1:], 16))
    return _SIMPLE_ESCAPES.get(code, "\\" + code)


def heredoc_body(token: Token) -> str:
    """The string a heredoc stands for (``<<-`` strips the common indentation)."""
    raw = str(token).replace("\r\n", "\n")
    first, _, rest = raw.partition("\n")
    lines = rest.split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    body = lines[:-1]  # the last line is the closing marker
    if first.startswith("<<-"):
        indents = [len(line) - len(line.lstrip(" \t")) for line in body if line.strip()]
        cut = min(indents, default=0)
        body = [line[cut:] for line in body]
    return "".join(line + "\n" for line in body)


def split_template(text: str) -> list[str | tuple[str, int]] | None:
    """Literal parts and ``(expression text, offset)`` parts of a template string.

    None when the template uses ``%{`` directives (not evaluated) or is unbalanced.
    """
    parts: list[str | tuple[str, int]] = []
    literal: list[str] = []
    index, size = 0, len(text)
    while index < size:
        char = text[index]
        if text.startswith("$${", index) or text.startswith("%%{", index):
            literal.append(text[index + 1 : index + 3])
            index += 3
        elif text.startswith("%{", index):
            return None
        elif text.startswith("${", index):
            end = closing_brace(text, index + 2)
            if end < 0:
                return None
            start, stop = index + 2, end
            if text[start] == "~":  # strip markers: the literal beside loses its spaces
                start += 1
                literal = list("".join(literal).rstrip(_STRIPPED))
            if stop > start and text[stop - 1] == "~":
                stop -= 1
                end = len(text[end + 1:]) - len(text[end + 1:].lstrip(_STRIPPED)) + end
            parts.append("".join(literal))
            literal = []
            parts.append((text[start:stop], start))
            index = end + 1
        else:
            literal.append(char)
            index += 1
    parts.append("".join(literal))
    return [part for part in parts if part != ""]


def closing_brace(text: str, index: int) -> int:
    depth, quoted, size = 0, False, len(text)
    while index < size:
        char = text[index]
        if quoted:
            if char == "\\":
                index += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return index
            depth -= 1
        index += 1
    return -1


def parse_expression(text: str, shown: str, line: int) -> Sub:
    """Parse one expression (a template part) as ``x = <text>``."""
    source = "x = " + text.replace("\n", " ")
    tree = parse_tree(source, shown, line - 1)
    attribute = tree.children[0].children[0]
    if not isinstance(attribute, Tree) or attribute.data != "attribute":
        raise InputError(shown, line, 1, f"cannot parse expression {text!r}")
    return Sub(attribute.children[2], source)


def marker_comments(src: SourceFile, line: int, end_line: int) -> tuple[str, ...]:
    """``azbackup-policy:`` comment lines inside lines ``line..end_line`` or right above."""
    if not src.has_markers():
        return ()
    lines = src.lines()
    start = line - 1
    while start > 0 and _COMMENT.match(lines[start - 1]):
        start -= 1
    return tuple(_markers(lines, start, min(end_line, len(lines))))


def _markers(lines: list[str], start: int, stop: int) -> Iterator[str]:
    for text in lines[start:stop]:
        match = _COMMENT.match(text)
        if match and _MARKER.match(text[match.end() :].lstrip()):
            yield text.strip()
