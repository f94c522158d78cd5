"""Shared helpers of the azurerm linker: reading fields with spans, ARM ids, the index.

:class:`Reader` reads one property path of a :class:`Resource`, applies the default
for *not set* (absent or ``None``), keeps :class:`Unknown` as it is, and records the
span of the attribute under the model field name, so findings can point at it.
:class:`Index` resolves a property that points at other resources: by the parser's
``references`` first, then by known ARM ids, then by ``(resource group, name)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from azbackup_policy.document import Document, Resource, value_at
from azbackup_policy.model import AttrSpans, SourceSpan, Unknown, Unresolved

VM_TYPES = ("azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine",
            "azurerm_virtual_machine")


class Reader:
    """Reads fields of one resource (or of one nested block of it) and records spans."""

    def __init__(self, resource: Resource, base: str = "", properties: Any = None) -> None:
        self.resource = resource
        self.base = base
        self.properties = resource.properties if properties is None else properties
        self.spans: dict[str, SourceSpan] = {}

    def path(self, path: str) -> str:
        return f"{self.base}.{path}" if self.base and path else (self.base or path)

    def raw(self, path: str) -> Any:
        return value_at(self.properties, self.path(path))

    def mark(self, model_field: str, path: str) -> None:
        self.spans[model_field] = self.resource.span_of(self.path(path))

    def get(self, model_field: str, path: str, default: Any = None,
            convert: Callable[[Any], Any] | None = None) -> Any:
        """The value for ``model_field`` read from ``path`` (default when not set)."""
        self.mark(model_field, path)
        value = self.raw(path)
        if value is None:
            return default
        if isinstance(value, Unknown) or convert is None:
            return value
        return convert(value)

    def block(self, path: str) -> Reader | None:
        """A reader for the first object of a nested block list, or None when absent."""
        value = self.raw(path)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return Reader(self.resource, self.path(f"{path}.0"), self.properties)
        return None

    def attr_spans(self, prefix: str = "") -> AttrSpans:
        return AttrSpans({prefix + key: span for key, span in self.spans.items()})


def enabled_word(value: Any) -> Any:
    """A bool to ``"Enabled"``/``"Disabled"`` (Unknown and None pass through)."""
    if isinstance(value, bool):
        return "Enabled" if value else "Disabled"
    return value


def sorted_strings(value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(sorted(str(item) for item in value if item is not None))
    return ()


def int_tuple(value: Any) -> Any:
    """A set of LUNs as a sorted tuple; None (not set) for null or empty."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, (list, tuple)) and value:
        if any(isinstance(item, Unknown) for item in value):
            return Unknown("(known after apply)")
        return tuple(sorted(int(item) for item in value if isinstance(item, int)))
    return None


@dataclass(frozen=True, slots=True)
class ArmId:
    """The parts of an ARM resource id that linking needs (lower-cased for matching)."""

    subscription: str | None
    resource_group: str | None
    name: str | None
    segments: tuple[str, ...] = ()  # provider path after ``providers/``: type/name pairs


def parse_arm_id(value: Any) -> ArmId | None:
    if not isinstance(value, str) or not value.startswith("/"):
        return None
    parts = [p for p in value.strip().split("/") if p]
    lowered = [p.lower() for p in parts]

    def after(word: str) -> str | None:
        if word in lowered:
            at = lowered.index(word)
            return parts[at + 1] if at + 1 < len(parts) else None
        return None

    provider = lowered.index("providers") + 1 if "providers" in lowered else len(parts)
    return ArmId(after("subscriptions"), after("resourcegroups"),
                 parts[-1] if len(parts) > provider else None, tuple(parts[provider:]))


