"""Values the ARM evaluator produces besides plain JSON, and case-insensitive reads.

The two classes (defined in :mod:`azbackup_policy.arm_values`, which linkers share) are
:class:`~azbackup_policy.model.Unknown` (rules treat them as unknown), but they keep
enough structure for linking:

* :class:`PartialString` -- a string of which some parts are unknown, e.g. the
  protected-item name ``concat(vault, '/Azure/iaasvmcontainer;iaasvmcontainerv2;',
  resourceGroup().name, ';', vm)``. Its known parts still tell the vault and the VM.
* :class:`UnknownId` -- a ``resourceId()`` whose subscription or resource group is not
  known. It keeps the resource type and the name segments, so two ids built for the
  same resource in one template compare equal without inventing a subscription.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# The value types and helpers linkers need too live in azbackup_policy.arm_values.
from azbackup_policy.arm_values import Name as Name
from azbackup_policy.arm_values import PartialString as PartialString
from azbackup_policy.arm_values import UnknownId as UnknownId
from azbackup_policy.arm_values import name_key as name_key
from azbackup_policy.arm_values import parse_id as parse_id
from azbackup_policy.arm_values import split_type as split_type
from azbackup_policy.model import Unknown


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


def id_string(subscription: str, resource_group: str | None, full_type: str,
              names: Iterable[str]) -> str:
    """The ARM id text of a resource in a resource group (or subscription)."""
    namespace, segments = split_type(full_type)
    tail = "/".join(f"{s}/{n}" for s, n in zip(segments, names, strict=False))
    base = f"/subscriptions/{subscription}"
    if resource_group is not None:
        base += f"/resourceGroups/{resource_group}"
    return f"{base}/providers/{namespace}/{tail}"
