"""``Resource.references``: property paths whose id value names a resource of the document.

Ids are compared by full type and name segments, case-insensitively; an unknown name
segment matches when its expression text equals the other resource's (so
``resourceId('...', parameters('vmName'))`` finds the VM named ``[parameters('vmName')]``
even though the name itself is unknown).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from azbackup_policy.arm_values import IdKey, UnknownId, id_key
from azbackup_policy.document import Resource


def may_be_id(value: object) -> bool:
    """False for a leaf that :func:`id_key` surely rejects (a string without ``/``, a
    number): most leaves, which are then never lower-cased and split."""
    if isinstance(value, str):
        return "/" in value
    return isinstance(value, UnknownId)


def collect_id_leaves(value: Any, prefix: str, out: list[tuple[str, Any]]) -> None:
    """The leaves of ``value`` that :func:`may_be_id`, with their dotted paths, in the
    document order; paths are built only for those leaves and containers."""
    items: Iterable[tuple[object, Any]]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        if isinstance(item, (dict, list)):
            collect_id_leaves(item, f"{prefix}.{key}" if prefix else str(key), out)
        elif may_be_id(item):
            out.append((f"{prefix}.{key}" if prefix else str(key), item))


def add_references(resources: Sequence[Resource],
                   id_leaves: Sequence[list[tuple[str, Any]]] | None = None) -> list[Resource]:
    """The resources with ``references`` filled in. ``id_leaves`` (one list per resource,
    as :func:`collect_id_leaves` gives) saves walking the bodies when the caller has them."""
    index: dict[IdKey, list[str]] = {}
    for resource in resources:
        key = id_key(resource.id)
        if key is not None:
            index.setdefault(key, []).append(resource.address)
    result = []
    for position, resource in enumerate(resources):
        found: dict[str, tuple[str, ...]] = {}
        if id_leaves is not None:
            leaves = id_leaves[position]
        else:
            leaves = []
            collect_id_leaves(resource.properties, "", leaves)
        for path, value in leaves:
            key = id_key(value)
            targets = [a for a in index.get(key, []) if a != resource.address] if key else []
            if targets:
                found[path] = tuple(targets)
        result.append(replace(resource, references=found) if found else resource)
    return result
