"""Values the ARM evaluator produces besides plain JSON.

Both classes are :class:`~azbackup_policy.model.Unknown` (rules treat them as unknown),
but they keep enough structure for linking:

* :class:`PartialString` -- a string of which some parts are unknown, e.g. the
  protected-item name ``concat(vault, '/Azure/iaasvmcontainer;iaasvmcontainerv2;',
  resourceGroup().name, ';', vm)``. Its known parts still tell the vault and the VM.
* :class:`UnknownId` -- a ``resourceId()`` whose subscription or resource group is not
  known. It keeps the resource type and the name segments, so two ids built for the
  same resource in one template compare equal without inventing a subscription.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from azbackup_policy.model import Unknown

Name = str | Unknown


@dataclass(frozen=True, slots=True)
class PartialString(Unknown):
    """A string made of known text and unknown pieces (in order)."""

    parts: tuple[Name, ...] = ()

    def display(self) -> str:
        """Known text with each unknown piece as ``[expression]``."""
        return "".join(p if isinstance(p, str) else f"[{p.expression}]" for p in self.parts)

    def pattern_text(self, hole: str = "\x00") -> str:
        """The text with every unknown piece replaced by ``hole``."""
        return "".join(p if isinstance(p, str) else hole for p in self.parts)


@dataclass(frozen=True, slots=True)
class UnknownId(Unknown):
    """A resource id whose scope is unknown: ``type`` plus ``names`` (one per segment)."""

    type: str = ""
    names: tuple[Name, ...] = ()
    resource_group: Name | None = None
    scope: Unknown | str | None = None  # the base id of an extension resource


def make_string(parts: Iterable[Any], expression: str) -> str | Unknown:
    """Join string parts; a PartialString when some are unknown."""
    flat: list[Name] = []
    for part in parts:
        pieces = part.parts if isinstance(part, PartialString) else (part,)
        for piece in pieces:
            if isinstance(piece, str) and flat and isinstance(flat[-1], str):
                flat[-1] = flat[-1] + piece
            elif not (isinstance(piece, str) and piece == ""):
                flat.append(piece)
    if all(isinstance(p, str) for p in flat):
        return "".join(p for p in flat if isinstance(p, str))
    return PartialString(expression, tuple(flat))


def name_key(value: object) -> object:
    """A comparison key for a name: lower-cased text, or the unknown's structure."""
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, PartialString):
        return tuple(name_key(p) for p in value.parts)
    if isinstance(value, Unknown):
        return ("?", " ".join(value.expression.split()))
    return repr(value)


def get_ci(mapping: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """``mapping[key]`` compared case-insensitively (ARM keys are case-insensitive)."""
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    for candidate, value in mapping.items():
        if isinstance(candidate, str) and candidate.lower() == lowered:
            return value
    return default


class Keys:
    """Case-insensitive reads of one mapping, its keys lower-cased once: a resource
    declaration is asked for ``copy``, ``condition``, ``existing``, ``comments``... by
    several readers, and most of those keys are absent (each miss would rescan it).
    ``get`` answers exactly as :func:`get_ci`; the mapping must not change meanwhile."""

    __slots__ = ("lowered", "mapping")

    def __init__(self, mapping: Mapping[str, Any]) -> None:
        self.mapping = mapping
        self.lowered: dict[str, str] = {}  # lower-cased key -> the first such key
        for key in mapping:
            if isinstance(key, str):
                self.lowered.setdefault(key.lower(), key)

    def get(self, key: str, default: Any = None) -> Any:
        mapping = self.mapping
        if key in mapping:
            return mapping[key]
        found = self.lowered.get(key.lower())
        return default if found is None else mapping[found]


def split_type(full_type: str) -> tuple[str, list[str]]:
    """``Microsoft.Compute/virtualMachines/extensions`` -> (namespace, [segments])."""
    namespace, _, rest = full_type.partition("/")
    return namespace, [s for s in rest.split("/") if s]


def id_string(subscription: str, resource_group: str | None, full_type: str,
              names: Iterable[str]) -> str:
    """The ARM id text of a resource in a resource group (or subscription)."""
    namespace, segments = split_type(full_type)
    tail = "/".join(f"{s}/{n}" for s, n in zip(segments, names, strict=False))
    base = f"/subscriptions/{subscription}"
    if resource_group is not None:
        base += f"/resourceGroups/{resource_group}"
    return f"{base}/providers/{namespace}/{tail}"


def parse_id(value: object) -> tuple[str, tuple[Name, ...]] | None:
    """(full type, names) of an id value -- a string id or an :class:`UnknownId`."""
    if isinstance(value, UnknownId):
        return value.type, value.names
    if not isinstance(value, str):
        return None
    lowered = value.lower()
    index = lowered.rfind("/providers/")
    if index >= 0:
        parts = [p for p in value[index + len("/providers/"):].split("/") if p]
    elif not value.startswith("/") and "." in value.split("/", 1)[0]:
        parts = value.split("/")  # Bicep's relative form: Namespace/type/name
    else:
        return None
    if len(parts) < 3:
        return None
    namespace, rest = parts[0], parts[1:]
    types = rest[0::2]
    names = tuple(rest[1::2])
    if len(types) != len(names):
        return None
    return namespace + "/" + "/".join(types), names
