"""Values in ``arm``-vocabulary documents besides plain JSON, shared by parsers and linkers.

An ``arm`` :class:`~azbackup_policy.document.Document` (ARM JSON, Bicep, and any input
format whose resources are ARM resource bodies) may carry, where a value is not known
statically, these subclasses of :class:`~azbackup_policy.model.Unknown`. Rules treat
them as unknown; the ARM linker reads their structure to link resources:

* :class:`PartialString` -- a string of which some parts are unknown, e.g. the
  protected-item name ``concat(vault, '/Azure/iaasvmcontainer;iaasvmcontainerv2;',
  resourceGroup().name, ';', vm)``. Its known parts still tell the vault and the VM.
* :class:`UnknownId` -- a ``resourceId()`` whose subscription or resource group is not
  known. It keeps the resource type and the name segments, so two ids built for the
  same resource in one template compare equal without inventing a subscription.
* :class:`Reference` -- a runtime property of another resource (``reference(x).primary
  Endpoints.blob``): unknown, but it keeps whose (``x``: an id or a symbolic name).

The helpers compare names and ids the way ARM does (case-insensitively, unknown parts
by their expression). This module sits beside :mod:`azbackup_policy.document`: it
imports only the model, and both parsers and linkers may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from azbackup_policy.model import Unknown

Name = str | Unknown
IdKey = tuple[str, tuple[object, ...]]


@dataclass(frozen=True, slots=True)
class PartialString(Unknown):
    """A string made of known text and unknown pieces (in order)."""

    parts: tuple[Name, ...] = ()

    def display(self) -> str:
        """Known text with each unknown piece as ``[expression]``."""
        return "".join(p if isinstance(p, str) else f"[{p.expression}]" for p in self.parts)


@dataclass(frozen=True, slots=True)
class UnknownId(Unknown):
    """A resource id whose scope is unknown: ``type`` plus ``names`` (one per segment)."""

    type: str = ""
    names: tuple[Name, ...] = ()
    resource_group: Name | None = None
    scope: Unknown | str | None = None  # the base id of an extension resource


@dataclass(frozen=True, slots=True)
class Reference(Unknown):
    """``reference(target)`` or a property of it; ``target`` is the evaluated first argument
    (a string id, an :class:`UnknownId`, a symbolic name) or an :class:`Unknown`."""

    target: object = None


def name_key(value: object) -> object:
    """A comparison key for a name: lower-cased text, or the unknown's structure."""
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, PartialString):
        return tuple(name_key(p) for p in value.parts)
    if isinstance(value, Unknown):
        return ("?", " ".join(value.expression.split()))
    return repr(value)


def split_type(full_type: str) -> tuple[str, list[str]]:
    """``Microsoft.Compute/virtualMachines/extensions`` -> (namespace, [segments])."""
    namespace, _, rest = full_type.partition("/")
    return namespace, [s for s in rest.split("/") if s]


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


def id_key(value: object) -> IdKey | None:
    """A comparison key for a resource id (string or :class:`UnknownId`), or None."""
    parsed = parse_id(value)
    if parsed is None:
        return None
    full_type, names = parsed
    return full_type.lower(), tuple(name_key(n) for n in names)


def split_name(name: Any) -> tuple[Name, ...]:
    """The ``/`` segments of a resource name (unknown pieces stay whole)."""
    if isinstance(name, str):
        return tuple(p for p in name.split("/") if p)
    if not isinstance(name, PartialString):
        return (name,) if isinstance(name, Unknown) else (str(name),)
    segments: list[list[Name]] = [[]]
    for part in name.parts:
        if isinstance(part, str):
            pieces = part.split("/")
            segments[-1].append(pieces[0])
            segments.extend([p] for p in pieces[1:])
        else:
            segments[-1].append(part)
    return tuple(_join(s) for s in segments if s and s != [""])


def _join(parts: list[Name]) -> Name:
    clean = [p for p in parts if p != ""]
    if all(isinstance(p, str) for p in clean):
        return "".join(p for p in clean if isinstance(p, str))
    if len(clean) == 1:
        return clean[0]
    text = "".join(p if isinstance(p, str) else p.expression for p in clean)
    return PartialString(text, tuple(clean))
