"""References: ``var.x``, ``local.y``, ``azurerm_x.vm[count.index].id``, ``module.m.out``...

A traversal is flattened into its root name and its steps (``.attr``, ``[index]``,
splats). The root decides what is read (a binding such as ``each``, a variable, a local,
a resource, a data source, a module); the steps are then applied to the value. Reading an
attribute of a resource instance records a link to that instance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lark import Tree

from azbackup_policy.parsers.hcl import operators
from azbackup_policy.parsers.hcl.values import (
    EvalError,
    InstanceRef,
    ModuleRef,
    Pending,
    as_string,
    has_pending,
    refs_in,
)

if TYPE_CHECKING:
    from azbackup_policy.parsers.hcl.evaluate import Evaluator

_TRAVERSALS = frozenset(
    {"get_attr_expr_term", "index_expr_term", "attr_splat_expr_term", "full_splat_expr_term"}
)
_SKIP = "new_line_or_comment"


def expressions(node: Tree[Any]) -> list[Any]:
    return [c for c in node.children if isinstance(c, Tree) and c.data != _SKIP]


class Traversal:
    def __init__(self, evaluator: Evaluator) -> None:
        self.ev = evaluator

    def evaluate(self, node: Tree[Any]) -> Any:
        steps: list[Tree[Any]] = []
        current: Any = node
        while isinstance(current, Tree) and current.data in _TRAVERSALS:
            steps.append(current.children[1])
            current = current.children[0]
            if current.data == "expr_term" and len(current.children) == 1:
                current = current.children[0]
        steps.reverse()
        start = node.meta.start_pos
        if isinstance(current, Tree) and current.data == "identifier":
            return self.reference(str(current.children[0]), steps, start)
        return self.walk(self.ev.eval(current), steps, start)

    def reference(self, root: str, steps: list[Tree[Any]], start: int) -> Any:
        if root in self.ev.bindings:
            return self.walk(self.ev.bindings[root], steps, start)
        names = _leading_names(steps)
        scope = self.ev.scope
        if root in ("var", "local") and names:
            text = self.prefix_text(start, steps[0])
            read = scope.variable if root == "var" else scope.local
            return self.walk(read(names[0], text, self.ev.trace), steps[1:], start)
        if root == "path" and len(steps) == 1 and names:
            found = scope.path_value(names[0])
            if found is not None:
                return found
        if root == "module" and names:
            text = self.prefix_text(start, steps[0])
            return self.walk(scope.module(names[0], text), steps[1:], start)
        if root == "data" and len(names) >= 2 and scope.has_resource("data", names[0], names[1]):
            text = self.prefix_text(start, steps[1])
            return self.walk(scope.resource("data", names[0], names[1], text), steps[2:], start)
        if names and scope.has_resource("managed", root, names[0]):
            text = self.prefix_text(start, steps[0])
            return self.walk(scope.resource("managed", root, names[0], text), steps[1:], start)
        return Pending(self.prefix_text(start, steps[-1]) if steps else root)

    def prefix_text(self, start: int, step: Tree[Any]) -> str:
        return self.ev.text[start : step.meta.end_pos].strip()

    def walk(self, value: Any, steps: list[Tree[Any]], start: int) -> Any:
        for step in steps:
            text = self.prefix_text(start, step)
            if step.data in ("attr_splat", "full_splat"):
                return self.splat(value, expressions(step), start)
            value = self.step(value, step, text)
        return value

    def splat(self, value: Any, steps: list[Tree[Any]], start: int) -> Any:
        if isinstance(value, Pending):
            return value
        items = value if isinstance(value, list) else ([] if value is None else [value])
        return [self.walk(item, steps, start) for item in items]

    def step(self, value: Any, step: Tree[Any], text: str) -> Any:
        if step.data == "get_attr":
            return self.attribute(value, str(expressions(step)[0].children[0]), text)
        if step.data == "short_index":
            digits = str(step.children[1])
            if len(digits) > 4000:  # Python refuses int() of more than 4300 digits
                raise EvalError(f"index with {len(digits)} digits")
            key: Any = int(digits)
        else:
            key = self.ev.eval(expressions(step)[0])
        return self.index(value, key, text)

    def attribute(self, value: Any, name: str, text: str) -> Any:
        if isinstance(value, InstanceRef):
            attributes = value.attributes()
            if name in attributes and not has_pending(attributes[name]):
                self.ev.trace.refs.add(value.address)
                return attributes[name]
            return Pending(text, frozenset({value.address}))
        if isinstance(value, ModuleRef):
            return value.output(name, text, self.ev.trace)
        if isinstance(value, Pending):
            return Pending(text, value.refs)
        if isinstance(value, dict):
            if name not in value:
                raise EvalError(f"no attribute {name!r}")
            return value[name]
        raise EvalError(f"cannot read attribute {name!r} of a {type(value).__name__}")

    def index(self, value: Any, key: Any, text: str) -> Any:
        if isinstance(value, Pending) or has_pending(key):
            found: set[str] = set()
            refs_in(value if isinstance(value, Pending) else key, found)
            if not isinstance(value, Pending):
                refs_in(value, found)
            return Pending(text, frozenset(found))
        if isinstance(value, list):
            number = operators.to_index(key)
            if not 0 <= number < len(value):
                raise EvalError(f"index {number} out of range")
            return value[number]
        if isinstance(value, dict):
            name = as_string(key)
            if name not in value:
                raise EvalError(f"no key {name!r}")
            return value[name]
        if isinstance(value, InstanceRef):
            return self.attribute(value, as_string(key), text)
        raise EvalError("cannot index this value")


def _leading_names(steps: list[Tree[Any]]) -> list[str]:
    names: list[str] = []
    for step in steps:
        if step.data != "get_attr":
            break
        names.append(str(expressions(step)[0].children[0]))
    return names
