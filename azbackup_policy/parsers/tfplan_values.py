"""Planned values with unknown and sensitive leaves made explicit.

In plan JSON an unknown object member is simply absent (and an unknown list element is
``null``); ``after_unknown`` marks it with ``true``. After :func:`merge_values` an absent
key or ``None`` means *not set* and only :class:`Unknown` means unknown. Sensitive
leaves become ``Unknown("(sensitive value)")`` and their paths are collected, so the
secret itself is never copied anywhere; the one exception is a VM's custom data
(:data:`CUSTOM_DATA`), which the Linux rules read: it stays in the values, its path is
still collected as sensitive, and no output prints it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from azbackup_policy.model import Unknown

SENSITIVE = "(sensitive value)"
KNOWN_AFTER_APPLY = "(known after apply)"

ExpressionText = Callable[[str], str]

# The custom data of the VM types the linker reads it from: kept though sensitive.
CUSTOM_DATA = {
    "azurerm_linux_virtual_machine": frozenset({"custom_data"}),
    "azurerm_windows_virtual_machine": frozenset({"custom_data"}),
}
# The legacy VM's provider keeps only a SHA-1 hash of its custom data in plans and state.
HASHED_CUSTOM_DATA = {"azurerm_virtual_machine": ("os_profile", "custom_data")}
HASHED = "(the plan holds only a SHA-1 hash of the custom data)"


class _Merger:
    def __init__(self, expression: ExpressionText, reveal: frozenset[str]) -> None:
        self.expression = expression
        self.reveal = reveal
        self.sensitive: set[str] = set()

    def value(self, value: Any, unknown: Any, sensitive: Any, path: str) -> Any:
        if sensitive is True:
            if value is None and unknown is not True:
                return None
            self.sensitive.add(path)
            if path in self.reveal and isinstance(value, str) and unknown is not True:
                return value
            return Unknown(SENSITIVE)
        if unknown is True:
            return Unknown(self.expression(path))
        if isinstance(value, dict):
            return self.mapping(value, unknown, sensitive, path)
        if isinstance(value, list):
            return self.sequence(value, unknown, sensitive, path)
        return value

    def mapping(self, value: dict[str, Any], unknown: Any, sensitive: Any,
                path: str) -> dict[str, Any]:
        """Only the members the markers name are visited and replaced, in place."""
        unknown = unknown if isinstance(unknown, dict) else {}
        sensitive = sensitive if isinstance(sensitive, dict) else {}
        for key in (*unknown, *(key for key in sensitive if key not in unknown)):
            flag = unknown.get(key)
            if key in value:
                value[key] = self.value(value[key], flag, sensitive.get(key), _join(path, key))
            elif flag is True:  # unknown members are absent from the planned values
                value[key] = self.value(None, True, sensitive.get(key), _join(path, key))
        return value

    def sequence(self, value: list[Any], unknown: Any, sensitive: Any, path: str) -> list[Any]:
        unknown = unknown if isinstance(unknown, list) else []
        sensitive = sensitive if isinstance(sensitive, list) else []
        for index in range(min(len(value), max(len(unknown), len(sensitive)))):
            value[index] = self.value(value[index], _at(unknown, index), _at(sensitive, index),
                                      _join(path, str(index)))
        return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _at(items: list[Any], index: int) -> Any:
    return items[index] if index < len(items) else None


def merge_values(
    values: Any, unknown: Any, sensitive: Any, expression: ExpressionText,
    reveal: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], frozenset[str]]:
    """``values`` with ``Unknown`` leaves, and the set of sensitive property paths.

    ``values`` is changed in place (and returned): plan values are decoded for one parse
    and shared with nothing, so copying every object that gets an Unknown (each
    resource's top level, for its id) would only cost time. Only the members the markers
    name are visited. Sensitive leaves at the paths in ``reveal`` keep their value.
    """
    merger = _Merger(expression, reveal)
    merged = merger.value(values if isinstance(values, dict) else {}, unknown, sensitive, "")
    return (merged if isinstance(merged, dict) else {}), frozenset(merger.sensitive)


def hide_hashed_custom_data(resource_type: str, values: dict[str, Any]) -> None:
    """The legacy VM's custom data is a hash of it: unknown, not text to search."""
    block, key = HASHED_CUSTOM_DATA.get(resource_type, ("", ""))
    items = values.get(block) if block else None
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and isinstance(item.get(key), str):
            item[key] = Unknown(HASHED)


def redact(values: Any, sensitive: Any) -> dict[str, Any] | None:
    """``before`` values with sensitive leaves replaced (no unknowns in prior state)."""
    if not isinstance(values, dict):
        return None
    merged, _ = merge_values(values, None, sensitive, lambda _path: KNOWN_AFTER_APPLY)
    return merged
