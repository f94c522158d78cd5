"""``count`` and ``for_each``: which instances a resource or module call has.

Instances get the keys Terraform gives them (``[0]``, ``["k"]``). When the number of
instances is not known statically, one stand-in instance ``[*]`` is produced, with
``count.index`` / ``each.*`` unknown, and the expression is kept as its ``condition``.
A ``count`` or ``for_each`` that reads a sensitive value gets one stand-in instance too,
``["(sensitive)"]``, whose ``count.index`` / ``each.*`` are sensitive: a secret never
becomes an instance key, an address or a name, and the number of instances is not told.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from azbackup_policy.errors import InputError
from azbackup_policy.model import Unknown
from azbackup_policy.parsers.budget import BudgetExceeded
from azbackup_policy.parsers.hcl.evaluate import expression_text
from azbackup_policy.parsers.hcl.values import (
    SENSITIVE_TEXT,
    EvalError,
    Pending,
    has_pending,
    instance_key,
)

if TYPE_CHECKING:
    from azbackup_policy.parsers.hcl.instance import Instance
    from azbackup_policy.parsers.hcl.syntax import Attr, Block

InstanceSpec = tuple[Any, str, dict[str, Any]]  # (key, address suffix, bindings)


@dataclass(frozen=True, slots=True)
class Expansion:
    kind: str  # "single", "count" or "for_each"
    instances: tuple[InstanceSpec, ...]
    condition: Unknown | None = None

    def shape(self, by_key: dict[Any, Any]) -> Any:
        """Instance values arranged as Terraform shows the resource: one, a list or a map."""
        if self.kind == "single":
            return by_key[None]
        if self.kind == "count":
            return list(by_key.values())
        return dict(by_key)


_SINGLE = Expansion("single", ((None, "", {}),))


def expand(scope: Instance, block: Block, max_loop: int) -> Expansion:
    count, for_each = block.attrs.get("count"), block.attrs.get("for_each")
    if count is None and for_each is None:
        _charge(scope, block, 1, block.type)
        return _SINGLE
    attr = count if count is not None else for_each
    assert attr is not None
    value, trace = scope.evaluate(attr, {})
    kind = "count" if count is not None else "for_each"
    if trace.sensitive:
        return _stand_in(kind, scope, attr, sensitive=True)
    if _unknown(value):
        return _stand_in(kind, scope, attr)
    try:
        size = _count(value) if kind == "count" else len(value) if isinstance(value, (
            dict, list)) else 0
    except EvalError as exc:
        raise InputError(attr.src.shown, attr.line, 1, f"{kind}: {exc}") from None
    if size > max_loop:  # checked before a single instance is made
        raise InputError(attr.src.shown, attr.line, 1,
                         f"{kind} makes {size} instances, over the limit of {max_loop}")
    if not _charge(scope, attr, size, kind):
        return _stand_in(kind, scope, attr)
    try:
        keys = [(i, None) for i in range(size)] if kind == "count" else _each_keys(value)
    except EvalError as exc:
        raise InputError(attr.src.shown, attr.line, 1, f"{kind}: {exc}") from None
    specs: tuple[InstanceSpec, ...]
    if kind == "count":
        specs = tuple((k, instance_key(k), {"count": {"index": k}}) for k, _ in keys)
    else:
        specs = tuple((k, instance_key(k), {"each": {"key": k, "value": v}}) for k, v in keys)
    return Expansion(kind, specs)


def _unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return False  # the keys are known even when some values are not
    return has_pending(value)


def _stand_in(kind: str, scope: Instance, attr: Attr, sensitive: bool = False) -> Expansion:
    text = expression_text(attr.expr, attr.src.text)
    shown: dict[str, str] = dict.fromkeys(("count.index", "each.key", "each.value"),
                                          SENSITIVE_TEXT) if sensitive else {}
    if kind == "count":
        bindings: dict[str, Any] = {"count": {"index": Pending(
            shown.get("count.index", "count.index"))}}
    else:
        bindings = {"each": {key: Pending(shown.get(f"each.{key}", f"each.{key}"))
                             for key in ("key", "value")}}
    suffix = '["(sensitive)"]' if sensitive else "[*]"
    return Expansion(kind, ((None, suffix, bindings),), Unknown(text))


def _charge(scope: Instance, where: Attr | Block, count: int, what: str) -> bool:
    """Charge ``count`` instances to the budget; False (reported) when over it."""
    try:
        scope.budget.expand(count, what)
    except BudgetExceeded as exc:
        scope.over_budget(where.src.shown, where.line, exc)
        return False
    return True


def _count(value: Any) -> int:
    """The number of instances ``count = value`` makes (no list is built here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise EvalError("must be a whole number")
    if isinstance(value, float) and not math.isfinite(value):
        raise EvalError(f"must be a whole number, not {value}")
    if value < 0 or int(value) != value:
        raise EvalError(f"must be a non-negative whole number, not {value}")
    return int(value)


def _each_keys(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [(key, value[key]) for key in sorted(value)]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [(item, item) for item in sorted(set(value))]
    raise EvalError("must be a map, or a set of strings")
