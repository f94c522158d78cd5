"""Tokenizer and parser of ARM template expressions (``[concat('a', parameters('b'))]``).

The parser builds a small tree (:class:`Literal`, :class:`Call`, :class:`Member`,
:class:`Index`); :func:`render` prints a tree back in one canonical spelling, which is
the text an :class:`~azbackup_policy.model.Unknown` remembers. Evaluation lives in
:mod:`.evaluator`; nothing here runs Python code from the template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final


class ExpressionSyntaxError(Exception):
    """An expression that does not parse; ``offset`` is within the expression text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Member:
    target: Node
    name: str
    safe: bool = False


@dataclass(frozen=True, slots=True)
class Index:
    target: Node
    index: Node
    safe: bool = False


Node = Literal | Call | Member | Index

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<name>[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*(?=\s*\())"
    r"|(?P<ident>[A-Za-z_$][A-Za-z0-9_$]*)|(?P<punct>\?\.|\.\?|\[\?|[()\[\],.]))"
)


# A token is (kind, text, offset): plain tuples, as an expression is parsed per template
# string and a template has thousands of them.
_Token = tuple[str, str, int]
_KIND: Final = 0
_TEXT: Final = 1
_OFFSET: Final = 2
_POSTFIX = frozenset({".", ".?", "?.", "[", "[?"})
_LITERAL_WORDS = {"true": True, "false": False, "null": None}


def tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos, size, match = 0, len(text), _TOKEN.match
    while pos < size:
        found = match(text, pos)
        if found is None or found.end() == pos:
            if text[pos:].strip() == "":
                break
            raise ExpressionSyntaxError(f"unexpected character {text[pos]!r}", pos)
        kind = found.lastgroup or "punct"
        tokens.append((kind, found.group(kind), found.start(kind)))
        pos = found.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self, text: str | None = None) -> _Token | None:
        token = self.tokens[self.pos] if self.pos < len(self.tokens) else None
        if token is not None and text is not None and token[_TEXT] != text:
            return None
        return token

    def take(self, text: str) -> _Token:
        token = self.peek()
        if token is None or token[_TEXT] != text:
            where = token[_OFFSET] if token else len(self.text)
            found = repr(token[_TEXT]) if token else "the end"
            raise ExpressionSyntaxError(f"expected {text!r} but found {found}", where)
        self.pos += 1
        return token

    def expression(self, depth: int = 0) -> Node:
        if depth > 100:
            raise ExpressionSyntaxError("expression nested too deeply", 0)
        node = self.primary(depth)
        while True:
            token = self.peek()
            if token is None or token[_TEXT] not in _POSTFIX:
                return node
            self.pos += 1
            if token[_TEXT].startswith("["):
                index = self.expression(depth + 1)
                self.take("]")
                node = Index(node, index, token[_TEXT] == "[?")
            else:
                name = self.peek()
                if name is None or name[_KIND] not in {"ident", "name"}:
                    raise ExpressionSyntaxError("expected a property name", token[_OFFSET])
                self.pos += 1
                node = Member(node, name[_TEXT], token[_TEXT] != ".")

    def primary(self, depth: int) -> Node:
        token = self.peek()
        if token is None:
            raise ExpressionSyntaxError("expected a value", len(self.text))
        self.pos += 1
        kind, text = token[_KIND], token[_TEXT]
        if kind == "string":
            return Literal(text[1:-1].replace("''", "'"))
        if kind == "number":
            return Literal(float(text) if "." in text else int(text))
        if kind == "name":
            return self.call(text, depth)
        if kind == "ident" and text.lower() in _LITERAL_WORDS:
            return Literal(_LITERAL_WORDS[text.lower()])
        raise ExpressionSyntaxError(f"unexpected {text!r}", token[_OFFSET])

    def call(self, name: str, depth: int) -> Call:
        self.take("(")
        args: list[Node] = []
        if self.peek(")") is None:
            args.append(self.expression(depth + 1))
            while self.peek(",") is not None:
                self.pos += 1
                args.append(self.expression(depth + 1))
        self.take(")")
        return Call(name, tuple(args))


def parse_expression(text: str) -> Node:
    """The tree of ``text`` (the expression without its outer brackets)."""
    parser = _Parser(text)
    node = parser.expression()
    token = parser.peek()
    if token is not None:
        raise ExpressionSyntaxError(f"unexpected {token[_TEXT]!r} after the expression",
                                    token[_OFFSET])
    return node


class ParseCache:
    """Trees of expression texts (``[...]``, brackets included) that a template repeats.

    Templates repeat expressions (``[parameters('location')]`` in every resource): a
    text met a second time is parsed once more and its tree (or syntax error) kept, so
    later uses skip the parse. Texts met once keep no tree: most expressions of a large
    template are distinct (``resourceId(..., 'nic-17')``) and their trees would only add
    to the peak memory."""

    __slots__ = ("_seen", "_trees")

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._trees: dict[str, Node | ExpressionSyntaxError] = {}

    def tree(self, text: str) -> Node:
        """The tree of ``text``; raises its ExpressionSyntaxError."""
        found = self._trees.get(text)
        if found is None:
            try:
                found = parse_expression(text[1:-1])
            except ExpressionSyntaxError as exc:
                found = exc
            if text in self._seen:
                self._trees[text] = found
            else:
                self._seen.add(text)
        if isinstance(found, ExpressionSyntaxError):
            raise found
        return found


def is_expression(value: str) -> bool:
    """True for ``[...]`` strings that are expressions (``[[`` escapes a literal)."""
    return value.startswith("[") and value.endswith("]") and not value.startswith("[[")


def unescape(value: str) -> str:
    """The literal text of a string: ``[[x]`` -> ``[x]``."""
    return value[1:] if value.startswith("[[") else value


def render(node: Node) -> str:
    """The canonical text of ``node`` (used as the text of unknown values)."""
    if isinstance(node, Literal):
        return _render_literal(node.value)
    if isinstance(node, Call):
        return f"{node.name}({', '.join(render(a) for a in node.args)})"
    if isinstance(node, Member):
        return f"{render(node.target)}{'.?' if node.safe else '.'}{node.name}"
    return f"{render(node.target)}{'[?' if node.safe else '['}{render(node.index)}]"


def _render_literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)
