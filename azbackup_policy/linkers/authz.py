"""Role and policy assignments (MATRIX.md A19, C16), shared by both vocabularies.

Pure helpers over evaluated values: the level of a scope id, the GUID of a role or policy
definition id, and the parameters of a policy assignment. Nothing is guessed: a value that
cannot be read stays :class:`Unknown` (or None when it is not set).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from azbackup_policy.arm_values import UnknownId
from azbackup_policy.model import Unknown

_GROUP = re.compile(r"^/subscriptions/[^/]+/resourcegroups/[^/]+/?$", re.IGNORECASE)
_SUBSCRIPTION = re.compile(r"^/subscriptions/[^/]+/?$", re.IGNORECASE)
_MANAGEMENT_GROUP = re.compile(
    r"^/providers/microsoft\.management/managementgroups/[^/]+/?$", re.IGNORECASE)
# Expressions whose value is the id of a known kind of scope (ARM functions).
_EXPRESSIONS = {"resourcegroup().id": "resourceGroup", "subscription().id": "subscription",
                "managementgroup().id": "managementGroup", "tenant().id": "tenant"}


def scope_level(value: object) -> Any:
    """``"resource"``, ``"resourceGroup"``, ``"subscription"``, ``"managementGroup"`` or
    ``"tenant"`` for a scope id; an Unknown when the id is unknown; None when not set."""
    if value is None:
        return None
    if isinstance(value, UnknownId):
        if isinstance(value.scope, str):
            return scope_level(value.scope)
        if isinstance(value.scope, Unknown):
            return _EXPRESSIONS.get(value.scope.expression.lower(), value.scope)
        return "resource"  # an id built for a resource type (resourceId(...))
    if isinstance(value, Unknown):
        return _EXPRESSIONS.get(value.expression.replace(" ", "").lower(), value)
    if not isinstance(value, str):
        return Unknown(repr(value))
    text = value.strip()
    if text in ("", "/"):
        return "tenant"
    for pattern, level in ((_GROUP, "resourceGroup"), (_SUBSCRIPTION, "subscription"),
                           (_MANAGEMENT_GROUP, "managementGroup")):
        if pattern.match(text):
            return level
    return "resource"  # a resource id, or Bicep's relative form Namespace/type/name


def definition_guid(value: object) -> Any:
    """The last segment of a role or policy definition id (its GUID or name)."""
    if isinstance(value, UnknownId):
        last = value.names[-1] if value.names else None
        return last if isinstance(last, str) else value
    if isinstance(value, str):
        return value.rstrip("/").rsplit("/", 1)[-1] or None
    return value if isinstance(value, Unknown) else None


def policy_parameters(value: object) -> Any:
    """A policy assignment's parameters, ``{name: value}``, from the ``{name: {value: v}}``
    object (ARM) or its JSON text (azurerm ``parameters``); Unknown when not readable."""
    if value is None:
        return {}
    if isinstance(value, str):
        text = value
        try:
            value = json.loads(text)
        except ValueError:
            return Unknown(f"parameters {text[:40]!r} (not JSON)")
    if isinstance(value, Unknown) or not isinstance(value, Mapping):
        return value if isinstance(value, Unknown) else Unknown("parameters (not an object)")
    out: dict[str, Any] = {}
    for name, spec in value.items():
        out[str(name)] = spec.get("value") if isinstance(spec, Mapping) else spec
    return out
