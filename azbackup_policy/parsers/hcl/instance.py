"""One module instance: variables, locals, resource instances, module calls, outputs.

An :class:`Instance` is the evaluator's :class:`~.evaluate.Scope`. Everything is
evaluated lazily and once: a local, a variable, a resource instance's attributes and a
module output are computed when first read (a cycle reads as not known).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from azbackup_policy.document import NotFollowed, Problem, Resource
from azbackup_policy.errors import InputError
from azbackup_policy.model import Unknown
from azbackup_policy.parsers import ParseOptions
from azbackup_policy.parsers.budget import Budget, BudgetExceeded
from azbackup_policy.parsers.hcl import typeconv
from azbackup_policy.parsers.hcl.body import BodyReader, Evaluated, span_of
from azbackup_policy.parsers.hcl.evaluate import Evaluator, Trace
from azbackup_policy.parsers.hcl.expansion import Expansion, expand
from azbackup_policy.parsers.hcl.loader import Loader, Module
from azbackup_policy.parsers.hcl.syntax import Attr, Block, marker_comments
from azbackup_policy.parsers.hcl.values import (
    EvalError,
    InstanceRef,
    ModuleRef,
    Pending,
    to_model,
)

Thunk = Callable[[], tuple[Any, Trace]]
_CALL_ARGUMENTS = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})


@dataclass(slots=True)
class Run:
    """What one parse call shares: the loader, the options and what was not followed."""

    loader: Loader
    options: ParseOptions
    not_followed: list[NotFollowed] = field(default_factory=list)
    budget: Budget = field(default_factory=Budget)  # of the root module and all it calls
    problems: list[Problem] = field(default_factory=list)  # reported; the values are unknown


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
                 stack: tuple[str, ...], condition: Unknown | None = None) -> None:
        self.run = run
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
        trace = Trace(set(trace.refs), trace.sensitive)  # the caller's memo stays as it is
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
        folder = self._local_source(block)
        if folder is None:
            return
        real = os.path.realpath(folder)
        module = self.run.loader.module(folder)
        expansion = self.expansion(("module", name), block)
        condition = expansion.condition if expansion.condition is not None else self.condition
        for _, suffix, bindings in expansion.instances:
            inputs = {
                arg: self._input(attr, bindings)
                for arg, attr in block.attrs.items() if arg not in _CALL_ARGUMENTS
            }
            prefix = f"{self.prefix}module.{name}{suffix}."
            yield suffix, Instance(self.run, module, prefix, inputs, (*self.stack, real), condition)

    def _input(self, attr: Attr, bindings: dict[str, Any]) -> Thunk:
        memo: list[tuple[Any, Trace]] = []

        def thunk() -> tuple[Any, Trace]:
            if not memo:
                memo.append(self.evaluate(attr, bindings))
            return memo[0]
        return thunk

    def _local_source(self, block: Block) -> str | None:
        attr = block.attrs.get("source")
        where = (block.src.shown, attr.line if attr else block.line)
        source, _ = self.evaluate(attr, {}) if attr else (None, None)
        if not isinstance(source, str):
            raise InputError(*where, 1, f"module {block.labels[0]!r} needs a literal source")
        if not source.startswith(("./", "../", ".\\", "..\\")):
            entry = NotFollowed(*where, source, _remote_kind(source))
            if entry not in self.run.not_followed:  # once, however many parent instances
                self.run.not_followed.append(entry)
            return None
        folder = os.path.normpath(os.path.join(self.decl.folder, source))
        loader = self.run.loader
        loader.context.loader.check_allowed(folder, referrer=where[0], line=where[1])
        if not loader.context.loader.is_dir(folder) or not loader.has_configuration(folder):
            raise InputError(*where, 1, f"module source {source!r}: no .tf files in "
                             f"{loader.context.loader.display(folder)}")
        real = os.path.realpath(folder)
        if real in self.stack:
            raise InputError(*where, 1, f"module {block.labels[0]!r} calls itself "
                             f"(cycle through {loader.context.loader.display(folder)})")
        if len(self.stack) > self.run.options.max_module_depth:
            raise InputError(*where, 1, f"modules nested deeper than "
                             f"{self.run.options.max_module_depth} levels")
        return folder

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
    return Resource(
        type=type_,
        address=address,
        span=span_of(block),
        properties=to_model(evaluated.properties),
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
        return "git module (not followed)"
    if "://" in lowered or lowered.startswith(("s3::", "gcs::", "hg::")):
        return "remote module (not followed)"
    return "registry module (not followed)"
