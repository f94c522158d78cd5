"""Terraform JSON syntax (``.tf.json``) -> the same :class:`~.syntax.Block` records.

Strings are templates (``"${var.x}"``), as Terraform reads them. Which keys of a body are
nested blocks is schema knowledge Terraform takes from the provider; without it, an
object or a list of objects is read as nested blocks, except for the map attributes in
``MAP_ATTRIBUTES`` and everything in ``module``, ``locals`` and ``output`` bodies.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from typing import Any

from azbackup_policy.errors import InputError
from azbackup_policy.parsers.hcl.syntax import Attr, Block, Literal, SourceFile

MAP_ATTRIBUTES = frozenset({"tags", "metadata", "settings", "protected_settings"})
_TOKEN = re.compile(
    r'[ \t\r\n]*(?:(?P<str>"(?:[^"\\\n]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)'
    r"|(?P<lit>true|false|null)|(?P<punct>[{}\[\]:,]))"
)
_LITERALS = {"true": True, "false": False, "null": None}


@dataclass(slots=True)
class JObject:
    line: int
    end_line: int = 0
    items: list[tuple[str, int, Any]] = field(default_factory=list)  # key, line, value


class _Reader:
    def __init__(self, src: SourceFile) -> None:
        self.src = src
        self.text = src.text
        self.pos = 0
        self.starts = [0] + [m.end() for m in re.finditer("\n", self.text)]

    def line(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos)

    def fail(self, message: str) -> InputError:
        line = self.line(self.pos)
        column = self.pos - self.starts[line - 1] + 1
        return InputError(self.src.shown, line, column, f"invalid JSON: {message}")

    def token(self) -> tuple[str, str, int]:
        match = _TOKEN.match(self.text, self.pos)
        if match is None:
            self.pos += len(self.text[self.pos :]) - len(self.text[self.pos :].lstrip())
            ended = self.pos >= len(self.text)
            raise self.fail("unexpected end" if ended else "unexpected character")
        self.pos = match.end()
        kind = match.lastgroup or "punct"
        return kind, match.group(kind), match.start(kind)

    def string(self, text: str) -> str:
        try:
            value: str = json.loads(text)
        except ValueError as exc:
            raise self.fail(f"bad string ({exc.args[0].split(':')[0]})") from None
        return value

    def value(self) -> Any:
        kind, text, start = self.token()
        if kind == "str":
            return self.string(text)
        if kind == "num":
            number = float(text)
            return int(number) if number.is_integer() and abs(number) < 2**53 else number
        if kind == "lit":
            return _LITERALS[text]
        if text == "{":
            return self.object(start)
        if text == "[":
            return self.array()
        raise self.fail(f"unexpected {text!r}")

    def object(self, start: int) -> JObject:
        result = JObject(self.line(start))
        kind, text, at = self.token()
        while not (kind == "punct" and text == "}"):
            if kind != "str":
                raise self.fail("expected a string key")
            if self.token()[1] != ":":
                raise self.fail("expected ':'")
            result.items.append((self.string(text), self.line(at), self.value()))
            kind, text, at = self.token()
            if text == ",":
                kind, text, at = self.token()
            elif text != "}":
                raise self.fail("expected ',' or '}'")
        result.end_line = self.line(at)
        return result

    def array(self) -> list[Any]:
        items: list[Any] = []
        saved = self.pos
        text = self.token()[1]
        if text == "]":
            return items
        self.pos = saved
        while True:
            items.append(self.value())
            text = self.token()[1]
            if text == "]":
                return items
            if text != ",":
                raise self.fail("expected ',' or ']'")


def plain(value: Any) -> Any:
    if isinstance(value, JObject):
        return {key: plain(item) for key, _, item in value.items}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def parse_file(src: SourceFile) -> list[Block]:
    reader = _Reader(src)
    root = reader.value()
    if reader.text[reader.pos :].strip():
        raise reader.fail("extra data after the top-level object")
    if not isinstance(root, JObject):
        raise InputError(src.shown, 1, 1, "a .tf.json file must hold a JSON object")
    blocks: list[Block] = []
    for kind, _, value in root.items:
        depth = {"resource": 2, "data": 2, "variable": 1, "output": 1, "module": 1}.get(kind)
        if kind == "locals":
            for obj in _objects(value):
                blocks.append(_block("locals", (), obj, src, nested=False))
        elif depth is not None:
            blocks.extend(_labelled(kind, value, depth, (), src))
    return blocks


def _objects(value: Any) -> list[JObject]:
    if isinstance(value, JObject):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, JObject)]
    return []


def _labelled(kind: str, value: Any, depth: int, labels: tuple[str, ...],
              src: SourceFile) -> list[Block]:
    blocks: list[Block] = []
    for obj in _objects(value):
        if depth == 0:
            nested = kind in ("resource", "data")
            blocks.append(_block(kind, labels, obj, src, nested=nested))
            continue
        for key, _, item in obj.items:
            blocks.extend(_labelled(kind, item, depth - 1, (*labels, key), src))
    return blocks


def _block(kind: str, labels: tuple[str, ...], obj: JObject, src: SourceFile,
           nested: bool) -> Block:
    block = Block(kind, labels, obj.line, obj.end_line, src)
    for key, line, value in obj.items:
        if key == "//":
            continue
        if nested and key == "dynamic":
            block.blocks.extend(_dynamic(value, src))
        elif nested and key not in MAP_ATTRIBUTES and _objects(value) and (
            isinstance(value, JObject) or len(_objects(value)) == len(value)
        ):
            block.blocks.extend(_block(key, (), item, src, nested=True) for item in _objects(value))
        else:
            literal = kind == "variable" and key == "default"
            expr = Literal(plain(value)) if literal else plain(value)
            end = value.end_line if isinstance(value, JObject) else line
            block.attrs[key] = Attr(key, expr, line, end, src)
    return block


def _dynamic(value: Any, src: SourceFile) -> list[Block]:
    blocks: list[Block] = []
    for obj in _objects(value):
        for label, _, body in obj.items:
            for item in _objects(body):
                blocks.append(_block("dynamic", (label,), item, src, nested=True))
    return blocks