@dataclass(slots=True)
class Index:
    """Lookup of the Document's resources by address, id and (resource group, name)."""

    document: Document
    by_address: dict[str, Resource] = field(default_factory=dict)
    by_id: dict[str, str] = field(default_factory=dict)
    unresolved: list[Unresolved] = field(default_factory=list)
    _typed: dict[tuple[str, ...], list[Resource]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for resource in self.document.resources:
            self.by_address[resource.address] = resource
            ident = resource.id if isinstance(resource.id, str) else None
            if ident:
                self.by_id.setdefault(ident.lower(), resource.address)

    def of_types(self, types: Iterable[str]) -> list[Resource]:
        key = tuple(types)
        found = self._typed.get(key)
        if found is None:
            wanted = set(key)
            found = self._typed[key] = [r for r in self.document.resources if r.type in wanted]
        return found

    def report(self, resource: Resource, path: str, message: str) -> None:
        self.unresolved.append(Unresolved(resource.address, message, resource.span_of(path)))

    def targets(self, resource: Resource, path: str, types: Iterable[str]) -> list[str]:
        """Addresses of resources of ``types`` that ``resource.<path>`` points at."""
        wanted = tuple(types)
        found = [a for a in resource.references.get(path, ())
                 if a in self.by_address and self.by_address[a].type in wanted
                 and self.by_address[a].mode == "managed"]
        if found:
            return found
        value = value_at(resource.properties, path)
        values = value if isinstance(value, list) else [value]
        for item in values:
            found += self.by_value(item, wanted)
        return list(dict.fromkeys(found))

    def by_value(self, value: Any, types: tuple[str, ...]) -> list[str]:
        """Resources whose known id equals ``value``, else whose RG and name match it."""
        if not isinstance(value, str):
            return []
        address = self.by_id.get(value.lower())
        if address is not None and self.by_address[address].type in types:
            return [address] if self.by_address[address].mode == "managed" else []
        parsed = parse_arm_id(value)
        if parsed is None or parsed.name is None:
            return []
        return self.by_name(parsed.name, parsed.resource_group, types)

    def by_name(self, name: str, resource_group: Any, types: tuple[str, ...]) -> list[str]:
        found = []
        for candidate in self.of_types(types):
            if candidate.mode != "managed":
                continue
            other = candidate.properties.get("name")
            group = candidate.properties.get("resource_group_name")
            if isinstance(other, str) and other.lower() == name.lower() and (
                    not isinstance(resource_group, str) or not isinstance(group, str)
                    or group.lower() == resource_group.lower()):
                found.append(candidate.address)
        return found

    def data_sources(self, resource: Resource, path: str) -> list[str]:
        """Data sources that ``path`` references (existing resources read by the plan)."""
        return [a for a in resource.references.get(path, ())
                if a in self.by_address and self.by_address[a].mode == "data"]

    def one(self, resource: Resource, path: str, types: Iterable[str], what: str,
            *, required: bool = True) -> str | None:
        """The single target of ``path``; reports ``what`` as unresolved when none/several."""
        found = self.targets(resource, path, types)
        if len(found) == 1:
            return found[0]
        value = value_at(resource.properties, path)
        if found:
            self.report(resource, path, f"{path} matches several {what}s: {', '.join(found)}")
        elif required and self.data_sources(resource, path):
            source = self.data_sources(resource, path)[0]
            self.report(resource, path, f"the {what} of {path} exists outside this plan "
                        f"(read by {source}); its settings cannot be checked here")
        elif required and isinstance(value, Unknown):
            self.report(resource, path, f"the {what} of {path} cannot be determined: it is "
                        f"{value.expression}, unknown at plan time, and no reference pairs it")
        elif required and value is not None:
            self.report(resource, path, f"{what} of {path} ({value}) is not in this plan")
        return None


def json_value(value: Any) -> Any:
    """A JSON-text attribute (azapi v1 ``body``, policy ``parameters``) as data: the decoded
    text; for a ``jsonencode({...})`` with unknown parts (known only in HCL), the object with
    ``Unknown`` leaves; otherwise ``value`` unchanged (``Unknown``, or text that is not JSON,
    for the caller to judge)."""
    if isinstance(value, Unknown) and value.partial is not None:
        return value.partial
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
