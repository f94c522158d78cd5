"""Terraform addresses and references, tokenized.

``module.a["x.y"].module.b[0].data.azurerm_x.y[1].id`` is split into steps
``(name, key)`` where ``key`` is an int (count), a str (for_each) or None. Module keys
may be quoted strings holding ``.`` or ``]``, so this is a small scanner, not a split.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

Key = int | str | None
Step = tuple[str, Key]


def tokenize(text: str) -> list[Step] | None:
    """The steps of ``text``, or None when it is not a well-formed traversal."""
    if "[" not in text:  # no keys (most references): a split gives what the scanner does
        parts = text.split(".")
        if parts[-1] == "":
            parts.pop()  # a trailing dot ends the traversal, as in the scanner
        return None if "" in parts else [(part, None) for part in parts]
    return _scan(text)


def _scan(text: str) -> list[Step] | None:
    steps: list[Step] = []
    pos, size = 0, len(text)
    while pos < size:
        end = pos
        while end < size and text[end] not in ".[":
            end += 1
        name = text[pos:end]
        if not name:
            return None
        key: Key = None
        if end < size and text[end] == "[":
            parsed = _read_key(text, end + 1)
            if parsed is None:
                return None
            key, end = parsed
        steps.append((name, key))
        if end < size:
            if text[end] != ".":
                return None
            end += 1
        pos = end
    return steps


def _read_key(text: str, pos: int) -> tuple[Key, int] | None:
    """Read ``0]`` or ``"k"]`` starting at ``pos``; returns the key and the index after ``]``."""
    if pos < len(text) and text[pos] == '"':
        end = pos + 1
        while end < len(text) and text[end] != '"':
            end += 2 if text[end] == "\\" else 1
        if end + 1 >= len(text) or text[end + 1] != "]":
            return None
        try:
            return json.loads(text[pos : end + 1]), end + 2
        except ValueError:
            return None
    close = text.find("]", pos)
    if close < 0:
        return None
    inner = text[pos:close]
    if inner.isdigit():
        return int(inner), close + 1
    return inner or None, close + 1  # e.g. count.index / each.key: a dynamic key


def format_key(key: Key) -> str:
    if key is None:
        return ""
    if isinstance(key, int):
        return f"[{key}]"
    return "[" + json.dumps(key, ensure_ascii=False) + "]"


def format_module(path: tuple[Step, ...]) -> str:
    """``(("db", None), ("app", 0))`` -> ``module.db.module.app[0]``."""
    return ".".join(f"module.{name}{format_key(key)}" for name, key in path)


@dataclass(frozen=True, slots=True)
class Address:
    """A resource instance address (or a reference to a resource, with the rest kept)."""

    module: tuple[Step, ...]
    mode: str  # "managed" or "data"
    type: str
    name: str
    key: Key = None
    rest: tuple[Step, ...] = ()

    @property
    def module_prefix(self) -> str:
        return format_module(self.module)

    @property
    def resource(self) -> str:
        """``data.type.name`` / ``type.name`` without module or key."""
        base = f"{self.type}.{self.name}"
        return f"data.{base}" if self.mode == "data" else base

    def instance(self) -> str:
        """The full instance address as Terraform prints it."""
        local = self.resource + format_key(self.key)
        prefix = self.module_prefix
        return f"{prefix}.{local}" if prefix else local


def split_modules(steps: list[Step]) -> tuple[tuple[Step, ...], list[Step]]:
    """Leading ``module.<name>[key]`` pairs, and what follows them."""
    module: list[Step] = []
    index = 0
    while index + 1 < len(steps) and steps[index] == ("module", None):
        module.append(steps[index + 1])
        index += 2
    return tuple(module), steps[index:]


def parse_address(text: str) -> Address | None:
    """A resource address (instance or reference), or None for anything else."""
    steps = tokenize(text)
    if steps is None:
        return None
    module, rest = split_modules(steps)
    mode = "managed"
    if rest and rest[0] == ("data", None):
        mode, rest = "data", rest[1:]
    if len(rest) < 2 or rest[0][1] is not None or rest[0][0] in _NOT_RESOURCES:
        return None
    return Address(module, mode, rest[0][0], rest[1][0], rest[1][1], tuple(rest[2:]))


_NOT_RESOURCES = frozenset(
    {"var", "local", "each", "count", "path", "terraform", "self", "module"}
)
