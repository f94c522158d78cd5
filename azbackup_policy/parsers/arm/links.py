"""``Resource.references``: property paths whose id value names a resource of the document.

Ids are compared by full type and name segments, case-insensitively; an unknown name
segment matches when its expression text equals the other resource's (so
``resourceId('...', parameters('vmName'))`` finds the VM named ``[parameters('vmName')]``
even though the name itself is unknown).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from azbackup_policy.document import Resource
from azbackup_policy.parsers.arm.values import name_key, parse_id

IdKey = tuple[str, tuple[object, ...]]


def id_key(value: object) -> IdKey | None:
    parsed = parse_id(value)
    if parsed is None:
        return None
    full_type, names = parsed
    return full_type.lower(), tuple(name_key(n) for n in names)


def _values(value: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _values(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _values(item, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix, value


def add_references(resources: Sequence[Resource]) -> list[Resource]:
    """The resources with ``references`` filled in."""
    index: dict[IdKey, list[str]] = {}
    for resource in resources:
        key = id_key(resource.id)
        if key is not None:
            index.setdefault(key, []).append(resource.address)
    result = []
    for resource in resources:
        found: dict[str, tuple[str, ...]] = {}
        for path, value in _values(resource.properties, ""):
            key = id_key(value)
            targets = [a for a in index.get(key, []) if a != resource.address] if key else []
            if targets:
                found[path] = tuple(targets)
        result.append(replace(resource, references=found) if found else resource)
    return result
