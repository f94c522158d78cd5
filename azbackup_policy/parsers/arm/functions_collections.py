"""ARM template functions over arrays, objects and strings-as-sequences.

``union``, ``shallowMerge``, ``length``, ``contains``, ``items``, ``range``, ``split``...
Same calling convention as :mod:`.functions`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from azbackup_policy.model import Unknown, is_known
from azbackup_policy.parsers.arm.evaluator import Context, ExprError, Function
from azbackup_policy.parsers.arm.values import get_ci
from azbackup_policy.parsers.budget import distinct_items, value_key


def need(args: list[Any], low: int, high: int | None = None) -> None:
    if len(args) < low or (high is not None and len(args) > high):
        raise ExprError(f"wrong number of arguments ({len(args)})")


def as_string(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    if value is None:
        return ""
    return str(value)


def _union(ctx: Context, args: list[Any]) -> Any:
    need(args, 1)
    if any(isinstance(a, Unknown) for a in args):
        return ctx.unknown()
    if all(isinstance(a, dict) for a in args):
        merged: dict[str, Any] = {}
        for item in args:
            for key, value in item.items():
                old = merged.get(key)
                deep = isinstance(old, dict) and isinstance(value, dict)
                merged[key] = _union(ctx, [old, value]) if deep else value
        return merged
    if all(isinstance(a, list) for a in args):
        return distinct_items(x for a in args for x in a)
    raise ExprError("union() needs all objects or all arrays")


def _shallow_merge(ctx: Context, args: list[Any]) -> Any:
    need(args, 1, 1)
    merged: dict[str, Any] = {}
    for item in args[0] if isinstance(args[0], list) else []:
        if isinstance(item, Unknown):
            return ctx.unknown()
        if isinstance(item, dict):
            merged.update(item)
    return merged if isinstance(args[0], list) else ctx.unknown()


def _length(ctx: Context, args: list[Any]) -> Any:
    need(args, 1, 1)
    if isinstance(args[0], (str, list, dict)):
        return len(args[0])
    raise ExprError(f"length() of {args[0]!r}")


def _empty(ctx: Context, args: list[Any]) -> Any:
    need(args, 1, 1)
    return args[0] is None or (isinstance(args[0], (str, list, dict)) and len(args[0]) == 0)


def _contains(ctx: Context, args: list[Any]) -> Any:
    need(args, 2, 2)
    container, item = args
    if isinstance(container, dict):
        return isinstance(item, str) and get_ci(container, item, _NONE) is not _NONE
    if isinstance(container, list):
        if not all(is_known(x) for x in container):
            return ctx.unknown()
        return item in container
    if isinstance(container, str):
        return as_string(item) in container
    raise ExprError(f"contains() on {container!r}")


_NONE = object()


def _split(ctx: Context, args: list[Any]) -> Any:
    need(args, 2, 2)
    text, delimiters = args
    if not isinstance(text, str):
        raise ExprError("split() needs a string")
    pieces = delimiters if isinstance(delimiters, list) else [delimiters]
    pattern = "|".join(re.escape(as_string(d)) for d in pieces if as_string(d))
    return re.split(pattern, text) if pattern else [text]


def _first(ctx: Context, args: list[Any]) -> Any:
    need(args, 1, 1)
    value = args[0]
    if isinstance(value, (list, str)):
        return value[0] if value else (None if isinstance(value, list) else "")
    raise ExprError("first() needs an array or a string")


def _last(ctx: Context, args: list[Any]) -> Any:
    need(args, 1, 1)
    value = args[0]
    if isinstance(value, (list, str)):
        return value[-1] if value else (None if isinstance(value, list) else "")
    raise ExprError("last() needs an array or a string")


def _items(ctx: Context, args: list[Any]) -> Any:
    need(args, 1, 1)
    if not isinstance(args[0], dict):
        raise ExprError("items() needs an object")
    return [{"key": k, "value": args[0][k]} for k in sorted(args[0], key=str.lower)]


def _range(ctx: Context, args: list[Any]) -> Any:
    need(args, 2, 2)
    start, count = args
    if not isinstance(start, int) or not isinstance(count, int) or count < 0:
        raise ExprError("range() needs whole numbers")
    if count > ctx.evaluator.scope.max_loop_count:
        raise ExprError(f"range() count {count} is over the limit")
    return list(range(start, start + count))


def _take_skip(take: bool) -> Function:
    def cut(ctx: Context, args: list[Any]) -> Any:
        need(args, 2, 2)
        value, count = args
        if not isinstance(value, (list, str)) or not isinstance(count, int):
            raise ExprError("take()/skip() need an array or string and a number")
        count = max(0, count)
        return value[:count] if take else value[count:]
    return cut


def _object_keys(ctx: Context, args: list[Any]) -> Any:
    need(args, 1, 1)
    return list(args[0]) if isinstance(args[0], dict) else ctx.unknown()


def _array(ctx: Context, args: list[Any]) -> Any:
    need(args, 1, 1)
    return args[0] if isinstance(args[0], list) else [args[0]]


def _join(ctx: Context, args: list[Any]) -> Any:
    need(args, 2, 2)
    if not isinstance(args[0], list) or not is_known(args[0]):
        return ctx.unknown()
    separator = as_string(args[1])
    ctx.evaluator.scope.budget.allow_string(len(separator) * len(args[0]), "join()")
    return separator.join(as_string(x) for x in args[0])


def _index_of(last: bool) -> Function:
    def index_of(ctx: Context, args: list[Any]) -> Any:
        need(args, 2, 2)
        haystack, needle = args
        if isinstance(haystack, str):
            text, item = haystack.lower(), as_string(needle).lower()
            return text.rfind(item) if last else text.find(item)
        if isinstance(haystack, list):
            found = [i for i, x in enumerate(haystack) if x == needle]
            return (found[-1] if last else found[0]) if found else -1
        raise ExprError("indexOf() needs a string or an array")
    return index_of


def _trim(ctx: Context, args: list[Any]) -> Any:
    need(args, 1, 1)
    return as_string(args[0]).strip()


def _pad_left(ctx: Context, args: list[Any]) -> Any:
    need(args, 2, 3)
    fill = as_string(args[2])[:1] if len(args) == 3 else " "
    ctx.evaluator.scope.budget.allow_string(int(args[1]), "padLeft()")
    return as_string(args[0]).rjust(int(args[1]), fill or " ")


def _min_max(pick: Any) -> Function:
    def min_max(ctx: Context, args: list[Any]) -> Any:
        values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
        if not values or not is_known(values):
            return ctx.unknown()
        return pick(values)
    return min_max


def _intersection(ctx: Context, args: list[Any]) -> Any:
    need(args, 2)
    if all(isinstance(a, dict) for a in args):
        return {k: v for k, v in args[0].items() if all(o.get(k) == v for o in args[1:])}
    if all(isinstance(a, list) for a in args):
        others = [{value_key(x) for x in o} for o in args[1:]]
        return [x for x in args[0] if all(value_key(x) in o for o in others)]
    raise ExprError("intersection() needs all objects or all arrays")


COLLECTION_FUNCTIONS: Mapping[str, tuple[Function, str]] = {
    "array": (_array, "strict"),
    "join": (_join, "strict"),
    "indexof": (_index_of(False), "strict"),
    "lastindexof": (_index_of(True), "strict"),
    "trim": (_trim, "strict"),
    "padleft": (_pad_left, "strict"),
    "min": (_min_max(min), "strict"),
    "max": (_min_max(max), "strict"),
    "intersection": (_intersection, "strict"),
    "union": (_union, "aware"),
    "shallowmerge": (_shallow_merge, "aware"),
    "length": (_length, "strict"),
    "empty": (_empty, "strict"),
    "contains": (_contains, "strict"),
    "split": (_split, "strict"),
    "first": (_first, "strict"),
    "last": (_last, "strict"),
    "items": (_items, "strict"),
    "range": (_range, "strict"),
    "take": (_take_skip(True), "strict"),
    "skip": (_take_skip(False), "strict"),
    "objectkeys": (_object_keys, "strict"),
}
