"""One module instance: variables, locals, resource instances, module calls, outputs.

An :class:`Instance` is the evaluator's :class:`~.evaluate.Scope`. Everything is
evaluated lazily and once: a local, a variable, a resource instance's attributes and a
module output are computed when first read (a cycle reads as not known).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from azbackup_policy.document import NotFollowed, Problem, Resource, Unparsed
from azbackup_policy.errors import InputError
from azbackup_policy.model import Unknown
from azbackup_policy.parsers import ParseOptions
from azbackup_policy.parsers.budget import Budget, BudgetExceeded
from azbackup_policy.parsers.hcl import cloudinit, typeconv
from azbackup_policy.parsers.hcl.body import BodyReader, Evaluated, place, span_of
from azbackup_policy.parsers.hcl.evaluate import Evaluator, Trace
from azbackup_policy.parsers.hcl.expansion import Expansion, expand
from azbackup_policy.parsers.hcl.files import FileReader
from azbackup_policy.parsers.hcl.loader import Loader, Module
from azbackup_policy.parsers.hcl.manifest import Record, same_source, version_mismatch
from azbackup_policy.parsers.hcl.syntax import Attr, Block, marker_comments
from azbackup_policy.parsers.hcl.values import (
    EvalError,
    InstanceRef,
    ModuleRef,
    Pending,
    refs_in,
    to_model,
)

Thunk = Callable[[], tuple[Any, Trace]]
Why = tuple[str, str]  # why a module is not followed, and the hint
INIT_HINT = ("run `terraform init` (`-backend=false` is enough) before the scan, or scan the "
             "plan JSON")
REINIT_HINT = "run `terraform init` again: .terraform/modules/modules.json is out of date"
OUTSIDE_HINT = ("scan from the repository that holds it, or pass --allow-outside-root to "
                "follow it")
_CALL_ARGUMENTS = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})


@dataclass(slots=True)
class Run:
    """What one parse call shares: the loader, the options and what was not followed."""

    loader: Loader
    options: ParseOptions
    manifest: dict[str, Record] = field(default_factory=dict)
    not_followed: list[NotFollowed] = field(default_factory=list)
    budget: Budget = field(default_factory=Budget)  # of the root module and all it calls
    problems: list[Problem] = field(default_factory=list)  # reported; the values are unknown
    unparsed: list[Unparsed] = field(default_factory=list)
    root: str = "."  # the root module's folder: Terraform's working directory
    files: FileReader = field(init=False)

    def __post_init__(self) -> None:
        self.files = FileReader(self.loader.context.loader, self.root)

    def unreadable(self, module: Module, scope: str) -> None:
        """Note the files of ``module`` that could not be parsed (once each)."""
        for error in module.problems:
            entry = Unparsed(error.file, error.line, error.column, error.message, scope)
            if all((u.file, u.line, u.message) != (entry.file, entry.line, entry.message)
                   for u in self.unparsed):
                self.unparsed.append(entry)


class _Memo:
    """Values computed once, with a guard against reference cycles."""

    def __init__(self) -> None:
        self.done: dict[Any, tuple[Any, Trace]] = {}
        self.busy: set[Any] = set()

    def get(self, key: Any, compute: Thunk, text: str) -> tuple[Any, Trace]:
        if key in self.done:
            return self.done[key]
        if key in self.busy:
            return Pending(text), Trace()
        self.busy.add(key)
        try:
            result = compute()
        finally:
            self.busy.discard(key)
        self.done[key] = result
        return result


class Instance:
    def __init__(self, run: Run, module: Module, prefix: str, inputs: dict[str, Thunk],
                 stack: tuple[str, ...], condition: Unknown | None = None,
                 key: str = "") -> None:
        self.run = run
        self.key = key
        run.unreadable(module, prefix)
        self.decl = module
        self.prefix = prefix
        self.inputs = inputs
        self.stack = stack
        self.condition = condition
        self.shown = run.loader.context.loader.display(module.folder)
        self._values = _Memo()
        self._expansions: dict[Any, Expansion] = {}
        self._evaluated: dict[str, Evaluated | None] = {}
        self._collections: dict[tuple[str, str, str], Any] = {}
        self._children: dict[str, list[tuple[str, Instance]]] = {}

    # -- Scope ----------------------------------------------------------------------------
    @property
    def budget(self) -> Budget:
        return self.run.budget

    def report(self, shown: str, line: int, message: str) -> None:
        """An input problem stepped over: the value it concerns is unknown."""
        problem = Problem(shown or self.shown, line, 1, message)
        if problem not in self.run.problems:
            self.run.problems.append(problem)

    def over_budget(self, shown: str, line: int, exc: BudgetExceeded) -> None:
        if self.run.budget.first_report():
            self.report(shown, line, f"evaluation budget exceeded: {exc}")

    def variable(self, name: str, text: str, trace: Trace) -> Any:
        value, found = self._values.get(("var", name), lambda: self._variable(name, text), text)
        trace.merge(found)
        return value

    def _variable(self, name: str, text: str) -> tuple[Any, Trace]:
        block = self.decl.variables.get(name)
        if name in self.inputs:
            value, trace = self.inputs[name]()
        elif block is not None and "default" in block.attrs:
            value, trace = self.evaluate(block.attrs["default"], {})
        else:
            value, trace = Pending(text), Trace()
        # The caller's memo stays as it is.
        trace = Trace(set(trace.refs), trace.sensitive, list(trace.notes))
        if block is None:
            return value, trace
        if "sensitive" in block.attrs:
            flag, _ = self.evaluate(block.attrs["sensitive"], {})
            trace.sensitive = trace.sensitive or flag is True
        if "type" in block.attrs:
            type_attr = block.attrs["type"]
            evaluate = Evaluator(self, {}, Trace()).with_text(type_attr.src.text).eval
            value = typeconv.convert(value, type_attr.expr, evaluate, text)
        return value, trace

    def local(self, name: str, text: str, trace: Trace) -> Any:
        attr = self.decl.locals.get(name)
        if attr is None:
            raise EvalError(f"no local value {name!r}")
        value, found = self._values.get(("local", name), lambda: self.evaluate(attr, {}), text)
        trace.merge(found)
        return value

    def has_resource(self, mode: str, type_: str, name: str) -> bool:
        return (mode, type_, name) in self.decl.resources

    def resource(self, mode: str, type_: str, name: str, text: str) -> Any:
        key = (mode, type_, name)
        if key not in self._collections:
            self._collections[key] = self._collection(key)
        found = self._collections[key]
        return Pending(text, found.refs) if isinstance(found, Pending) else found

    def _collection(self, key: tuple[str, str, str]) -> Any:
        """The resource as a value: an instance, a list or a map of them."""
        block = self.decl.resources[key]
        expansion = self.expansion(key, block)
        base = self.address_of(*key)
        if expansion.condition is not None:
            return Pending(base, frozenset({base + "[*]"}))
        refs = {
            key: InstanceRef(base + suffix, base + suffix,
                             self._attributes_of(block, base + suffix, bindings))
            for key, suffix, bindings in expansion.instances
        }
        return expansion.shape(refs)

    def module(self, name: str, text: str) -> Any:
        block = self.decl.calls.get(name)
        if block is None:
            raise EvalError(f"no module call {name!r}")
        children = self.children(name, block)
        expansion = self.expansion(("module", name), block)
        if expansion.condition is not None or not children:
            return Pending(text)
        refs = {
            key: ModuleRef(child.prefix.rstrip("."), child.output)
            for (key, _, _), (_, child) in zip(expansion.instances, children, strict=True)
        }
        return expansion.shape(refs)

    def template(self, text: str, shown: str, line: int) -> list[Any] | None:
        return self.run.loader.template(text, shown or self.shown, line)

    def template_items(self, text: str, shown: str) -> list[Any]:
        return self.run.loader.template_items(text, shown or self.shown)

    def path_value(self, name: str) -> str | None:
        """``path.module`` (from the root module's folder), ``path.root``, ``path.cwd``."""
        if name == "module":
            return os.path.relpath(self.decl.folder, self.run.root).replace(os.sep, "/")
        if name == "root":
            return "."
        return self.stack[0] if name == "cwd" else None

    def read_file(self, path: str) -> bytes:
        return self.run.files.read(path)

    def file_exists(self, path: str) -> bool:
        return self.run.files.exists(path)

    # -- evaluation helpers -------------------------------------------------------------------
    def evaluate(self, attr: Attr, bindings: dict[str, Any]) -> tuple[Any, Trace]:
        trace = Trace()
        value = Evaluator(self, bindings, trace).value(attr.expr, attr.src.text, attr.line,
                                                       attr.src.shown)
        return value, trace

    def expansion(self, key: Any, block: Block) -> Expansion:
        if key not in self._expansions:
            self._expansions[key] = expand(self, block, self.run.options.max_loop_count)
        return self._expansions[key]

    def address_of(self, mode: str, type_: str, name: str) -> str:
        middle = f"{type_}.{name}" if mode == "managed" else f"data.{type_}.{name}"
        return self.prefix + middle

    def _attributes_of(self, block: Block, address: str,
                       bindings: dict[str, Any]) -> Callable[[], dict[str, Any]]:
        def attributes() -> dict[str, Any]:
            evaluated = self.evaluated(block, address, bindings)
            return evaluated.properties if evaluated is not None else {}
        return attributes

    def evaluated(self, block: Block, address: str, bindings: dict[str, Any]) -> Evaluated | None:
        if address in self._evaluated:
            return self._evaluated[address]
        self._evaluated[address] = None  # a cycle reads as "not known"
        out = Evaluated()
        reader = BodyReader(Evaluator(self, bindings, Trace()), out,
                            self.run.options.max_loop_count)
        out.properties = reader.body(block, "", top=True)
        if block.type == "data" and block.labels[0] in cloudinit.DATA_SOURCES:
            out.properties["rendered"] = cloudinit.rendered(out.properties, address)
            out.sensitive.add("rendered")
        self._evaluated[address] = out
        return out

    def output(self, name: str, text: str, trace: Trace) -> Any:
        block = self.decl.outputs.get(name)
        if block is None or "value" not in block.attrs:
            raise EvalError(f"module has no output {name!r}")
        value, found = self._values.get(("output", name), lambda: self._output(block), text)
        trace.merge(found)
        return value

    def _output(self, block: Block) -> tuple[Any, Trace]:
        value, trace = self.evaluate(block.attrs["value"], {})
        if "sensitive" in block.attrs:
            flag, _ = self.evaluate(block.attrs["sensitive"], {})
            trace.sensitive = trace.sensitive or flag is True
        return value, trace

    # -- module calls ---------------------------------------------------------------------------
    def children(self, name: str, block: Block) -> list[tuple[str, Instance]]:
        if name not in self._children:
            self._children[name] = list(self._make_children(name, block))
        return self._children[name]

    def _make_children(self, name: str, block: Block) -> Iterator[tuple[str, Instance]]:
        folder = self._module_folder(name, block)
        if folder is None:
            return
        real = self.run.loader.context.loader.real(folder)
        module = self.run.loader.module(folder)
        expansion = self.expansion(("module", name), block)
        condition = expansion.condition if expansion.condition is not None else self.condition
        for _, suffix, bindings in expansion.instances:
            inputs = {
                arg: self._input(attr, bindings)
                for arg, attr in block.attrs.items() if arg not in _CALL_ARGUMENTS
            }
            prefix = f"{self.prefix}module.{name}{suffix}."
            yield suffix, Instance(self.run, module, prefix, inputs, (*self.stack, real),
                                   condition, self.key_of(name))

    def _input(self, attr: Attr, bindings: dict[str, Any]) -> Thunk:
        memo: list[tuple[Any, Trace]] = []

        def thunk() -> tuple[Any, Trace]:
            if not memo:
                memo.append(self.evaluate(attr, bindings))
            return memo[0]
        return thunk

    def _module_folder(self, name: str, block: Block) -> str | None:
        """The folder of a module call, or None when it is not followed (and listed why)."""
        attr = block.attrs.get("source")
        where = (block.src.shown, attr.line if attr else block.line)
        source, _ = self.evaluate(attr, {}) if attr else (None, None)
        if not isinstance(source, str):
            raise InputError(*where, 1, f"module {name!r} needs a literal source")
        if "\x00" in source:
            raise InputError(*where, 1, "a module source with a NUL character")
        if source.startswith(("./", "../", ".\\", "..\\")):
            folder, why = os.path.normpath(os.path.join(self.decl.folder, source)), None
        else:
            folder, why = self._installed(name, block, source)
        why = why or self._unreadable(folder)
        if why is not None:
            self._not_followed(name, block, NotFollowed(*where, source, *why))
            return None
        real = self.run.loader.context.loader.real(folder)
        if real in self.stack:
            raise InputError(*where, 1, f"module {name!r} calls itself "
                             f"(cycle through {self.run.loader.context.loader.display(folder)})")
        if len(self.stack) > self.run.options.max_module_depth:
            raise InputError(*where, 1, f"modules nested deeper than "
                             f"{self.run.options.max_module_depth} levels")
        return folder

    def _installed(self, name: str, block: Block, source: str) -> tuple[str, Why | None]:
        """A registry or git module's folder from ``.terraform/modules/modules.json``."""
        record = self.run.manifest.get(self.key_of(name))
        if record is None:
            return "", (f"{_remote_kind(source)}, not installed", INIT_HINT)
        version, _ = self.evaluate(block.attrs["version"], {}) if "version" in block.attrs \
            else (None, None)
        if not same_source(source, record.source) or version_mismatch(version, record.version):
            installed = f"{record.source} {record.version}".strip()
            return "", (f"{_remote_kind(source)}: the installed module is {installed}, not "
                        "this call's", REINIT_HINT)
        return record.folder, None

    def _unreadable(self, folder: str) -> Why | None:
        files = self.run.loader.context.loader
        shown = files.display(folder)
        if not files.inside_roots(folder):
            return f"{shown} is outside the scan root (the repository)", OUTSIDE_HINT
        if not files.is_dir(folder) or not self.run.loader.has_configuration(folder):
            return f"no .tf files in {shown}", "check the module's source path"
        return None

    def _not_followed(self, name: str, block: Block, entry: NotFollowed) -> None:
        """List the call once, however many parent instances, with what it is given."""
        # The call's address without instance keys: one entry for every instance.
        address = "module." + self.key_of(name).replace(".", ".module.")
        given = self._given(name, block)
        for index, seen in enumerate(self.run.not_followed):
            if (seen.file, seen.line, seen.address) == (entry.file, entry.line, address):
                merged = tuple(sorted({*seen.given, *given}))
                self.run.not_followed[index] = replace(seen, given=merged)
                return
        self.run.not_followed.append(replace(entry, address=address, given=given))

    def _given(self, name: str, block: Block) -> tuple[str, ...]:
        """The resources a module call's inputs refer to (it may protect any of them)."""
        found: set[str] = set()
        for _, _, bindings in self.expansion(("module", name), block).instances:
            for argument, attr in block.attrs.items():
                if argument not in _CALL_ARGUMENTS:
                    value, trace = self.evaluate(attr, bindings)
                    found |= trace.refs
                    refs_in(value, found)
        return tuple(sorted(found))

    def key_of(self, name: str) -> str:
        """The call's key in the module manifest (``web.nic``: no instance keys)."""
        return f"{self.key}.{name}" if self.key else name

    # -- output -----------------------------------------------------------------------------------
    def emit(self) -> Iterator[Resource]:
        for (mode, type_, name), block in self.decl.resources.items():
            expansion = self.expansion((mode, type_, name), block)
            condition = expansion.condition if expansion.condition is not None else self.condition
            base = self.address_of(mode, type_, name)
            comments = marker_comments(block.src, block.line, block.end_line)
            for _, suffix, bindings in expansion.instances:
                evaluated = self.evaluated(block, base + suffix, bindings) or Evaluated()
                yield _resource(type_, mode, base + suffix, block, evaluated, condition, comments)
        for name, block in self.decl.calls.items():
            for _, child in self.children(name, block):
                yield from child.emit()


def _resource(type_: str, mode: str, address: str, block: Block, evaluated: Evaluated,
              condition: Unknown | None, comments: tuple[str, ...]) -> Resource:
    properties = to_model(evaluated.properties)
    for path, secret in evaluated.secrets.items():
        place(properties, path, to_model(secret))
    return Resource(
        type=type_,
        address=address,
        span=span_of(block),
        properties=properties,
        references={path: tuple(sorted(refs)) for path, refs in evaluated.references.items()},
        property_spans=dict(evaluated.spans),
        mode=mode,
        action="deploy",
        condition=condition,
        sensitive_paths=frozenset(evaluated.sensitive),
        comments=comments,
    )


def _remote_kind(source: str) -> str:
    lowered = source.lower()
    if lowered.startswith(("git::", "git@")) or "github.com" in lowered or ".git" in lowered:
        return "git module"
    if "://" in lowered or lowered.startswith(("s3::", "gcs::", "hg::")):
        return "remote module"
    return "registry module"
