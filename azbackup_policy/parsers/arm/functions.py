"""ARM template functions: logic, strings, arrays and objects.

Each function takes the call :class:`~.evaluator.Context` and its evaluated arguments.
The table says how arguments arrive: ``strict`` (any unknown argument makes the result
unknown), ``aware`` (the function handles unknown arguments itself) or ``lazy`` (the
function evaluates its own arguments, like ``if``). Deployment-time functions
(``reference``, ``list*``, ``newGuid``, ``utcNow``, ``uniqueString``...) are absent
from the table on purpose: the evaluator makes them unknown.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from azbackup_policy.model import Unknown, is_known
from azbackup_policy.parsers.arm.evaluator import Context, ExprError, Function
from azbackup_policy.parsers.arm.functions_collections import COLLECTION_FUNCTIONS, as_string, need
from azbackup_policy.parsers.arm.functions_scope import SCOPE_FUNCTIONS
from azbackup_policy.parsers.arm.values import get_ci, make_string
from azbackup_policy.parsers.budget import Budget


def _parameters(ctx: Context, args: list[Any]) -> Any:
    need(args, 1, 1)
    return ctx.evaluator.parameter(str(args[0]))


def _variables(ctx: Context, args: list[Any]) -> Any:
    need(args, 1, 1)
    return ctx.evaluator.variable(str(args[0]))


def _if(ctx: Context, _: list[Any]) -> Any:
    if len(ctx.node.args) != 3:
        raise ExprError("if() takes 3 arguments")
    condition = ctx.arg(0)
    if isinstance(condition, Unknown):
        return ctx.unknown()
    return ctx.arg(1) if condition else ctx.arg(2)


def _equals(ctx: Context, args: list[Any]) -> Any:
    need(args, 2, 2)
    if not is_known(args[0]) or not is_known(args[1]):
        return ctx.unknown()
    left, right = args
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    return bool(left == right)


def _not(ctx: Context, args: list[Any]) -> Any:
    need(args, 1, 1)
    return not _bool_of(args[0])


def _and(ctx: Context, _: list[Any]) -> Any:
    return _logic(ctx, stop=False)


def _or(ctx: Context, _: list[Any]) -> Any:
    return _logic(ctx, stop=True)


def _logic(ctx: Context, stop: bool) -> Any:
    """``and``/``or``: short-circuit left to right, as ARM does; unknown stays unknown
    unless a later argument decides the result."""
    if not ctx.node.args:
        raise ExprError("wrong number of arguments (0)")
    unknown = False
    for index in range(len(ctx.node.args)):
        value = ctx.arg(index)
        if isinstance(value, Unknown):
            unknown = True
        elif _bool_of(value) is stop:
            return stop
    return ctx.unknown() if unknown else not stop


def _bool_of(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    if isinstance(value, int):
        return value != 0
    raise ExprError(f"expected a bool, got {value!r}")


def _coalesce(ctx: Context, args: list[Any]) -> Any:
    for value in args:
        if isinstance(value, Unknown):
            return ctx.unknown()
        if value is not None:
            return value
    return None


def _concat(ctx: Context, args: list[Any]) -> Any:
    if args and all(isinstance(a, list) for a in args):
        return [item for a in args for item in a]
    if any(isinstance(a, list) for a in args):
        if any(isinstance(a, Unknown) for a in args):
            return ctx.unknown()
        raise ExprError("concat() mixes arrays and strings")
    if any(isinstance(a, (dict, list)) for a in args):
        return ctx.unknown()
    return make_string([a if isinstance(a, Unknown) else as_string(a) for a in args], ctx.text)


_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)(?:,-?\d+)?(?::([^}]*))?\}")


def _format(ctx: Context, args: list[Any]) -> Any:
    need(args, 1)
    template = args[0]
    if not isinstance(template, str):
        return ctx.unknown()
    parts: list[Any] = []
    pos = 0
    for match in _FORMAT_ITEM.finditer(template):
        parts.append(template[pos:match.start()])
        pos = match.end()
        if match.group(1) is None:
            parts.append(match.group()[0])
            continue
        index = int(match.group(1)) + 1
        if index >= len(args):
            raise ExprError(f"format() has no argument {index - 1}")
        parts.append(_format_one(args[index], match.group(2), ctx.evaluator.scope.budget))
    parts.append(template[pos:])
    return make_string(parts, ctx.text)


def _format_one(value: Any, spec: str | None, budget: Budget) -> Any:
    if isinstance(value, Unknown) or not spec:
        return value if isinstance(value, Unknown) else as_string(value)
    if spec.upper().startswith("D") and isinstance(value, int) and spec[1:].isdigit():
        width = int(spec[1:]) if len(spec) < 12 else 10**12
        budget.allow_string(width, "format()")
        return str(value).zfill(width)
    return as_string(value)


def _create_object(ctx: Context, args: list[Any]) -> Any:
    if len(args) % 2:
        raise ExprError("createObject() needs key/value pairs")
    if any(isinstance(k, Unknown) for k in args[0::2]):
        return ctx.unknown()
    return {str(k): v for k, v in zip(args[0::2], args[1::2], strict=True)}


def _create_array(ctx: Context, args: list[Any]) -> Any:
    return list(args)


def _try_get(ctx: Context, args: list[Any]) -> Any:
    need(args, 2)
    current = args[0]
    for key in args[1:]:
        if isinstance(current, Unknown) or isinstance(key, Unknown):
            return ctx.unknown()
        if isinstance(current, dict) and isinstance(key, str):
            current = get_ci(current, key)
        elif isinstance(current, list) and isinstance(key, int) and 0 <= key < len(current):
            current = current[key]
        else:
            return None
    return current


def _to_lower(ctx: Context, args: list[Any]) -> Any:
    need(args, 1, 1)
    return as_string(args[0]).lower()


def _to_upper(ctx: Context, args: list[Any]) -> Any:
    need(args, 1, 1)
    return as_string(args[0]).upper()


def _to_string(ctx: Context, args: list[Any]) -> Any:
    need(args, 1, 1)
    return as_string(args[0]) if is_known(args[0]) else ctx.unknown()


def _to_int(ctx: Context, args: list[Any]) -> Any:
    need(args, 1, 1)
    try:
        return int(args[0])
    except (TypeError, ValueError):
        raise ExprError(f"int() cannot convert {args[0]!r}") from None


def _to_bool(ctx: Context, args: list[Any]) -> Any:
    need(args, 1, 1)
    return _bool_of(args[0])


def _replace(ctx: Context, args: list[Any]) -> Any:
    need(args, 3, 3)
    text, old, new = (as_string(a) for a in args)
    if len(new) > len(old):  # the result grows by (new - old) at each match
        times = text.count(old) if old else len(text) + 1
        ctx.evaluator.scope.budget.allow_string(len(text) + times * (len(new) - len(old)),
                                                "replace()")
    return text.replace(old, new)


def _substring(ctx: Context, args: list[Any]) -> Any:
    need(args, 2, 3)
    text, start = as_string(args[0]), args[1]
    if not isinstance(start, int):
        raise ExprError("substring() needs a whole number start")
    length = args[2] if len(args) == 3 else len(text) - start
    if not isinstance(length, int) or start < 0 or length < 0 or start + length > len(text):
        raise ExprError("substring() index out of range")
    return text[start:start + length]


def _compare(op: str) -> Function:
    def compare(ctx: Context, args: list[Any]) -> Any:
        need(args, 2, 2)
        left, right = args
        try:
            return {"gt": left > right, "lt": left < right,
                    "ge": left >= right, "le": left <= right}[op]
        except TypeError:
            raise ExprError(f"cannot compare {left!r} and {right!r}") from None
    return compare


def _json(ctx: Context, args: list[Any]) -> Any:
    need(args, 1, 1)
    try:
        return json.loads(as_string(args[0]))
    except ValueError:
        raise ExprError("json() got text that is not JSON") from None


def _arith(op: str) -> Function:
    def arith(ctx: Context, args: list[Any]) -> Any:
        need(args, 2, 2)
        left, right = args
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in args):
            raise ExprError(f"{op}() needs whole numbers")
        if op in {"div", "mod"} and right == 0:
            raise ExprError("division by zero")
        operations: dict[str, Callable[[], int]] = {
            "add": lambda: left + right, "sub": lambda: left - right,
            "mul": lambda: left * right, "div": lambda: int(left / right),
            "mod": lambda: left % right}
        return operations[op]()
    return arith


def _literal(value: Any) -> Function:
    def literal(ctx: Context, args: list[Any]) -> Any:
        return value
    return literal


def _base64(ctx: Context, args: list[Any]) -> Any:
    """``base64(text)``: the base64 of its UTF-8 bytes (Bicep custom data is often
    ``base64(loadTextContent('cloud-init.yaml'))``)."""
    need(args, 1, 1)
    data = as_string(args[0]).encode("utf-8")
    ctx.evaluator.scope.budget.allow_string(len(data) * 4 // 3 + 4, "base64()")
    return base64.b64encode(data).decode("ascii")


def _starts_with(ctx: Context, args: list[Any]) -> Any:
    need(args, 2, 2)
    return as_string(args[0]).lower().startswith(as_string(args[1]).lower())


def _ends_with(ctx: Context, args: list[Any]) -> Any:
    need(args, 2, 2)
    return as_string(args[0]).lower().endswith(as_string(args[1]).lower())


BASE_FUNCTIONS: Mapping[str, tuple[Function, str]] = {
    "parameters": (_parameters, "strict"),
    "variables": (_variables, "strict"),
    "if": (_if, "lazy"),
    "equals": (_equals, "aware"),
    "not": (_not, "strict"),
    "and": (_and, "lazy"),
    "or": (_or, "lazy"),
    "coalesce": (_coalesce, "aware"),
    "concat": (_concat, "aware"),
    "format": (_format, "aware"),
    "createobject": (_create_object, "aware"),
    "createarray": (_create_array, "aware"),
    "tryget": (_try_get, "aware"),
    "tolower": (_to_lower, "strict"),
    "toupper": (_to_upper, "strict"),
    "string": (_to_string, "strict"),
    "int": (_to_int, "strict"),
    "bool": (_to_bool, "strict"),
    "replace": (_replace, "strict"),
    "substring": (_substring, "strict"),
    "greater": (_compare("gt"), "strict"),
    "less": (_compare("lt"), "strict"),
    "greaterorequals": (_compare("ge"), "strict"),
    "lessorequals": (_compare("le"), "strict"),
    "json": (_json, "strict"),
    "add": (_arith("add"), "strict"),
    "sub": (_arith("sub"), "strict"),
    "mul": (_arith("mul"), "strict"),
    "div": (_arith("div"), "strict"),
    "mod": (_arith("mod"), "strict"),
    "true": (_literal(True), "strict"),
    "false": (_literal(False), "strict"),
    "null": (_literal(None), "strict"),
    "startswith": (_starts_with, "strict"),
    "endswith": (_ends_with, "strict"),
    "base64": (_base64, "strict"),
}


def all_functions() -> dict[str, tuple[Function, str]]:
    """The whole function table (a fresh dict, so nothing global is mutable)."""
    return {**BASE_FUNCTIONS, **COLLECTION_FUNCTIONS, **SCOPE_FUNCTIONS}
