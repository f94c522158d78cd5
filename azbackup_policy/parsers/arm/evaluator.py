"""Evaluate ARM expressions and JSON values in a template scope (pure; no ``eval``).

A :class:`Scope` holds one template's parameters and variables plus what is known of
the deployment (subscription, resource group). :class:`Frame` holds the copy indexes
in force. Values that cannot be known statically become
:class:`~azbackup_policy.model.Unknown` carrying the canonical expression text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from azbackup_policy.arm_values import Reference
from azbackup_policy.errors import InputError
from azbackup_policy.model import SourceSpan, Unknown
from azbackup_policy.parsers.arm.expressions import (
    Call,
    ExpressionSyntaxError,
    Literal,
    Member,
    Node,
    ParseCache,
    is_expression,
    render,
    unescape,
)
from azbackup_policy.parsers.arm.values import get_ci
from azbackup_policy.parsers.budget import Budget, BudgetExceeded

JsonPath = tuple[str | int, ...]
SECURE = Unknown("(secure parameter)")


class ExprError(Exception):
    """An expression that is wrong for ARM too (unknown parameter, bad arguments)."""


# Properties whose text may be a secret: error messages never quote their expressions.
_SECRET_KEYS = frozenset({"adminpassword", "customdata", "protectedsettings", "defaultvalue",
                          "value", "reference"})


def _quotable(raw: str, path: JsonPath) -> str:
    """``raw`` quoted for a message, unless it sits under a property that may hold a secret."""
    if any(isinstance(key, str) and key.lower() in _SECRET_KEYS for key in path):
        return "(expression not shown: it may hold a secret)"
    return repr(raw) if len(raw) <= 200 else repr(raw[:200]) + "..."


ARM_COPY_LIMIT = 800  # Azure Resource Manager rejects a copy count over 800


@dataclass(frozen=True, slots=True)
class Frame:
    """Copy indexes in force: loop name (lower) -> index; ``current`` is the innermost."""

    indexes: tuple[tuple[str, int | Unknown], ...] = ()
    current: str | None = None

    def enter(self, name: str, index: int | Unknown) -> Frame:
        return Frame((*self.indexes, (name.lower(), index)), name.lower())

    def enter_property(self, name: str, index: int) -> Frame:
        """A property ``copy``: reachable only by name, ``copyIndex()`` without one still
        means the resource's loop (ARM's rule, which ``bicep build`` relies on for nested
        ``for`` loops); with no resource loop it means this one."""
        return Frame((*self.indexes, (name.lower(), index)), self.current or name.lower())


@dataclass(slots=True)
class Scope:
    """One template's names and the deployment it runs in."""

    file: str
    positions: Mapping[JsonPath, SourceSpan]
    parameters: dict[str, Any] = field(default_factory=dict)  # lower name -> value
    # lower name -> (raw defaultValue, its path); evaluated on first use
    defaults: dict[str, tuple[Any, JsonPath]] = field(default_factory=dict)
    # lower name -> (raw value, its path, the key to pick for a variable ``copy``)
    variables: dict[str, tuple[Any, JsonPath, str | None]] = field(default_factory=dict)
    subscription_id: Any = field(default_factory=lambda: Unknown("subscription().subscriptionId"))
    resource_group: Any = field(default_factory=lambda: Unknown("resourceGroup().name"))
    deployment_name: Any = field(default_factory=lambda: Unknown("deployment().name"))
    max_loop_count: int = 10_000
    resolved: dict[str, Any] = field(default_factory=dict)
    in_progress: set[str] = field(default_factory=set)
    # User-defined functions (``functions``): "namespace.name" (lower) -> the names of
    # their parameters, their output value and its path.
    user_functions: dict[str, tuple[tuple[str, ...], Any, JsonPath]] = field(
        default_factory=dict)
    # deployment().properties.templateLink.uri while a linked template is looked for
    # beside this one (see deployments.py); unknown otherwise.
    template_link: str | None = None
    # Parameters given as locations of the root template by the template that links this
    # one (``_artifactsLocation`` passed down); used only while links are resolved.
    convention_params: dict[str, Any] = field(default_factory=dict)
    # Expressions that failed: reported, and their values are Unknown (shared by the
    # scopes of one document, so nested deployments report into the same list).
    problems: list[InputError] = field(default_factory=list)
    # The evaluation budget of the whole document (shared by nested deployments).
    budget: Budget = field(default_factory=Budget)

    def span(self, path: JsonPath) -> SourceSpan:
        probe = path
        while probe and probe not in self.positions:
            probe = probe[:-1]
        return self.positions.get(probe, SourceSpan(self.file, 1, 1))

    def error(self, path: JsonPath, message: str) -> InputError:
        span = self.span(path)
        return InputError(span.file, span.line, span.column, message)


