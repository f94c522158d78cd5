"""Terraform built-in functions that can be evaluated statically.

Each function takes evaluated arguments. It raises :class:`NotKnown` when an argument it
needs is not known (the call then becomes Pending) and :class:`~.values.EvalError` when
Terraform would reject the call. ``try`` and ``can`` are handled by the evaluator.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
from collections.abc import Callable
from typing import Any

from azbackup_policy.parsers.budget import Budget, distinct_items, regex_sub
from azbackup_policy.parsers.hcl.values import (
    EvalError,
    TfSet,
    as_bool,
    as_number,
    as_string,
    has_pending,
    normal_number,
)


class NotKnown(Exception):
    """An argument the function needs is not known statically."""


def need(value: Any) -> Any:
    if has_pending(value):
        raise NotKnown
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        need(value)
        raise EvalError("a list or set is required")
    return value


def _map(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        need(value)
        raise EvalError("a map or object is required")
    return value


def _text(value: Any) -> str:
    return as_string(need(value))


def coalesce(*args: Any) -> Any:
    for arg in args:
        need(arg)
        if arg is not None and arg != "":
            return arg
    raise EvalError("coalesce(): no non-null, non-empty argument")


def lookup(mapping: Any, key: Any, *default: Any) -> Any:
    table, name = _map(mapping), _text(key)
    if name in table:
        return table[name]
    if default:
        return default[0]
    raise EvalError(f"lookup(): no key {name!r}")


def merge(*maps: Any) -> Any:
    result: dict[str, Any] = {}
    for item in maps:
        if item is not None:
            result.update(_map(item))
    return result


def jsonencode(value: Any) -> str:
    text = json.dumps(need(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, code)
    return text


def jsondecode(value: Any) -> Any:
    try:
        return _numbers(json.loads(_text(value)))
    except ValueError as exc:
        raise EvalError(f"jsondecode(): {exc}") from None


def _numbers(value: Any) -> Any:
    if isinstance(value, float):
        return normal_number(value)
    if isinstance(value, list):
        return [_numbers(item) for item in value]
    if isinstance(value, dict):
        return {key: _numbers(item) for key, item in value.items()}
    return value


def tostring(value: Any) -> Any:
    return None if value is None else _text(value)


def tonumber(value: Any) -> Any:
    return None if value is None else as_number(need(value))


def tobool(value: Any) -> Any:
    return None if value is None else as_bool(need(value))


def toset(value: Any) -> TfSet:
    unique = distinct_items(need(_list(value)))
    if all(isinstance(item, str) for item in unique):
        unique.sort()
    return TfSet(unique)


def length(value: Any) -> int:
    if isinstance(value, (list, dict)):
        return len(value)
    return len(_text(value))


def concat(*lists: Any) -> list[Any]:
    return [item for value in lists for item in _list(value)]


def element(items: Any, index: Any) -> Any:
    values = _list(items)
    if not values:
        raise EvalError("element(): empty list")
    return values[int(as_number(need(index))) % len(values)]


def keys(mapping: Any) -> list[str]:
    return sorted(_map(mapping))


def values(mapping: Any) -> list[Any]:
    table = _map(mapping)
    return [table[key] for key in sorted(table)]


def contains(items: Any, value: Any) -> bool:
    return need(value) in need(_list(items))


def replace(text: Any, search: Any, replacement: Any, *, budget: Budget | None = None) -> str:
    budget = budget or Budget()  # called directly (not by the evaluator): the defaults
    subject, pattern, new = _text(text), _text(search), _text(replacement)
    if len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/"):
        template = re.sub(r"\$\{?(\d+)\}?", r"\\g<\1>", new)
        try:
            return regex_sub(pattern[1:-1], template, subject, budget)
        except ValueError as exc:
            raise EvalError(f"replace(): {exc}") from None
    if len(new) > len(pattern):
        times = subject.count(pattern) if pattern else len(subject) + 1
        budget.allow_string(len(subject) + times * (len(new) - len(pattern)), "replace()")
    return subject.replace(pattern, new)


_VERB = re.compile(r"%(?:%|([-+ 0#]*)(\d+)?(?:\.(\d+))?([a-zA-Z]))")


def format_(spec: Any, *args: Any, budget: Budget | None = None) -> str:
    budget = budget or Budget()  # called directly (not by the evaluator): the defaults
    remaining = list(need(list(args)))
    template = _text(spec)

    def verb(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        if not remaining:
            raise EvalError("format(): too few arguments")
        for number in (match.group(2), match.group(3)):  # width and precision
            budget.allow_string(int(number) if number and len(number) < 12 else 10**12
                                if number else 0, "format()")
        return _format_one(remaining.pop(0), match)

    return _VERB.sub(verb, template)


def _format_one(value: Any, match: re.Match[str]) -> str:
    flags, width, precision, code = match.groups()
    if code in ("s", "v"):
        text = jsonencode(value) if isinstance(value, (list, dict)) else as_string(value)
    elif code == "d":
        text = str(int(as_number(value)))
    elif code == "f":
        text = f"{float(as_number(value)):.{int(precision or 6)}f}"
    elif code == "t":
        text = "true" if as_bool(value) else "false"
    elif code == "q":
        text = json.dumps(as_string(value), ensure_ascii=False)
    else:
        raise EvalError(f"format(): verb %{code} is not supported")
    size, flags = int(width or 0), flags or ""
    if "-" in flags:
        return text.ljust(size)
    if "0" in flags and code in ("d", "f"):
        sign = text[:1] if text[:1] in "+-" else ""
        return sign + text[len(sign):].rjust(size - len(sign), "0")
    return text.rjust(size)


def join(separator: Any, *lists: Any, budget: Budget | None = None) -> str:
    budget = budget or Budget()  # called directly (not by the evaluator): the defaults
    items = [_text(item) for value in lists for item in _list(value)]
    between = _text(separator)
    budget.allow_string(len(between) * len(items) + sum(map(len, items)), "join()")
    return between.join(items)


def split(separator: Any, text: Any) -> list[str]:
    return _text(text).split(_text(separator))


def flatten(value: Any) -> list[Any]:
    result: list[Any] = []
    for item in _list(value):
        result.extend(flatten(item) if isinstance(item, list) else [item])
    return result


def distinct(value: Any) -> list[Any]:
    return distinct_items(need(_list(value)))


def zipmap(names: Any, items: Any) -> dict[str, Any]:
    return dict(zip([_text(k) for k in _list(names)], _list(items), strict=False))


def range_(*args: Any) -> list[int | float]:
    numbers = [as_number(need(arg)) for arg in args]
    start, stop, step = (0, numbers[0], 1) if len(numbers) == 1 else (*numbers[:2], 1)
    step = numbers[2] if len(numbers) == 3 else step
    if not step or abs((stop - start) / step) > 100_000:
        raise EvalError("range(): too many elements or zero step")
    result: list[int | float] = []
    value = start
    while (step > 0 and value < stop) or (step < 0 and value > stop):
        result.append(value)
        value += step
    return result


def coalescelist(*lists: Any) -> list[Any]:
    for value in lists:
        if items := _list(value):
            return items
    raise EvalError("coalescelist(): every list is empty")


def one(value: Any) -> Any:
    items = _list(value)
    if len(items) > 1:
        raise EvalError("one(): more than one element")
    return items[0] if items else None


def slice_(value: Any, start: Any, end: Any) -> list[Any]:
    items = _list(value)
    first, last = int(as_number(need(start))), int(as_number(need(end)))
    if not 0 <= first <= last <= len(items):
        raise EvalError("slice(): indexes out of range")
    return items[first:last]


def base64encode(value: Any) -> str:
    return base64.b64encode(_text(value).encode("utf-8", "surrogatepass")).decode("ascii")


def base64gzip(value: Any) -> str:
    """Gzip, then base64 (the bytes differ from Go's gzip; the content is the same)."""
    packed = gzip.compress(_text(value).encode("utf-8", "surrogatepass"), mtime=0)
    return base64.b64encode(packed).decode("ascii")


def base64decode(value: Any) -> str:
    try:
        return base64.b64decode(_text(value), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise EvalError("base64decode(): not base64 of UTF-8 text") from None


def _numbers_of(args: tuple[Any, ...]) -> list[int | float]:
    return [as_number(need(arg)) for arg in args]


# Functions that can build a result much larger than their arguments: they are given the
# budget, to check before they build.
BUDGETED = frozenset({"replace", "format", "join"})

BUILTINS: dict[str, Callable[..., Any]] = {
    "coalesce": coalesce,
    "lookup": lookup,
    "merge": merge,
    "jsonencode": jsonencode,
    "jsondecode": jsondecode,
    "tostring": tostring,
    "tonumber": tonumber,
    "tobool": tobool,
    "toset": toset,
    "tolist": lambda value: list(_list(value)),
    "tomap": lambda value: dict(_map(value)),
    "length": length,
    "concat": concat,
    "format": format_,
    "lower": lambda text: _text(text).lower(),
    "upper": lambda text: _text(text).upper(),
    "trimspace": lambda text: _text(text).strip(),
    "replace": replace,
    "element": element,
    "keys": keys,
    "values": values,
    "contains": contains,
    "join": join,
    "split": split,
    "flatten": flatten,
    "distinct": distinct,
    "zipmap": zipmap,
    "range": range_,
    "min": lambda *args: normal_number(min(_numbers_of(args))),
    "max": lambda *args: normal_number(max(_numbers_of(args))),
    "abs": lambda value: abs(as_number(need(value))),
    "startswith": lambda text, prefix: _text(text).startswith(_text(prefix)),
    "trimprefix": lambda text, prefix: _text(text).removeprefix(_text(prefix)),
    "trimsuffix": lambda text, suffix: _text(text).removesuffix(_text(suffix)),
    "compact": lambda value: [item for item in need(_list(value)) if item not in (None, "")],
    "coalescelist": coalescelist,
    "one": one,
    "slice": slice_,
    "reverse": lambda value: list(reversed(_list(value))),
    "sort": lambda value: sorted(_text(item) for item in _list(value)),
    "sum": lambda value: normal_number(sum(_numbers_of(tuple(_list(value))))),
    "base64encode": base64encode,
    "base64gzip": base64gzip,
    "base64decode": base64decode,
    "nonsensitive": lambda value: value,
    "endswith": lambda text, suffix: _text(text).endswith(_text(suffix)),
}
