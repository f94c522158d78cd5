"""Find ``resource "type" "name" { ... }`` blocks and their attribute lines in ``.tf`` text.

This is a small, tolerant scanner, not an HCL parser: it knows strings (with ``${...}``
templates that may nest strings), comments (``#``, ``//``, ``/* */``), heredocs
(``<<EOT`` / ``<<-EOT``) and brackets, so braces inside any of them never confuse the
block structure. It never raises: odd text just yields fewer blocks.

Attribute paths follow the plan's shape: ``size``, ``os_disk.0.caching`` (the n-th
nested block of a type gets index n). ``dynamic`` blocks are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from azbackup_policy.model import SourceSpan

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n")
_PUNCT = frozenset("{}[]()=")
MARKER = "azbackup-policy"


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "ident", "string", "punct", "newline", "other"
    text: str
    line: int
    column: int


@dataclass(slots=True)
class BlockSpan:
    """A top-level ``resource``/``data`` block and the lines of its attributes."""

    mode: str
    type: str
    name: str
    span: SourceSpan
    attributes: dict[str, SourceSpan] = field(default_factory=dict)
    comments: tuple[str, ...] = ()  # ``# azbackup-policy: ...`` inside or just above


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.line_start = 0
        self.tokens: list[Token] = []
        self.marked: dict[int, str] = {}  # line -> text of an ``azbackup-policy`` comment

    def run(self) -> list[Token]:
        size = len(self.text)
        while self.pos < size:
            self.step()
        return self.tokens

    def emit(self, kind: str, text: str, start: int) -> None:
        self.tokens.append(Token(kind, text, self.line, start - self.line_start + 1))

    def newline(self, at: int) -> None:
        self.line += 1
        self.line_start = at + 1

    def advance_to(self, end: int) -> None:
        """Move to ``end``, counting the newlines passed."""
        index = self.text.find("\n", self.pos, end)
        while index >= 0:
            self.newline(index)
            index = self.text.find("\n", index + 1, end)
        self.pos = end

    def step(self) -> None:
        text, pos = self.text, self.pos
        char = text[pos]
        if char == "\n":
            self.emit("newline", "\n", pos)
            self.newline(pos)
            self.pos = pos + 1
        elif char == "#" or text.startswith("//", pos):
            end = text.find("\n", pos)
            self.pos = end if end >= 0 else len(text)
            self.remember(text[pos + (1 if char == "#" else 2) : self.pos])
        elif text.startswith("/*", pos):
            end = text.find("*/", pos + 2)
            self.remember(text[pos + 2 : end if end >= 0 else len(text)])
            self.advance_to(end + 2 if end >= 0 else len(text))
        elif char == '"':
            end = skip_string(text, pos)
            self.emit("string", text[pos:end], pos)
            self.advance_to(end)
        elif text.startswith("<<", pos) and _HEREDOC.match(text, pos):
            self.heredoc(_HEREDOC.match(text, pos))  # type: ignore[arg-type]
        else:
            self.word(char, pos)

    def remember(self, body: str) -> None:
        stripped = body.strip()
        if stripped.startswith(MARKER):
            self.marked.setdefault(self.line, stripped)

    def word(self, char: str, pos: int) -> None:
        ident = _IDENT.match(self.text, pos)
        if ident is not None:
            self.emit("ident", ident.group(), pos)
            self.pos = ident.end()
        elif char in _PUNCT:
            follows = self.text[pos + 1 : pos + 2]
            kind = "other" if char == "=" and follows in ("=", ">") else "punct"
            self.emit(kind, char, pos)
            self.pos = pos + (2 if kind == "other" else 1)
        elif char in "!<>" and self.text.startswith("=", pos + 1):
            self.pos = pos + 2
        else:
            if not char.isspace():
                self.emit("other", char, pos)
            self.pos = pos + 1

    def heredoc(self, match: re.Match[str]) -> None:
        marker = match.group(1)
        self.emit("string", "<<" + marker, match.start())
        self.advance_to(match.end())
        while self.pos < len(self.text):
            end = self.text.find("\n", self.pos)
            end = len(self.text) if end < 0 else end
            line = self.text[self.pos : end].strip()
            if line == marker:
                self.advance_to(end)  # the newline after the marker ends the attribute
                return
            self.advance_to(min(end + 1, len(self.text)))


def skip_string(text: str, pos: int) -> int:
    """The index just after the string starting at ``pos`` (a ``"``); stops at a newline."""
    index, size = pos + 1, len(text)
    while index < size:
        char = text[index]
        if char == "\\":
            index += 2
        elif char == '"':
            return index + 1
        elif char == "\n":
            return index
        elif char in "$%" and text.startswith("{", index + 1):
            index = _skip_template(text, index + 2)
        else:
            index += 1
    return size


def _skip_template(text: str, pos: int) -> int:
    depth, index, size = 0, pos, len(text)
    while index < size:
        char = text[index]
        if char == '"':
            index = skip_string(text, index)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return index + 1
            depth -= 1
        index += 1
    return size


class _Structure:
    """Walks the tokens and records top-level blocks and attribute lines."""

    def __init__(self, tokens: list[Token], file: str) -> None:
        self.tokens = tokens
        self.file = file
        self.index = 0
        self.blocks: list[BlockSpan] = []

    def run(self) -> list[BlockSpan]:
        while self.index < len(self.tokens):
            self.top_statement()
        return self.blocks

    def peek(self, offset: int = 0) -> Token | None:
        at = self.index + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def top_statement(self) -> None:
        start = self.peek()
        header = self.header()
        if header is None or start is None:
            self.skip_line()
            return
        labels = [t.text.strip('"') for t in header]
        block: BlockSpan | None = None
        if start.text in ("resource", "data") and len(labels) == 3:
            mode = "managed" if start.text == "resource" else "data"
            block = BlockSpan(mode, labels[1], labels[2],
                              SourceSpan(self.file, start.line, start.line, start.column))
        end_line = self.body(block, "")
        if block is not None:
            block.span = SourceSpan(self.file, start.line, end_line, start.column)
            self.blocks.append(block)

    def header(self) -> list[Token] | None:
        """Consume ``ident (string|ident)* {`` and return its words, or None (nothing consumed)."""
        probe = self.index
        words: list[Token] = []
        while probe < len(self.tokens):
            token = self.tokens[probe]
            if token.kind in ("ident", "string") and (token.kind == "ident" or words):
                words.append(token)
            elif token.kind == "punct" and token.text == "{" and words:
                self.index = probe + 1
                return words
            else:
                return None
            probe += 1
        return None

    def body(self, block: BlockSpan | None, prefix: str) -> int:
        """Walk a block body up to its ``}``; returns the line of that brace."""
        counts: dict[str, int] = {}
        while self.index < len(self.tokens):
            token = self.tokens[self.index]
            if token.kind == "newline":
                self.index += 1
            elif token.kind == "punct" and token.text == "}":
                self.index += 1
                return token.line
            else:
                self.body_statement(block, prefix, counts)
        return self.tokens[-1].line if self.tokens else 1

    def body_statement(self, block: BlockSpan | None, prefix: str,
                       counts: dict[str, int]) -> None:
        token = self.tokens[self.index]
        follow = self.peek(1)
        if token.kind == "ident" and follow is not None and follow.text == "=" \
                and follow.kind == "punct":
            if block is not None and prefix is not None:
                block.attributes.setdefault(prefix + token.text, SourceSpan(
                    self.file, token.line, token.line, token.column))
            self.index += 2
            self.skip_expression()
            return
        header = self.header()
        if header is None:
            self.skip_expression()
            return
        name = header[0].text
        number = counts.get(name, 0)
        counts[name] = number + 1
        inner = f"{prefix}{name}.{number}." if name != "dynamic" else None
        if block is not None and inner is not None:
            block.attributes.setdefault(inner[:-1], SourceSpan(
                self.file, token.line, token.line, token.column))
        self.body(block if inner is not None else None, inner or "")

    def skip_expression(self) -> None:
        """Skip to the end of the line, across brackets opened on the way."""
        depth = 0
        while self.index < len(self.tokens):
            token = self.tokens[self.index]
            if token.kind == "punct" and token.text in "{[(":
                depth += 1
            elif token.kind == "punct" and token.text in "}])":
                if depth == 0 and token.text == "}":
                    return  # the enclosing block's closing brace
                depth = max(0, depth - 1)
            elif token.kind == "newline" and depth == 0:
                self.index += 1
                return
            self.index += 1

    def skip_line(self) -> None:
        self.skip_expression()
        token = self.peek()
        if token is not None and token.kind == "punct" and token.text in "}])":
            self.index += 1  # a stray closing bracket at the top level


def scan_blocks(text: str, file: str) -> list[BlockSpan]:
    """Every top-level ``resource``/``data`` block in ``text``; never raises on odd text."""
    try:
        lexer = _Lexer(text)
        blocks = _Structure(lexer.run(), file).run()
    except (RecursionError, ValueError, IndexError):
        return []
    for block in blocks:
        block.comments = _comments_of(block.span, lexer.marked)
    return blocks


def _comments_of(span: SourceSpan, marked: dict[int, str]) -> tuple[str, ...]:
    above: list[str] = []
    probe = span.line - 1
    while probe in marked:
        above.insert(0, marked[probe])
        probe -= 1
    inside = [marked[line] for line in sorted(marked) if span.line <= line <= span.end_line]
    return tuple(above + inside)
