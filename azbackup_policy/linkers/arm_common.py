"""Shared pieces of the ARM linker: reading evaluated ARM bodies and finding resources.

:class:`Fields` reads a property path of a resource body and remembers, for each model
field it fills, the span of the property it came from (``attr_spans``).
:class:`ResourceIndex` finds resources of a document by id (type + name segments,
case-insensitive), by reference and by parent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from azbackup_policy.arm_values import (
    IdKey,
    Name,
    PartialString,
    UnknownId,
    id_key,
    name_key,
    split_name,
)
from azbackup_policy.document import Resource
from azbackup_policy.model import AttrSpans, SourceSpan, Unknown

MISSING: Any = object()


def dig(value: Any, path: str, lowered: dict[int, dict[str, Any]] | None = None) -> Any:
    """``value`` at a dotted path (keys case-insensitive); MISSING when absent.

    ``lowered`` memoises, per mapping, its keys lower-cased (the first of equal keys
    wins), so that repeated look-ups in one resource body do not rescan its keys.
    """
    for step in path.split(".") if path else ():
        if type(value) is dict:  # the usual case, in fewer steps than the general one
            found = value.get(step, MISSING)
            if found is MISSING:
                found = _lowered(value, lowered).get(step.lower(), MISSING)
                if found is MISSING:
                    return MISSING
            value = found
            continue
        if isinstance(value, (dict, Mapping)):
            if step in value:  # exact key first, as get_ci does
                value = value[step]
                continue
            value = _lowered(value, lowered).get(step.lower(), MISSING)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return MISSING
        if value is MISSING:
            return MISSING
    return value


def _lowered(mapping: Mapping[str, Any], memo: dict[int, dict[str, Any]] | None
             ) -> dict[str, Any]:
    found = memo.get(id(mapping)) if memo is not None else None
    if found is None:
        found = {}
        for key, item in mapping.items():
            found.setdefault(key.lower(), item)
        if memo is not None:
            memo[id(mapping)] = found
    return found


class Fields:
    """Reads ``resource.properties`` below ``base`` and records the span of each field."""

    def __init__(self, resource: Resource, base: str = "", prefix: str = "") -> None:
        self.resource = resource
        self.base = base
        self.prefix = prefix
        self.spans: dict[str, SourceSpan] = {}
        self.lowered: dict[int, dict[str, Any]] = {}  # for dig, shared with at() readers

    def path(self, path: str) -> str:
        if self.base and path:
            return f"{self.base}.{path}"
        return self.base or path

    def get(self, field: str | None, path: str, default: Any = None) -> Any:
        full = self.path(path)
        value = dig(self.resource.properties, full, self.lowered)
        if value is MISSING or value is None:
            return default
        if field is not None:
            self.spans[self.prefix + field] = self.resource.span_of(full)
        return value

    def at(self, base: str, prefix: str = "") -> Fields:
        """A reader below ``base`` that records into the same spans."""
        child = Fields(self.resource, self.path(base), self.prefix + prefix)
        child.spans = self.spans
        child.lowered = self.lowered
        return child

    def attr_spans(self, strip: str = "") -> AttrSpans:
        return AttrSpans({k[len(strip):]: v for k, v in self.spans.items()
                          if k.startswith(strip)})


def first_set(*values: Any) -> Any:
    """The first value that is not None (never asks an Unknown for its truth)."""
    return next((v for v in values if v is not None), None)


def as_int(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def as_bool(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return value


def as_text(value: Any) -> Any:
    """A string stays; Unknown stays; anything else becomes its text."""
    if value is None or isinstance(value, (str, Unknown)):
        return value
    return str(value)


def last_segment(name: Any) -> Any:
    """The last ``/`` segment of a resource name (the child's own name)."""
    segments = split_name(name)
    return segments[-1] if segments else name


def first_segment(name: Any) -> Any:
    segments = split_name(name)
    return segments[0] if segments else name


_TIME = re.compile(r"(?:T|^)(\d{1,2}):(\d{2})")


def hh_mm(value: Any) -> Any:
    """``2024-01-01T23:00:00Z`` -> ``23:00``; unknown stays unknown."""
    if not isinstance(value, str):
        return value
    match = _TIME.search(value)
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else value


def parent_key(resource: Resource) -> IdKey | None:
    """The id key of the resource's parent (one type and name segment less)."""
    key = id_key(resource.id)
    if key is None or len(key[1]) < 2:
        return None
    full_type, names = key
    return full_type.rsplit("/", 1)[0], names[:-1]


def same_name(left: Any, right: Any) -> bool:
    return name_key(left) == name_key(right)


class ResourceIndex:
    """The resources of a document, by address, by id key, by type and by parent.

    Every lookup is a dictionary access: the per-type lists, the children of each parent
    and the resources by name segments are built once (on first use), so linking N VMs
    stays linear.
    """

    def __init__(self, resources: Sequence[Resource]) -> None:
        self.resources = tuple(resources)
        self.by_address = {r.address: r for r in resources}
        self.by_key: dict[IdKey, list[Resource]] = {}
        self._by_type: dict[str, list[int]] = {}
        for position, resource in enumerate(self.resources):
            key = id_key(resource.id)
            if key is not None:
                self.by_key.setdefault(key, []).append(resource)
            if resource.mode == "managed":
                self._by_type.setdefault(resource.type.lower(), []).append(position)
        self._types: dict[frozenset[str], list[Resource]] = {}
        self._children: dict[str, dict[IdKey, list[Resource]]] = {}
        self._named: dict[frozenset[str], dict[tuple[Any, ...], list[Resource]]] = {}
        self._memo: dict[str, Any] = {}

    def memo(self, name: str, build: Callable[[ResourceIndex], Any]) -> Any:
        """``build(self)``, computed once per index (for linker-specific lookups)."""
        if name not in self._memo:
            self._memo[name] = build(self)
        return self._memo[name]

    def of_type(self, *types: str) -> list[Resource]:
        """Managed resources of ``types``, in document order (do not modify the list)."""
        wanted = frozenset(t.lower() for t in types)
        found = self._types.get(wanted)
        if found is None:
            positions = sorted(p for t in wanted for p in self._by_type.get(t, ()))
            found = self._types[wanted] = [self.resources[p] for p in positions]
        return found

    def referenced(self, resource: Resource, path: str, *types: str) -> Resource | None:
        """The resource that ``path`` of ``resource`` points at (of one of ``types``)."""
        wanted = {t.lower() for t in types}
        for address in resource.references.get(path, ()):
            target = self.by_address.get(address)
            if target is not None and (not wanted or target.type.lower() in wanted):
                return target
        return None

    def by_id(self, value: Any) -> Resource | None:
        key = id_key(value)
        found = self.by_key.get(key, []) if key else []
        return found[0] if found else None

    def children(self, parent: Resource, child_type: str) -> list[Resource]:
        key = id_key(parent.id)
        if key is None:
            return []
        lowered = child_type.lower()
        by_parent = self._children.get(lowered)
        if by_parent is None:
            by_parent = self._children[lowered] = {}
            for child in self.of_type(child_type):
                child_key = parent_key(child)
                if child_key is not None:
                    by_parent.setdefault(child_key, []).append(child)
        return list(by_parent.get(key, ()))

    def parent(self, resource: Resource) -> Resource | None:
        key = parent_key(resource)
        found = self.by_key.get(key, []) if key else []
        return found[0] if found else None

    def named(self, names: Iterable[Name], *types: str) -> list[Resource]:
        wanted = frozenset(t.lower() for t in types)
        by_names = self._named.get(wanted)
        if by_names is None:
            by_names = self._named[wanted] = {}
            for resource in self.of_type(*types):
                key = id_key(resource.id)
                if key is not None:
                    by_names.setdefault(key[1], []).append(resource)
        return list(by_names.get(tuple(name_key(n) for n in names), ()))


def resource_group_of(resource: Resource) -> Any:
    """The resource group of a resource, from its id (unknown unless stated)."""
    value = resource.id
    if isinstance(value, str):
        match = re.search(r"/resourceGroups/([^/]+)", value, re.IGNORECASE)
        return match.group(1) if match else None
    if isinstance(value, UnknownId) and value.resource_group is not None:
        return value.resource_group
    return Unknown("resourceGroup().name")


def subscription_of(resource: Resource) -> Any:
    value = resource.id
    if isinstance(value, str):
        match = re.search(r"/subscriptions/([^/]+)", value, re.IGNORECASE)
        return match.group(1) if match else None
    return Unknown("subscription().subscriptionId")


def text_tail(value: Any, separator: str) -> Any:
    """The text after the last ``separator`` of a (partly known) string."""
    if isinstance(value, str):
        return value.rsplit(separator, 1)[-1]
    if isinstance(value, PartialString):
        last = value.parts[-1]
        if isinstance(last, str) and separator in last:
            return last.rsplit(separator, 1)[-1]
        before = value.parts[-2] if len(value.parts) > 1 else None
        if isinstance(before, str) and before.endswith(separator):
            return last
    return value
