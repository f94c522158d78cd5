"""ARM functions about the deployment: resource ids, scope objects and ``copyIndex``.

The subscription and resource group of a deployment are unknown unless a nested
deployment names them; ``resourceId()`` then gives an
:class:`~azbackup_policy.parsers.arm.values.UnknownId` that keeps the type and names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azbackup_policy.model import Unknown
from azbackup_policy.parsers.arm.evaluator import Context, ExprError, Function
from azbackup_policy.parsers.arm.values import (
    Name,
    PartialString,
    UnknownId,
    id_string,
    split_type,
)


def _quote(value: Any) -> str:
    if isinstance(value, PartialString):
        return value.display()
    if isinstance(value, Unknown):
        return " ".join(value.expression.split())
    return "'" + str(value).replace("'", "''") + "'"


def _names(values: list[Any]) -> tuple[Name, ...]:
    names: list[Name] = []
    for value in values:
        if isinstance(value, Unknown):
            names.append(value)
        elif isinstance(value, (dict, list)) or value is None:
            raise ExprError("a resource name must be a string")
        else:
            names.extend(p for p in str(value).split("/") if p)
    return tuple(names)


class _Unresolvable(Exception):
    """An id whose shape cannot be told because a part is unknown."""


def _type_position(args: list[Any]) -> int:
    for index, value in enumerate(args):
        if isinstance(value, str) and "/" in value and "." in value.split("/")[0]:
            return index
    if any(isinstance(a, Unknown) for a in args):
        raise _Unresolvable
    raise ExprError("no resource type (Namespace/type) among the arguments")


def _unknown_id(func: str, full_type: str, names: tuple[Name, ...], **scope: Any) -> UnknownId:
    text = f"{func}({', '.join(_quote(v) for v in (full_type, *names))})"
    return UnknownId(text, full_type, names, **scope)


def _resource_id(ctx: Context, args: list[Any]) -> Any:
    position = _type_position(args)
    before = args[:position]
    scope = ctx.evaluator.scope
    subscription = before[0] if len(before) == 2 else scope.subscription_id
    group = before[-1] if before else scope.resource_group
    full_type, names = args[position], _names(args[position + 1:])
    _check_segments(full_type, names)
    known = [subscription, group, *names]
    if all(isinstance(v, str) for v in known):
        return id_string(subscription, group, full_type, names)  # type: ignore[arg-type]
    shown_group = group if len(before) else None
    return _unknown_id("resourceId", full_type, names, resource_group=shown_group)


def _check_segments(full_type: str, names: tuple[Name, ...]) -> None:
    _, segments = split_type(full_type)
    if len(segments) != len(names):
        if any(isinstance(n, Unknown) for n in names):
            raise _Unresolvable
        raise ExprError(
            f"{full_type} needs {len(segments)} name segment(s), got {len(names)}"
        )


def _subscription_resource_id(ctx: Context, args: list[Any]) -> Any:
    position = _type_position(args)
    subscription = args[0] if position == 1 else ctx.evaluator.scope.subscription_id
    full_type, names = args[position], _names(args[position + 1:])
    _check_segments(full_type, names)
    if all(isinstance(v, str) for v in (subscription, *names)):
        return id_string(subscription, None, full_type, names)  # type: ignore[arg-type]
    return _unknown_id("subscriptionResourceId", full_type, names)


def _tenant_resource_id(ctx: Context, args: list[Any]) -> Any:
    position = _type_position(args)
    full_type, names = args[position], _names(args[position + 1:])
    _check_segments(full_type, names)
    if all(isinstance(v, str) for v in names):
        return _tail(full_type, names)  # type: ignore[arg-type]
    return _unknown_id("tenantResourceId", full_type, names)


def _tail(full_type: str, names: tuple[str, ...]) -> str:
    namespace, segments = split_type(full_type)
    pairs = "/".join(f"{s}/{n}" for s, n in zip(segments, names, strict=True))
    return f"/providers/{namespace}/{pairs}"


def _extension_resource_id(ctx: Context, args: list[Any]) -> Any:
    if len(args) < 3:
        raise ExprError("extensionResourceId() needs a base id, a type and a name")
    base, full_type, names = args[0], args[1], _names(args[2:])
    if not isinstance(full_type, str):
        return ctx.unknown()
    _check_segments(full_type, names)
    if isinstance(base, str) and all(isinstance(v, str) for v in names):
        return base.rstrip("/") + _tail(full_type, names)  # type: ignore[arg-type]
    text = f"extensionResourceId({_quote(base)}, {_quote(full_type)}, " \
        f"{', '.join(_quote(n) for n in names)})"
    return UnknownId(text, full_type, names, scope=base)


def _resource_group(ctx: Context, args: list[Any]) -> Any:
    scope = ctx.evaluator.scope
    group, subscription = scope.resource_group, scope.subscription_id
    group_id: Any = Unknown("resourceGroup().id")
    if isinstance(group, str) and isinstance(subscription, str):
        group_id = f"/subscriptions/{subscription}/resourceGroups/{group}"
    return {
        "id": group_id,
        "name": group,
        "type": "Microsoft.Resources/resourceGroups",
        "location": Unknown("resourceGroup().location"),
        "managedBy": Unknown("resourceGroup().managedBy"),
        "tags": Unknown("resourceGroup().tags"),
        "properties": Unknown("resourceGroup().properties"),
    }


def _subscription(ctx: Context, args: list[Any]) -> Any:
    subscription = ctx.evaluator.scope.subscription_id
    sub_id: Any = Unknown("subscription().id")
    if isinstance(subscription, str):
        sub_id = f"/subscriptions/{subscription}"
    return {
        "id": sub_id,
        "subscriptionId": subscription,
        "tenantId": Unknown("subscription().tenantId"),
        "displayName": Unknown("subscription().displayName"),
    }


def _deployment(ctx: Context, args: list[Any]) -> Any:
    link = ctx.evaluator.scope.template_link
    properties: Any = Unknown("deployment().properties")
    if link is not None:  # only while a linked template's place is worked out
        properties = {"templateLink": {"uri": link}}
    return {
        "name": ctx.evaluator.scope.deployment_name,
        "location": Unknown("deployment().location"),
        "properties": properties,
    }


def _uri(ctx: Context, args: list[Any]) -> Any:
    """``uri(base, relative)`` as the ARM docs state it: a base ending in ``/`` is
    followed by the relative part (one slash where both have one); otherwise what follows
    the base's last ``/`` (after the ``//`` of the scheme) is replaced by it."""
    if len(args) != 2 or not all(isinstance(a, str) for a in args):
        raise ExprError("uri() takes two strings")
    base, relative = args
    if base.endswith("/"):
        return base + relative.removeprefix("/")
    scheme_end = base.find("//") + 2 if "//" in base else 0
    cut = base.rfind("/", scheme_end)
    return base + relative if cut < 0 else base[:cut + 1] + relative.removeprefix("/")


