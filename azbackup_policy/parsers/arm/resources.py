"""One expanded resource instance -> a :class:`Resource` (body, id, spans, comments)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from azbackup_policy.arm_values import split_name as split_name
from azbackup_policy.document import Resource
from azbackup_policy.model import SourceSpan, Unknown
from azbackup_policy.parsers.arm.evaluator import Evaluator, Frame, JsonPath
from azbackup_policy.parsers.arm.spans import property_spans, suppression_texts
from azbackup_policy.parsers.arm.values import (
    Keys,
    PartialString,
    UnknownId,
    get_ci,
    id_string,
    split_type,
)

# Keys of a resource object that are not part of the resource itself.
_NOT_BODY = {"type", "apiversion", "dependson", "copy", "condition", "comments",
             "resources", "metadata", "existing", "batchsize", "import"}
# Keys of a nested deployment read by the deployment reader, not evaluated here.
_DEPLOYMENT_RAW = {"template", "parameters"}
# Secret property paths: their values never reach the Document.
_SECRETS = (("properties", "osProfile", "adminPassword"), ("properties", "protectedSettings"))
HIDDEN = Unknown("(secret value)")


@dataclass(frozen=True, slots=True)
class Instance:
    raw: dict[str, Any]
    path: JsonPath
    frame: Frame
    type: str
    name: Any
    condition: Unknown | None
    address: str
    keys: Keys | None = None  # case-insensitive reads of ``raw``


def resource_id(item: Instance, body: dict[str, Any], evaluator: Evaluator) -> Any:
    """The evaluated id of the instance (an UnknownId when the scope is unknown)."""
    names = split_name(item.name)
    namespace, segments = split_type(item.type)
    if len(names) != len(segments):
        return Unknown(f"id of {item.type} {_text(item.name)}")
    scope = body.get("scope")
    if scope is not None:
        tail = "/".join(f"{s}/{n}" for s, n in zip(segments, names, strict=True))
        if isinstance(scope, str) and all(isinstance(n, str) for n in names):
            return f"{scope.rstrip('/')}/providers/{namespace}/{tail}"
        return UnknownId(f"{_text(scope)}/providers/{item.type}/{_text(item.name)}",
                         item.type, names, scope=scope)
    sub, group = evaluator.scope.subscription_id, evaluator.scope.resource_group
    if evaluator.scope.level != "resourceGroup":
        return _above_group_id(evaluator.scope.level, sub, item.type, names)
    if all(isinstance(v, str) for v in (sub, group, *names)):
        return id_string(sub, group, item.type, names)  # type: ignore[arg-type]
    quoted = ", ".join(_text(n) if isinstance(n, Unknown) else f"'{n}'" for n in names)
    known_group = group if isinstance(group, str) else None
    return UnknownId(f"resourceId('{item.type}', {quoted})", item.type, names,
                     resource_group=known_group)


_LEVEL_FUNCTIONS: dict[str, tuple[str, Unknown | str]] = {
    "subscription": ("subscriptionResourceId", Unknown("subscription().id")),
    "managementGroup": ("managementGroupResourceId", Unknown("managementGroup().id")),
    "tenant": ("tenantResourceId", "/"),
}


def _above_group_id(level: str, sub: Any, full_type: str, names: Sequence[Any]) -> Any:
    """The id of a resource a subscription, management-group or tenant template deploys;
    an UnknownId keeps that scope (its ``scope``) when the id is not known."""
    known = all(isinstance(n, str) for n in names)
    if level == "subscription" and isinstance(sub, str) and known:
        return id_string(sub, None, full_type, names)
    if level == "tenant" and known:
        namespace, segments = split_type(full_type)
        return "/providers/" + namespace + "/" + "/".join(
            f"{s}/{n}" for s, n in zip(segments, names, strict=True))
    function, scope = _LEVEL_FUNCTIONS[level]
    quoted = ", ".join(_text(n) if isinstance(n, Unknown) else f"'{n}'" for n in names)
    return UnknownId(f"{function}('{full_type}', {quoted})", full_type, tuple(names),
                     scope=scope)


def _text(value: Any) -> str:
    if isinstance(value, PartialString):
        return value.display()
    return value.expression if isinstance(value, Unknown) else str(value)


def raw_body(raw: dict[str, Any]) -> dict[str, Any]:
    """The keys of a resource declaration that make its body."""
    return {k: v for k, v in raw.items() if k.lower() not in _NOT_BODY}


def evaluate_body(item: Instance, evaluator: Evaluator, raw_body: dict[str, Any]
                  ) -> dict[str, Any]:
    body: dict[str, Any] = {}
    deployment = item.type.lower() == "microsoft.resources/deployments"
    for key, raw in raw_body.items():
        path = (*item.path, key)
        if key.lower() == "name":
            body[key] = item.name
        elif deployment and key.lower() == "properties" and isinstance(raw, dict):
            body[key] = {k: evaluator.value(v, (*path, k), item.frame)
                         for k, v in raw.items() if k.lower() not in _DEPLOYMENT_RAW}
        else:
            body[key] = evaluator.value(raw, path, item.frame)
    return body


def hide_secrets(body: dict[str, Any]) -> frozenset[str]:
    hidden: set[str] = set()
    for secret in _SECRETS:
        holder: Any = body
        for key in secret[:-1]:
            holder = get_ci(holder, key) if isinstance(holder, dict) else None
        if isinstance(holder, dict):
            for key in list(holder):
                if key.lower() == secret[-1].lower():
                    holder[key] = HIDDEN
                    hidden.add(".".join(secret))
    return frozenset(hidden)


def build_resource(item: Instance, evaluator: Evaluator, base: JsonPath,
                   comments: Sequence[tuple[int, str]],
                   id_leaves: list[tuple[str, Any]] | None = None) -> Resource:
    """The Resource of ``item``; ``id_leaves`` gets the body's leaves that may be ids."""
    scope = evaluator.scope
    keys = item.keys or Keys(item.raw)
    raw = raw_body(item.raw)
    body = evaluate_body(item, evaluator, raw)
    sensitive = hide_secrets(body)
    span: SourceSpan = scope.span(item.path)
    spans = property_spans(raw, body, item.path, scope.positions, span, id_leaves)
    existing = keys.get("existing")
    api_version = keys.get("apiVersion")
    return Resource(
        type=item.type,
        address=item.address,
        span=span,
        properties=body,
        property_spans=spans,
        id=resource_id(item, body, evaluator),
        mode="data" if existing is True else "managed",
        api_version=api_version if isinstance(api_version, str) else None,
        condition=item.condition,
        sensitive_paths=sensitive,
        comments=suppression_texts(keys, span, comments),
    )
