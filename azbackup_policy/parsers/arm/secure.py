"""Which parts of a parameter value are secret, read from the parameter's type.

A parameter is secret when its type is ``securestring`` or ``secureObject``, directly
or through ``$ref`` to a definition (``languageVersion`` 2.0; what Bicep makes of a
``@secure()`` user-defined type). An object or array type may mark only some of its
properties or items secure (Bicep ``@secure()`` on an object property). Those parts of
a value - the default, a parameter-file value, a value passed to a nested deployment -
become :data:`SECURE` before anything reads them, so no message, address or report can
quote them. A value the schema cannot be walked into (an expression where the type has
secure parts) is secret as a whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azbackup_policy.parsers.arm.evaluator import SECURE
from azbackup_policy.parsers.arm.values import get_ci

SECURE_TYPES = frozenset({"securestring", "secureobject"})
_MAX_REFS = 64  # a $ref chain longer than this (or a cycle) is read as "any type"
_DEFINITIONS = "#/definitions/"


def _target(ref: str, definitions: object) -> Mapping[str, Any] | None:
    """The schema ``ref`` points at: ``#/definitions/name``, then ``/properties/p``,
    ``/items``, ``/additionalProperties`` steps (a Bicep ``myType.p``); a first name that
    is not a definition followed by ``/properties/t`` is a Bicep namespace (``ns.t``)."""
    if not (ref.startswith(_DEFINITIONS) and isinstance(definitions, Mapping)):
        return None
    parts = ref[len(_DEFINITIONS):].split("/")
    node = get_ci(definitions, parts[0])
    if node is None and parts[1:2] == ["properties"] and len(parts) > 2:
        node, parts = get_ci(definitions, parts[2]), parts[2:]
    for part in parts[1:]:
        inner = get_ci(node, "$ref") if isinstance(node, Mapping) else None
        if isinstance(inner, str) and inner.count("/") == 2:  # one plain step, no recursion
            node = get_ci(definitions, inner[len(_DEFINITIONS):])
        node = get_ci(node, part) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else None


def resolve(spec: object, definitions: object) -> Mapping[str, Any]:
    """``spec`` with its ``$ref`` chain followed (the referring keys win)."""
    schema: Mapping[str, Any] = spec if isinstance(spec, Mapping) else {}
    for _ in range(_MAX_REFS):
        ref = get_ci(schema, "$ref")
        if not isinstance(ref, str):
            return schema
        target = _target(ref, definitions)
        if target is None:
            return {}
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return {}


def is_secure(spec: object, definitions: object) -> bool:
    """True when the whole value of ``spec``'s type is secret."""
    return str(get_ci(resolve(spec, definitions), "type", "")).lower() in SECURE_TYPES


def _parts(schema: Mapping[str, Any]) -> list[object]:
    """The schemas of the properties and items inside ``schema``."""
    parts: list[object] = []
    properties = get_ci(schema, "properties")
    if isinstance(properties, Mapping):
        parts.extend(properties.values())
    for key in ("additionalProperties", "items"):
        parts.append(get_ci(schema, key))
    prefix = get_ci(schema, "prefixItems")
    if isinstance(prefix, list):
        parts.extend(prefix)
    return [part for part in parts if isinstance(part, Mapping)]


def has_secure(spec: object, definitions: object, memo: dict[str, bool] | None = None) -> bool:
    """True when any part of ``spec``'s type is secret (each definition looked at once,
    so cycles and shared definitions cost nothing)."""
    memo = {} if memo is None else memo
    if not isinstance(spec, Mapping):
        return False
    ref = get_ci(spec, "$ref")
    if isinstance(ref, str):
        if ref not in memo:
            memo[ref] = False  # while it is being read: a cycle adds nothing
            memo[ref] = has_secure(_target(ref, definitions), definitions, memo)
        return memo[ref]
    if str(get_ci(spec, "type", "")).lower() in SECURE_TYPES:
        return True
    return any(has_secure(part, definitions, memo) for part in _parts(spec))


def redact(value: Any, spec: object, definitions: object) -> Any:
    """``value`` with every part its type marks secure replaced by :data:`SECURE`."""
    if not has_secure(spec, definitions):
        return value
    schema = resolve(spec, definitions)
    if str(get_ci(schema, "type", "")).lower() in SECURE_TYPES:
        return SECURE
    if isinstance(value, dict):
        return {key: redact(item, _property(schema, key), definitions)
                for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, _item(schema, index), definitions)
                for index, item in enumerate(value)]
    return SECURE  # an expression or a value of another shape: cannot tell the parts


def _property(schema: Mapping[str, Any], key: str) -> object:
    properties = get_ci(schema, "properties")
    declared = get_ci(properties, key) if isinstance(properties, Mapping) else None
    return declared if declared is not None else get_ci(schema, "additionalProperties")


def _item(schema: Mapping[str, Any], index: int) -> object:
    prefix = get_ci(schema, "prefixItems")
    if isinstance(prefix, list) and index < len(prefix):
        return prefix[index]
    return get_ci(schema, "items")