Function = Callable[["Context", list[Any]], Any]


@dataclass(slots=True)
class Context:
    """What a template function sees: its evaluator, the copy frame and the call."""

    evaluator: Evaluator
    frame: Frame
    node: Call
    path: JsonPath

    @property
    def text(self) -> str:
        return render(self.node)

    def unknown(self) -> Unknown:
        return Unknown(self.text)

    def arg(self, index: int) -> Any:
        return self.evaluator.node(self.node.args[index], self.frame, self.path)


class Evaluator:
    """Evaluates expressions and values of one scope."""

    def __init__(self, scope: Scope, functions: Mapping[str, tuple[Function, str]],
                 trees: ParseCache | None = None) -> None:
        self.scope = scope
        self.functions = functions
        self.trees = ParseCache() if trees is None else trees  # shared with nested scopes

    def value(self, raw: Any, path: JsonPath, frame: Frame = Frame()) -> Any:
        """Evaluate a JSON value: expressions in strings, property ``copy`` in objects."""
        kind = type(raw)  # exact types first: the JSON a template is made of
        if kind is str:
            return self.string(raw, path, frame) if raw.startswith("[") else raw
        if kind is dict:
            return self.obj(raw, path, frame)
        if kind is list:
            return self.array(raw, path, frame)
        if kind in _PLAIN:
            return raw
        if isinstance(raw, str):
            return self.string(raw, path, frame)
        if isinstance(raw, list):
            return self.array(raw, path, frame)
        if isinstance(raw, dict):
            return self.obj(raw, path, frame)
        return raw

    def array(self, raw: list[Any], path: JsonPath, frame: Frame) -> Any:
        result = []
        for i, item in enumerate(raw):
            kind = type(item)
            if (kind is str and not item.startswith("[")) or kind in _PLAIN:
                result.append(item)
            else:
                result.append(self.value(item, (*path, i), frame))
        return self.checked(result, path, "an array")

    def checked(self, value: Any, path: JsonPath, what: str) -> Any:
        """``value`` when within the budget, else Unknown (and a reported problem): an
        array or object can repeat a large shared value many times without a call."""
        try:
            return self.scope.budget.check(value, what)
        except BudgetExceeded as exc:
            return self.over_budget(path, exc, f"[{what}]")

    def string(self, raw: str, path: JsonPath, frame: Frame) -> Any:
        if not is_expression(raw):
            return unescape(raw)
        try:
            tree = self.parsed(raw)
        except ExpressionSyntaxError as exc:
            shown = _quotable(raw, path)
            return self.failed(path, f"bad template expression {shown}: {exc}", raw)
        try:
            return self.node(tree, frame, path)
        except ExprError as exc:
            return self.failed(path, f"{exc} (in {_quotable(raw, path)})", raw)
        except RecursionError:
            raise self.scope.error(path, "expression nested too deeply") from None
        except BudgetExceeded as exc:
            return self.over_budget(path, exc, raw)

    def over_budget(self, path: JsonPath, exc: BudgetExceeded, raw: str) -> Unknown:
        """A value over the budget is Unknown; reported (once when the budget is spent)."""
        if self.scope.budget.first_report():
            self.scope.problems.append(self.scope.error(path, f"evaluation budget exceeded: {exc}"))
        return Unknown(raw[1:-1][:200] if len(raw) > 2 else raw)

    def parsed(self, raw: str) -> Node:
        """The tree of the expression string ``raw`` (``[...]``)."""
        return self.trees.tree(raw)

    def failed(self, path: JsonPath, message: str, raw: str) -> Unknown:
        """Record an expression that cannot be evaluated; its value is Unknown."""
        self.scope.problems.append(self.scope.error(path, message))
        secret = any(isinstance(key, str) and key.lower() in _SECRET_KEYS for key in path)
        return Unknown("(invalid expression)" if secret else raw[1:-1][:200])

    def obj(self, raw: dict[str, Any], path: JsonPath, frame: Frame) -> Any:
        result: dict[str, Any] = {}
        for key, item in raw.items():
            kind = type(item)
            if (kind is str and not item.startswith("[")) or kind in _PLAIN:
                result[key] = item  # a plain value: nothing to evaluate
            elif kind is list and len(key) == 4 and key.lower() == "copy":
                result.update(self.property_copy(item, (*path, key), frame))
            elif kind is dict:
                result[key] = self.obj(item, (*path, key), frame)
            elif isinstance(item, list) and key.lower() == "copy":
                result.update(self.property_copy(item, (*path, key), frame))
            else:
                result[key] = self.value(item, (*path, key), frame)
        return self.checked(result, path, "an object")

    def property_copy(self, specs: list[Any], path: JsonPath, frame: Frame) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for i, spec in enumerate(specs):
            if not isinstance(spec, dict):
                raise self.scope.error((*path, i), "a property copy must be an object")
            name = self.value(get_ci(spec, "name"), (*path, i, "name"), frame)
            if not isinstance(name, str):
                raise self.scope.error((*path, i, "name"), "copy name must be a known string")
            count = self.copy_count(get_ci(spec, "count"), (*path, i, "count"), frame)
            input_path = (*path, i, "input")
            if isinstance(count, Unknown):
                result[name] = count
                continue
            result[name] = [
                self.value(get_ci(spec, "input"), input_path, frame.enter_property(name, n))
                for n in range(count)
            ]
        return result

    def copy_count(self, raw: Any, path: JsonPath, frame: Frame) -> int | Unknown:
        count = self.value(raw, path, frame)
        if isinstance(count, Unknown):
            return count
        if isinstance(count, float) and count.is_integer():
            count = int(count)
        if isinstance(count, str) and count.strip().isdigit():
            count = int(count)
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            shown = repr(count)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise self.scope.error(path, f"copy count must be a whole number, not {shown}")
        if count > ARM_COPY_LIMIT:
            raise self.scope.error(path, f"copy count {count} is over ARM's limit of "
                                   f"{ARM_COPY_LIMIT} copies")
        if count > self.scope.max_loop_count:
            raise self.scope.error(
                path, f"copy count {count} is over the limit of {self.scope.max_loop_count}"
            )
        try:
            self.scope.budget.expand(count, "copy")
        except BudgetExceeded as exc:
            return self.over_budget(path, exc, "[copy count]")
        return count

    def node(self, node: Node, frame: Frame, path: JsonPath) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Call):
            return self.call(node, frame, path)
        target = self.node(node.target, frame, path)
        if isinstance(node, Member):
            return self.member(target, node.name, node.safe, node)
        key = self.node(node.index, frame, path)
        return self.index(target, key, node.safe, node)

    def call(self, node: Call, frame: Frame, path: JsonPath) -> Any:
        name = node.name.lower()
        entry = self.functions.get(name)
        if entry is None and name in self.scope.user_functions:
            return self.user_function(name, [self.node(a, frame, path) for a in node.args])
        if name == "reference" and entry is None and node.args:
            return self.reference(node, frame, path)
        if entry is None:  # reference(), list*() or unsupported functions
            return Unknown(render(node))
        function, mode = entry
        budget = self.scope.budget
        budget.step()
        context = Context(self, frame, node, path)
        if mode == "lazy":
            return function(context, [])
        args = [self.node(a, frame, path) for a in node.args]
        if mode == "strict" and any(isinstance(a, Unknown) for a in args):
            return Unknown(render(node))
        what = f"{node.name}()"
        budget.allow_total(args, what)
        try:
            return budget.check(function(context, args), what)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError,
                OverflowError) as exc:  # arguments of a type the function cannot take
            raise ExprError(f"bad arguments to {node.name}(): {exc}") from None

    def reference(self, node: Call, frame: Frame, path: JsonPath) -> Reference:
        """``reference(x, ...)``: unknown until deployed, but it keeps whose (``x``)."""
        try:
            target = self.node(node.args[0], frame, path)
        except ExprError:
            target = None
        return Reference(render(node), target=target)

    def member(self, target: Any, name: str, safe: bool, node: Node) -> Any:
        if isinstance(target, Reference):
            return Reference(render(node), target=target.target)
        if isinstance(target, Unknown):
            return Unknown(render(node))
        if target is None and safe:
            return None
        if not isinstance(target, dict):
            raise ExprError(f"cannot read property {name!r} of {_kind(target)}")
        found = get_ci(target, name, _MISSING)
        if found is _MISSING:
            if safe:
                return None
            raise ExprError(f"the object has no property {name!r}")
        return found

    def index(self, target: Any, key: Any, safe: bool, node: Node) -> Any:
        if isinstance(target, Unknown) or isinstance(key, Unknown):
            return Unknown(render(node))
        if target is None and safe:
            return None
        if isinstance(target, dict) and isinstance(key, str):
            return self.member(target, key, safe, node)
        if isinstance(target, list) and isinstance(key, int) and not isinstance(key, bool):
            if 0 <= key < len(target):
                return target[key]
            if safe:
                return None
            raise ExprError(f"index {key} is out of range (length {len(target)})")
        raise ExprError(f"cannot index {_kind(target)} with {key!r}")

    def parameter(self, name: str) -> Any:
        key = name.lower()
        if key in self.scope.parameters:
            return self.scope.parameters[key]
        if key not in self.scope.defaults:
            raise ExprError(f"the template has no parameter {name!r}")
        marker = f"parameter {key}"
        if marker in self.scope.in_progress:
            raise ExprError(f"the default of parameter {name!r} refers to itself")
        self.scope.in_progress.add(marker)
        try:
            raw, path = self.scope.defaults[key]
            value = self.value(raw, path)
        finally:
            self.scope.in_progress.discard(marker)
        self.scope.parameters[key] = value
        return value

    def variable(self, name: str) -> Any:
        key = name.lower()
        if key in self.scope.resolved:
            return self.scope.resolved[key]
        if key not in self.scope.variables:
            raise ExprError(f"the template has no variable {name!r}")
        if key in self.scope.in_progress:
            raise ExprError(f"variable {name!r} refers to itself")
        self.scope.in_progress.add(key)
        try:
            raw, path, pick = self.scope.variables[key]
            value = self.value(raw, path)
            if pick is not None:
                value = value[pick]
        finally:
            self.scope.in_progress.discard(key)
        self.scope.resolved[key] = value
        return value

    def user_function(self, name: str, args: list[Any]) -> Any:
        """A function of the template's ``functions``: its output with its own parameters
        bound (ARM gives a function nothing else: no template parameters, no variables)."""
        names, raw, path = self.scope.user_functions[name]
        if len(args) != len(names):
            raise ExprError(f"{name}() takes {len(names)} arguments, got {len(args)}")
        marker = f"function {name}"
        if marker in self.scope.in_progress:
            raise ExprError(f"function {name}() calls itself")
        inner = copy_scope(self.scope, parameters=dict(zip(names, args, strict=True)),
                           defaults={}, variables={},
                           in_progress={*self.scope.in_progress, marker})
        return self.with_scope(inner).value(raw, path)

    def with_scope(self, scope: Scope) -> Evaluator:
        return Evaluator(scope, self.functions, self.trees)


_MISSING = object()
# Values that evaluate to themselves (exact types; subclasses take the general path).
_PLAIN = frozenset({int, float, bool, type(None)})


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {str: "a string", int: "a number", float: "a number", bool: "a bool",
            list: "an array", dict: "an object"}.get(type(value), type(value).__name__)


def copy_scope(scope: Scope, **changes: Any) -> Scope:
    """A new scope sharing nothing mutable with ``scope``."""
    return replace(scope, **{"resolved": {}, "in_progress": set(), **changes})
