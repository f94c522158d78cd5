"""Terraform's template language in raw text: heredocs, ``.tf.json`` strings, template files.

``${ expr }`` interpolations and the ``%{ if c }``/``%{ else }``/``%{ endif }`` and
``%{ for k, v in coll }``/``%{ endfor }`` directives, with ``$${``/``%%{`` escapes and
``~`` strip markers (the white space and newlines on that side are dropped), become the
items :func:`.templates.emit` renders. Nesting deeper than :data:`MAX_DEPTH` is refused,
so a hostile template cannot exhaust the stack.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from azbackup_policy.parsers.hcl.syntax import closing_brace
from azbackup_policy.parsers.hcl.values import EvalError

MAX_DEPTH = 64
_SPACE = " \t\r\n"
_FOR = re.compile(r"for\s+([A-Za-z_][\w-]*)(?:\s*,\s*([A-Za-z_][\w-]*))?\s+in\s+(.+)", re.DOTALL)
_IF = re.compile(r"if\s+(.+)", re.DOTALL)

Parse = Callable[[str], Any]  # expression text -> a node the evaluator reads
Item = Any  # as in .templates: str | ("expr", node) | ("if", ...) | ("for", ...)


def tokens(text: str) -> list[str | tuple[str, str]]:
    """Literal strings and ``("$", inner)``/``("%", inner)`` sequences, strip markers applied."""
    out: list[str | tuple[str, str]] = []
    literal: list[str] = []
    index, size, strip_next = 0, len(text), False
    while index < size:
        if text.startswith(("$${", "%%{"), index):
            literal.append(text[index + 1:index + 3])
            index += 3
            continue
        if not text.startswith(("${", "%{"), index):
            literal.append(text[index])
            index += 1
            continue
        end = closing_brace(text, index + 2)
        if end < 0:
            raise EvalError("a template sequence is not closed")
        inner = text[index + 2:end]
        chunk = "".join(literal)
        if strip_next:
            chunk = chunk.lstrip(_SPACE)
        if inner.startswith("~"):
            chunk, inner = chunk.rstrip(_SPACE), inner[1:]
        strip_next = inner.endswith("~")
        inner = inner[:-1] if strip_next else inner
        out += [chunk] if chunk else []
        out.append((text[index], inner.strip()))
        literal, index = [], end + 1
    chunk = "".join(literal)
    chunk = chunk.lstrip(_SPACE) if strip_next else chunk
    return out + ([chunk] if chunk else [])


class _Nester:
    def __init__(self, parts: list[str | tuple[str, str]], parse: Parse) -> None:
        self.parts = parts
        self.parse = parse
        self.index = 0

    def sequence(self, stops: tuple[str, ...], depth: int) -> tuple[list[Item], str]:
        if depth > MAX_DEPTH:
            raise EvalError(f"template directives nested deeper than {MAX_DEPTH} levels")
        items: list[Item] = []
        while self.index < len(self.parts):
            part = self.parts[self.index]
            self.index += 1
            if isinstance(part, str):
                items.append(part)
            elif part[0] == "$":
                items.append(("expr", self.parse(part[1])))
            else:
                word = part[1].split(None, 1)[0] if part[1] else ""
                if word in stops:
                    return items, word
                items.append(self.directive(part[1], word, depth))
        if stops:
            raise EvalError(f"a template directive is not closed (expected {stops[-1]})")
        return items, ""

    def directive(self, inner: str, word: str, depth: int) -> Item:
        if word == "if" and (match := _IF.fullmatch(inner)):
            then, stop = self.sequence(("else", "endif"), depth + 1)
            otherwise: list[Item] = []
            if stop == "else":
                otherwise, _ = self.sequence(("endif",), depth + 1)
            return ("if", self.parse(match.group(1)), then, otherwise)
        if word == "for" and (match := _FOR.fullmatch(inner)):
            names = [n for n in match.group(1, 2) if n]
            body, _ = self.sequence(("endfor",), depth + 1)
            return ("for", names, self.parse(match.group(3)), body)
        raise EvalError(f"unexpected template directive %{{{word}}}")


def items_of(text: str, parse: Parse) -> list[Item]:
    """The items of template ``text``; EvalError when it is not a valid template."""
    items, _ = _Nester(tokens(text), parse).sequence((), 0)
    return items