def _copy_index(ctx: Context, args: list[Any]) -> Any:
    if len(args) > 2:
        raise ExprError("copyIndex() takes at most 2 arguments")
    name = next((a for a in args if isinstance(a, str)), None)
    offset = next((a for a in args if isinstance(a, int) and not isinstance(a, bool)), 0)
    if any(isinstance(a, Unknown) for a in args):
        return ctx.unknown()
    frame = ctx.frame
    wanted = name.lower() if name is not None else frame.current
    for loop, index in reversed(frame.indexes):
        if loop == wanted:
            return index if isinstance(index, Unknown) else index + offset
    where = f"loop {name!r}" if name else "a copy loop"
    raise ExprError(f"copyIndex() used outside {where}")


def _id_function(function: Function) -> Function:
    def guarded(ctx: Context, args: list[Any]) -> Any:
        try:
            return function(ctx, args)
        except _Unresolvable:
            return ctx.unknown()
    return guarded


SCOPE_FUNCTIONS: Mapping[str, tuple[Function, str]] = {
    "resourceid": (_id_function(_resource_id), "aware"),
    "subscriptionresourceid": (_id_function(_subscription_resource_id), "aware"),
    "tenantresourceid": (_id_function(_tenant_resource_id), "aware"),
    "extensionresourceid": (_id_function(_extension_resource_id), "aware"),
    "resourcegroup": (_resource_group, "aware"),
    "subscription": (_subscription, "aware"),
    "deployment": (_deployment, "aware"),
    "copyindex": (_copy_index, "aware"),
    "uri": (_uri, "strict"),
}
