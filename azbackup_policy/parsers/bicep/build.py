"""Compile a .bicep file and the local modules it uses into one ARM template.

Files are read only through ``context.loader``. Local module paths are checked with
``loader.check_allowed``; registry modules (``br:``, ``br/public:``) are read from the
local module cache (:mod:`.registry`), or recorded as not followed when they are not
there; template-spec (``ts:``) modules are recorded as not followed. A module cycle or
a chain deeper than ``options.max_module_depth`` is an :class:`InputError` at the module
declaration.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from azbackup_policy.document import NotFollowed
from azbackup_policy.errors import InputError
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers.bicep import ast
from azbackup_policy.parsers.bicep.emit import (
    DeclarationEmitter,
    Json,
    JsonPath,
    Positions,
    Shared,
    Unit,
)
from azbackup_policy.parsers.bicep.lexer import Lexer
from azbackup_policy.parsers.bicep.parser import Parser
from azbackup_policy.parsers.bicep.registry import cached_module
from azbackup_policy.parsers.bicep.template import TemplateEmitter, find_prop
from azbackup_policy.parsers.budget import Budget, BudgetExceeded

_REGISTRY = {"ts:": "template spec", "ts/": "template spec (alias)"}


@dataclass(slots=True)
class Compiled:
    template: dict[str, Json]
    positions: Positions
    files: list[str]
    not_followed: list[NotFollowed] = field(default_factory=list)
    problems: list[InputError] = field(default_factory=list)  # declarations not read
    hidden: list[InputError] = field(default_factory=list)  # resources/modules not read


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building a tree that has no cycles.

    Tokens, syntax nodes and template dicts are all young and all kept, so every
    automatic collection during a parse scans them for nothing; pausing it makes
    tokenize+parse+emit about 40 % faster. The previous state is always restored.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_unit(text: str, file: str, real_path: str, max_depth: int) -> Unit:
    """Tokenize and parse one file; raises only :class:`InputError`."""
    lexer = Lexer(text, file)
    try:
        with gc_paused():
            program = Parser(lexer.tokenize(), lexer, max_depth).program()
    except RecursionError:
        raise InputError(file, 1, 1, "input nested too deeply to parse") from None
    return Unit(program, file, real_path, lexer.lines)


_KEEP_ROOT_CHARS = 1_000_000


def shared_unit(text: str, file: str, real_path: str, context: ParseContext,
                keep: bool = True) -> Unit:
    """:func:`read_unit` once per scan for each module file (``ParseContext.memo``): a
    module used by several templates, or also scanned as its own source, is parsed once.
    A file compiled as a root (``keep`` False) is kept only when it is small (a template
    that a ``.bicepparam`` compiles again), so that a large template's syntax tree is not
    held in memory for the rest of the scan."""
    units: dict[tuple[str, str], tuple[str, Unit]] = context.memo.setdefault("bicep.units", {})
    found = units.get((file, real_path))
    if found is not None and found[0] == text:
        return found[1]
    unit = read_unit(text, file, real_path, context.options.max_nesting_depth)
    if keep or len(text) <= _KEEP_ROOT_CHARS:
        units[(file, real_path)] = (text, unit)
    return unit


class Builder:
    """Follows local modules for one compilation; keeps the chain for cycle checks."""

    def __init__(self, context: ParseContext) -> None:
        self.context = context
        self.budget = Budget(context.options.limits)  # module fan-out of this compilation
        self.shared = Shared()
        self.shared.read_file = self.read_beside

    def read_beside(self, unit: Unit, path: str, pos: int, binary: bool = False
                    ) -> str | bytes | None:
        """A file a compile-time function names, relative to ``unit`` (its bytes when
        ``binary``, else its text); None when it is not there (its value is then unknown) or
        outside the scan root (also reported)."""
        line, column = unit.lines.position(pos)
        loader = self.context.loader
        target = os.path.normpath(os.path.join(os.path.dirname(unit.real_path), path))
        try:
            loader.check_allowed(target, referrer=unit.file, line=line)
        except InputError as error:
            self.shared.problems.append(InputError(unit.file, line, column, error.message))
            return None
        if not loader.exists(target) or loader.is_dir(target):
            return None
        shown = loader.display(target)
        if shown not in self.shared.files:
            self.shared.files.append(shown)
        return loader.read_bytes(target) if binary else loader.read_text(target)

    def compile_unit(self, unit: Unit, prefix: JsonPath = (),
                     chain: tuple[str, ...] = ()) -> dict[str, Json]:
        if unit.file not in self.shared.files:
            self.shared.files.append(unit.file)
        chain = (*chain, unit.real_path)

        def follow(emitter: TemplateEmitter, decl: ast.ModuleDecl, key: str
                   ) -> dict[str, Json] | None:
            where = (*prefix, "resources", key, "properties", "template")
            return self.follow(emitter, decl, where, chain)

        emitter = TemplateEmitter(unit, self.shared, prefix, follow, self.load_import)
        try:
            with gc_paused():
                return emitter.template()
        except RecursionError:
            raise InputError(unit.file, 1, 1, "input nested too deeply to compile") from None
        finally:
            # The emitter's symbols hold its bound method (emitter -> sym -> method ->
            # emitter): a reference cycle that would keep the whole syntax tree and the
            # emitter's state alive until a cyclic collection, which a scan pauses.
            emitter.release()

    def follow(self, emitter: TemplateEmitter, decl: ast.ModuleDecl, prefix: JsonPath,
               chain: tuple[str, ...]) -> dict[str, Json] | None:
        unit, source = emitter.unit, decl.path
        line, column = unit.lines.position(decl.path_pos)
        if source.startswith(("br:", "br/")):
            found, reason, hint = cached_module(source, unit.file,
                                                os.path.dirname(unit.real_path), self.context)
            if found is not None:
                return self.json_module(found)
            self.not_followed(emitter, decl, prefix, reason, hint)
            return None
        for start, reason in _REGISTRY.items():
            if source.startswith(start):
                self.not_followed(emitter, decl, prefix, reason, "")
                return None
        loader = self.context.loader
        target = os.path.normpath(os.path.join(os.path.dirname(unit.real_path), source))
        loader.check_allowed(target, referrer=unit.file, line=line)
        if not loader.exists(target) or loader.is_dir(target):
            raise InputError(unit.file, line, column, f"module file {source} does not exist")
        real = os.path.realpath(target)
        if real in chain:
            raise InputError(unit.file, line, column, f"module cycle: {source} is already "
                             "being compiled higher up the module chain")
        if len(chain) > self.context.options.max_module_depth:
            raise InputError(unit.file, line, column, "modules nested deeper than "
                             f"{self.context.options.max_module_depth} levels")
        try:  # each module declaration compiles its module again: fan-out is charged
            self.budget.expand(1, "a module")
        except BudgetExceeded as exc:
            raise InputError(unit.file, line, column,
                             f"evaluation budget exceeded: {exc}") from None
        if source.lower().endswith(".json"):
            return self.json_module(target)
        text = loader.read_text(target)
        shown = loader.display(target)
        child = shared_unit(text, shown, real, self.context)
        return self.compile_unit(child, prefix, chain)

    def not_followed(self, emitter: TemplateEmitter, decl: ast.ModuleDecl, prefix: JsonPath,
                     reason: str, hint: str) -> None:
        """Record a module that is not read, with its address and the resources its
        ``params`` refer to (it may protect a VM it is given the id of)."""
        unit = emitter.unit
        line = unit.lines.line(decl.path_pos)
        scope = [str(prefix[n + 1]) for n, part in enumerate(prefix[:-1]) if part == "resources"]
        address = "/".join(scope)
        given = sorted({"/".join([*scope[:-1], key]) for key in given_resources(emitter, decl)})
        self.shared.not_followed.append(NotFollowed(unit.file, line, decl.path, reason, hint,
                                                    address, tuple(given)))

    def load_import(self, emitter: DeclarationEmitter, decl: ast.ImportDecl) -> Unit | None:
        """The parsed local file an ``import`` names (read through the loader)."""
        unit = emitter.unit
        line, column = unit.lines.position(decl.pos)
        target = os.path.normpath(os.path.join(os.path.dirname(unit.real_path), decl.source))
        loader = self.context.loader
        loader.check_allowed(target, referrer=unit.file, line=line)
        if not target.lower().endswith(".bicep"):
            return None
        if not loader.exists(target) or loader.is_dir(target):
            raise InputError(unit.file, line, column, f"imported file {decl.source} does not exist")
        shown = loader.display(target)
        if shown not in self.shared.files:
            self.shared.files.append(shown)
        return shared_unit(loader.read_text(target), shown, os.path.realpath(target),
                           self.context)

    def json_module(self, path: str) -> dict[str, Json]:
        """An ARM template module (local ``.json`` or from the registry cache), read once
        per scan as ARM templates are (comments allowed)."""
        from azbackup_policy.parsers.arm import load_template  # ARM imports nothing of ours

        shown = self.context.loader.display(path)
        if shown not in self.shared.files:
            self.shared.files.append(shown)
        template = load_template(path, shown, self.context).value
        if not isinstance(template, dict):
            raise InputError(shown, 1, 1, "an ARM template must be a JSON object")
        return template


def given_resources(emitter: TemplateEmitter, decl: ast.ModuleDecl) -> set[str]:
    """Symbolic keys of the resources the module's ``params`` refer to (``vm.id``)."""
    _, _, body = emitter.unpack(decl)
    params = find_prop(body, "params")
    found: set[str] = set()
    stack: list[object] = [params.value] if params is not None else []
    symbols = emitter.sym.resource_symbols
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and node.name in symbols:
            found.add(symbols[node.name])
        elif isinstance(node, list):
            stack.extend(node)
        elif hasattr(node, "__dataclass_fields__"):
            stack.extend(getattr(node, name) for name in node.__dataclass_fields__)
    return {key for key in found if key in emitter.entries and key != decl.symbol}


def compile_text(text: str, file: str, real_path: str, context: ParseContext) -> Compiled:
    """Compile Bicep source ``text`` (shown as ``file``) and its local modules."""
    unit = shared_unit(text, file, real_path, context, keep=False)
    builder = Builder(context)
    try:
        template = builder.compile_unit(unit)
    finally:
        # The reader is a method of the builder: left in place, builder -> shared -> reader ->
        # builder is a cycle that keeps the context, and every syntax tree in its memo, alive
        # while a scan has the cyclic collector paused.
        builder.shared.read_file = None
    shared = builder.shared
    return Compiled(template, shared.positions, shared.files, shared.not_followed,
                    shared.problems, shared.hidden)


def compile_file(path: str, context: ParseContext) -> Compiled:
    text = context.loader.read_text(path)
    return compile_text(text, context.loader.display(path), context.loader.real(path), context)
