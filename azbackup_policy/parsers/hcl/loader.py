"""Reading module folders: every ``.tf`` and ``.tf.json`` file of a folder is one module.

A folder is read and parsed once per scan (cached by real path in the scan's
``ParseContext.memo``), however many module calls and root modules use it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from azbackup_policy.errors import InputError
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers.hcl import jsonsyntax, template_text
from azbackup_policy.parsers.hcl.syntax import (
    Attr,
    Block,
    Literal,
    SourceFile,
    Sub,
    parse_expression,
    parse_file,
    parse_tree,
    split_template,
)

_IGNORED_BLOCKS = frozenset(
    {"terraform", "provider", "moved", "import", "removed", "check"}
)


@dataclass(slots=True, eq=False)
class Module:
    """The declarations of one module folder."""

    folder: str  # as given (joined from the caller's folder)
    real: str
    files: list[SourceFile] = field(default_factory=list)
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, Attr] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)
    resources: dict[tuple[str, str, str], Block] = field(default_factory=dict)
    calls: dict[str, Block] = field(default_factory=dict)
    # Files (or blocks) that could not be read: the rest of the module still is.
    problems: list[InputError] = field(default_factory=list)

    def add(self, block: Block, override: bool = False) -> None:
        kind, labels = block.type, block.labels
        if kind == "locals":
            for name, attr in block.attrs.items():
                if name in self.locals and not override:
                    _duplicate(f"local value {name!r}", attr.src.shown, attr.line,
                               self.locals[name].src.shown, self.locals[name].line)
            self.locals.update(block.attrs)
            return
        table: dict[Any, Block] | None = {
            "variable": self.variables, "output": self.outputs, "module": self.calls,
        }.get(kind) if labels else None
        key: Any = labels[0] if labels else None
        if kind in ("resource", "data") and len(labels) >= 2:
            table = self.resources
            key = ("managed" if kind == "resource" else "data", labels[0], labels[1])
        if table is None:
            return
        if override and key in table:
            _merge(table[key], block)
            return
        if key in table:
            first = table[key]
            _duplicate(f"{kind} " + " ".join(f'"{label}"' for label in labels), block.src.shown,
                       block.line, first.src.shown, first.line)
        table[key] = block


def _add(module: Module, block: Block, override: bool) -> None:
    try:
        module.add(block, override=override)
    except InputError as error:  # a duplicate: the first declaration stands
        module.problems.append(error)


def _duplicate(what: str, shown: str, line: int, first_shown: str, first_line: int) -> None:
    message = f"duplicate {what}; first declared at {first_shown}:{first_line}"
    raise InputError(shown, line, 1, message)


def _merge(original: Block, override: Block) -> None:
    """Terraform's override files: attributes replace, nested block types replace wholesale."""
    original.attrs.update(override.attrs)
    replaced = {child.type for child in override.blocks}
    original.blocks = [b for b in original.blocks if b.type not in replaced] + override.blocks


def _is_override(path: str) -> bool:
    name = os.path.basename(path).lower().removesuffix(".json").removesuffix(".tf")
    return name == "override" or name.endswith("_override")


class Loader:
    """Reads files through the scan's FileLoader and remembers every file it read."""

    def __init__(self, context: ParseContext) -> None:
        self.context = context
        self.files: list[str] = []
        # By (real path, absolute path): a folder reached through another symlink is read
        # again, so that its files keep the names they are reached by.
        self._modules: dict[tuple[str, str], Module] = context.memo.setdefault(
            "hcl.modules", {})
        self._templates: dict[str, list[Any] | None] = {}

    def read(self, path: str) -> SourceFile:
        loader = self.context.loader
        shown = loader.display(path)
        text = loader.read_text(path)
        if shown not in self.files:
            self.files.append(shown)
        return SourceFile(path, shown, text)

    def forget(self, shown: str) -> None:
        """A file that could not be parsed was not scanned."""
        if shown in self.files:
            self.files.remove(shown)

    def module(self, folder: str) -> Module:
        real = self.context.loader.real(folder)
        key = (real, self.context.loader.absolute(folder))
        cached = self._modules.get(key)
        if cached is None:
            cached = self._load(folder, real)
            self._modules[key] = cached
        else:  # parsed for another root (or call): its files are still this one's files
            self.files.extend(src.shown for src in cached.files if src.shown not in self.files)
        return cached

    def _load(self, folder: str, real: str) -> Module:
        module = Module(folder, real)
        paths = [
            path for path in self.context.loader.list_dir(folder)
            if path.lower().endswith((".tf", ".tf.json")) and not self.context.loader.is_dir(path)
        ]
        overrides = [path for path in paths if _is_override(path)]
        for path in [p for p in paths if not _is_override(p)] + overrides:
            try:
                src = self.read(path)
                blocks = jsonsyntax.parse_file(src) if src.path.lower().endswith(".json") else (
                    parse_file(src))
            except InputError as error:  # one bad file: the module's other files still count
                module.problems.append(error)
                self.forget(self.context.loader.display(path))
                continue
            module.files.append(src)
            for block in blocks:
                if block.type not in _IGNORED_BLOCKS:
                    _add(module, block, path in overrides)
        return module

    def has_configuration(self, folder: str) -> bool:
        return any(
            p.lower().endswith((".tf", ".tf.json")) for p in self.context.loader.list_dir(folder)
        )

    def template(self, text: str, shown: str, line: int) -> list[Any] | None:
        """A template string split into literal parts and parsed expressions (cached)."""
        if text in self._templates:
            return self._templates[text]
        pieces = split_template(text)
        parts: list[Any] | None = None
        if pieces is not None:
            parts = [
                piece if isinstance(piece, str) else parse_expression(piece[0], shown, line)
                for piece in pieces
            ]
        self._templates[text] = parts
        return parts

    def template_items(self, text: str, shown: str) -> list[Any]:
        """A template with directives parsed into items (cached); EvalError when invalid."""
        key = "\x00items" + text
        if key not in self._templates:
            items = template_text.items_of(text, lambda expr: parse_expression(expr, shown, 1))
            self._templates[key] = items
        return self._templates[key] or []

    def tfvars(self, path: str) -> list[Attr]:
        """The assignments of a ``.tfvars`` or ``.tfvars.json`` file."""
        src = self.read(path)
        if path.lower().endswith(".json"):
            return _json_assignments(src)
        tree = parse_tree(src.text, src.shown)
        attrs: list[Attr] = []
        for child in tree.children[0].children:
            if getattr(child, "data", None) == "attribute":
                meta = child.meta
                name = str(child.children[0].children[0])
                attrs.append(Attr(name, child.children[2], meta.line, meta.end_line, src))
            elif getattr(child, "data", None) == "block":
                raise InputError(src.shown, child.meta.line, child.meta.column,
                                 "a variables file holds only assignments, not blocks")
        return attrs


def _json_assignments(src: SourceFile) -> list[Attr]:
    try:
        data = json.loads(src.text)
    except ValueError as exc:
        line, column = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        raise InputError(src.shown, line, column, f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(src.shown, 1, 1, "a variables file must hold a JSON object")
    # Values in a .tfvars.json file are literal: wrap strings so they are not templates.
    return [Attr(name, Literal(value), 1, 1, src) for name, value in data.items()]


__all__ = ["Literal", "Loader", "Module", "Sub"]
