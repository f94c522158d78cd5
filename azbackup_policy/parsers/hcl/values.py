"""Values of the static evaluator.

Known values are plain Python: ``str``, ``int``, ``float``, ``bool``, ``None``, ``list``
(tuples, lists and sets alike, as in a plan's ``values``) and ``dict``. Three more kinds
exist only inside the evaluator:

* :class:`Pending` -- a value that cannot be known before apply. It keeps the source
  text of the smallest expression that made it unknown and the instance addresses it was
  derived from, so a link survives ``var``, ``local`` and module outputs.
* :class:`InstanceRef` -- a resource instance used as a value (``each.value`` when
  ``for_each = azurerm_linux_virtual_machine.vm``); reading ``.id`` on it records a link.
* :class:`ModuleRef` -- a module instance used as a value (``module.db``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from azbackup_policy.model import Unknown

SENSITIVE_TEXT = "(sensitive value)"


class EvalError(Exception):
    """An expression Terraform itself would reject (wrong type, missing key...)."""


class NumberError(EvalError):
    """A number no evaluation can use (infinite or NaN): reported at its attribute."""


def finite(value: Any) -> Any:
    """``value``; a float that is infinite or not a number is a :class:`NumberError`."""
    if isinstance(value, float) and not math.isfinite(value):
        raise NumberError(f"the number {value} is out of range (infinite or not a number)")
    return value


class TfSet(list):  # type: ignore[type-arg]
    """A set (``toset()``): a list whose keys are its values when iterated."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Pending:
    text: str
    refs: frozenset[str] = frozenset()
    # jsonencode() of a partly pending object or list: that value, so its known parts survive
    decoded: Any = field(default=None, compare=False)


@dataclass(frozen=True, slots=True, eq=False)
class InstanceRef:
    address: str
    text: str  # how the configuration named it, for Unknown texts
    attributes: Callable[[], dict[str, Any]]


@dataclass(frozen=True, slots=True, eq=False)
class ModuleRef:
    address: str
    output: Callable[[str, str, Any], Any]  # (name, reference text, trace) -> value


@dataclass(slots=True)
class Trace:
    """What an expression read besides its value: known resource attributes, secrets."""

    refs: set[str] = field(default_factory=set)
    sensitive: bool = False
    notes: list[str] = field(default_factory=list)  # why a value is not known (file reads)

    def merge(self, other: Trace) -> None:
        self.refs |= other.refs
        self.sensitive = self.sensitive or other.sensitive
        self.notes += [note for note in other.notes if note not in self.notes]


def refs_in(value: Any, into: set[str]) -> None:
    """Collect the addresses carried by the unknown parts of ``value``."""
    if isinstance(value, Pending):
        into.update(value.refs)
    elif isinstance(value, InstanceRef):
        into.add(value.address)
    elif isinstance(value, list):
        for item in value:
            refs_in(item, into)
    elif isinstance(value, dict):
        for item in value.values():
            refs_in(item, into)


def has_pending(value: Any) -> bool:
    if isinstance(value, (Pending, InstanceRef, ModuleRef)):
        return True
    if isinstance(value, list):
        return any(has_pending(item) for item in value)
    if isinstance(value, dict):
        return any(has_pending(item) for item in value.values())
    return False


def to_model(value: Any) -> Any:
    """The value as it goes into ``Resource.properties`` (Pending -> Unknown)."""
    if isinstance(value, Pending):
        if value.decoded is not None:
            return Unknown(value.text, partial=to_model(value.decoded))
        return Unknown(value.text)
    if isinstance(value, InstanceRef):
        return Unknown(value.text)
    if isinstance(value, ModuleRef):
        return Unknown(value.address)
    if isinstance(value, list):
        return [to_model(item) for item in value]
    if isinstance(value, dict):
        return {key: to_model(item) for key, item in value.items()}
    return value


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "null" if value is None else "object"


def number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def as_string(value: Any) -> str:
    """Terraform's automatic conversion of a primitive to a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number_text(value)
    if isinstance(value, str):
        return value
    raise EvalError(f"cannot use a {type_name(value)} value as a string")


def as_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise EvalError("a bool is not a number")
    if isinstance(value, (int, float)):
        return finite(value)  # type: ignore[no-any-return]
    if isinstance(value, str):
        try:
            number = finite(float(value))
        except ValueError:
            raise EvalError(f"{value!r} is not a number") from None
        return int(number) if number.is_integer() and "." not in value else number
    raise EvalError(f"a {type_name(value)} is not a number")


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise EvalError(f"a {type_name(value)} is not a bool")


def normal_number(value: float) -> int | float:
    """Integral results print as ints, like Terraform's numbers."""
    finite(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def instance_key(key: int | str) -> str:
    """``[0]`` or ``["k"]``, as Terraform prints instance keys."""
    if isinstance(key, int):
        return f"[{key}]"
    return "[" + json.dumps(key, ensure_ascii=False) + "]"
