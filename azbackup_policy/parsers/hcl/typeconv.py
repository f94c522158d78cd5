"""Variable values converted to their declared ``type``, as Terraform does.

Primitives convert (``"2"`` for a ``number`` becomes 2), and ``optional(T, default)``
attributes of an ``object({...})`` type get their default when the value leaves them out
or sets them to null (Terraform >= 1.3). Collections convert element by element. Anything
this does not understand is left as it is; a value that cannot be converted becomes
unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lark import Tree

from azbackup_policy.parsers.hcl.values import (
    EvalError,
    Pending,
    as_bool,
    as_number,
    as_string,
    has_pending,
)

Evaluate = Callable[[Any], Any]  # evaluates a default value expression
_PRIMITIVES: dict[str, Callable[[Any], Any]] = {
    "string": as_string, "number": as_number, "bool": as_bool,
}


def convert(value: Any, type_node: Any, evaluate: Evaluate, text: str) -> Any:
    try:
        return _convert(value, _unwrap(type_node), evaluate)
    except EvalError:
        return Pending(text)


def _unwrap(node: Any) -> Any:
    while isinstance(node, Tree) and node.data == "expr_term" and len(_children(node)) == 1:
        node = _children(node)[0]
    return node


def _children(node: Tree[Any]) -> list[Any]:
    return [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def _convert(value: Any, node: Any, evaluate: Evaluate) -> Any:
    if value is None or (has_pending(value) and not isinstance(value, (list, dict))):
        return value
    if not isinstance(node, Tree):
        return value
    if node.data == "identifier":
        converter = _PRIMITIVES.get(str(node.children[0]))
        if converter is None or isinstance(value, (list, dict)):
            return value
        return converter(value)
    if node.data == "function_call":
        return _call(value, node, evaluate)
    return value


def _call(value: Any, node: Tree[Any], evaluate: Evaluate) -> Any:
    name = str(node.children[0].children[0])
    arguments = next((c for c in _children(node) if c.data == "arguments"), None)
    args = [_unwrap(a) for a in _children(arguments)] if arguments is not None else []
    if not args:
        return value
    if name == "optional":
        return _convert(value, args[0], evaluate)
    if name == "object" and isinstance(value, dict) and args[0].data == "object":
        return _object(value, args[0], evaluate)
    if name == "map" and isinstance(value, dict):
        return {key: _convert(item, args[0], evaluate) for key, item in value.items()}
    if name in ("list", "set") and isinstance(value, list):
        return type(value)(_convert(item, args[0], evaluate) for item in value)
    return value


def _object(value: dict[str, Any], schema: Tree[Any], evaluate: Evaluate) -> dict[str, Any]:
    result = dict(value)
    for elem in _children(schema):
        key_node, type_node = _children(elem)
        key = _key(key_node)
        type_node = _unwrap(type_node)
        if key is None:
            continue
        if result.get(key) is not None:
            result[key] = _convert(result[key], type_node, evaluate)
        elif _is_call(type_node, "optional"):  # left out or null: the default (or null)
            result[key] = _optional_default(type_node, evaluate)
    return result


def _optional_default(node: Tree[Any], evaluate: Evaluate) -> Any:
    arguments = next((c for c in _children(node) if c.data == "arguments"), None)
    args = _children(arguments) if arguments is not None else []
    if len(args) < 2:
        return None
    return _convert(evaluate(args[1]), _unwrap(args[0]), evaluate)


def _is_call(node: Any, name: str) -> bool:
    return (isinstance(node, Tree) and node.data == "function_call"
            and str(node.children[0].children[0]) == name)


def _key(node: Tree[Any]) -> str | None:
    inner = _unwrap(node.children[0])
    if isinstance(inner, Tree) and inner.data in ("identifier", "keyword"):
        return str(inner.children[0])
    if isinstance(inner, Tree) and inner.data == "string":
        parts = [p.children[0] for p in inner.children if isinstance(p, Tree)]
        return "".join(str(p) for p in parts)
    return None
