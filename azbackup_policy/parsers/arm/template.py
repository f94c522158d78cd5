"""Read one ARM template (already loaded as a dict) into :class:`Resource` records.

Handles parameters (secure ones become unknown), variables (with ``copy``), resources
as an array or as the languageVersion 2.0 object, resource and property ``copy``,
``condition``, nested child resources and nested deployments (see :mod:`.deployments`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from azbackup_policy.document import NotFollowed, Resource
from azbackup_policy.errors import InputError
from azbackup_policy.model import Unknown
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers.arm.evaluator import (
    SECURE,
    Evaluator,
    Frame,
    JsonPath,
    Scope,
)
from azbackup_policy.parsers.arm.functions import all_functions
from azbackup_policy.parsers.arm.resources import Instance, build_resource
from azbackup_policy.parsers.arm.secure import is_secure, redact
from azbackup_policy.parsers.arm.values import Keys, PartialString, get_ci, make_string
from azbackup_policy.parsers.budget import Budget, BudgetExceeded

DEPLOYMENTS = "microsoft.resources/deployments"


@dataclass(slots=True)
class Output:
    """What reading a template (and the templates it calls) accumulates."""

    context: ParseContext
    resources: list[Resource] = field(default_factory=list)
    # Per resource: its body's leaves that may be ids, found by the span walk.
    id_leaves: list[list[tuple[str, Any]]] = field(default_factory=list)
    not_followed: list[NotFollowed] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    comments: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    real_paths: dict[str, str] = field(default_factory=dict)  # shown file -> real path
    # Linked templates not followed -> the id leaves of the parameters they are given.
    given_ids: dict[int, list[tuple[str, Any]]] = field(default_factory=dict)

    def add(self, resource: Resource, id_leaves: list[tuple[str, Any]]) -> None:
        if len(self.resources) >= self.context.options.max_resources:
            span = resource.span
            raise InputError(span.file, span.line, span.column,
                             f"more than {self.context.options.max_resources} resources")
        self.resources.append(resource)
        self.id_leaves.append(id_leaves)


@dataclass(frozen=True, slots=True)
class Place:
    """Where a template sits: its file, the JSON path of its root, the address prefix."""

    file: str
    base: JsonPath = ()
    prefix: str = ""
    depth: int = 0
    chain: tuple[str, ...] = ()  # files of the linked templates above, for cycles


@dataclass(frozen=True, slots=True)
class Parent:
    type: str
    name: Any
    frame: Frame
    condition: Unknown | None
    address: str


def bind_parameters(evaluator: Evaluator, template: Mapping[str, Any], place: Place,
                    given: Mapping[str, Any]) -> None:
    """Fill the scope's parameters: secure -> unknown, given value, default, unknown."""
    declared = get_ci(template, "parameters") or {}
    if not isinstance(declared, dict):
        raise evaluator.scope.error((*place.base, "parameters"), "parameters must be an object")
    supplied = {k.lower(): v for k, v in given.items()}
    definitions = get_ci(template, "definitions")
    for name, spec in declared.items():
        path = (*place.base, "parameters", name)
        spec = spec if isinstance(spec, dict) else {}
        if is_secure(spec, definitions):
            value: Any = SECURE
        elif name.lower() in supplied:
            value = redact(supplied[name.lower()], spec, definitions)
        elif get_ci(spec, "defaultValue", _NO) is not _NO:
            evaluator.scope.defaults[name.lower()] = (
                redact(get_ci(spec, "defaultValue"), spec, definitions), (*path, "defaultValue"))
            continue
        else:  # inside a nested deployment the text names it, so modules never collide
            value = Unknown(f"{place.prefix}parameters('{name}')")
        evaluator.scope.parameters[name.lower()] = value


_NO = object()


def bind_variables(scope: Scope, template: Mapping[str, Any], place: Place) -> None:
    declared = get_ci(template, "variables") or {}
    if not isinstance(declared, dict):
        raise scope.error((*place.base, "variables"), "variables must be an object")
    for name, raw in declared.items():
        path = (*place.base, "variables")
        if name.lower() == "copy" and isinstance(raw, list):
            for spec in raw:
                loop = get_ci(spec, "name") if isinstance(spec, dict) else None
                if isinstance(loop, str):
                    scope.variables[loop.lower()] = ({"copy": [spec]}, path, loop)
            continue
        scope.variables[name.lower()] = (raw, (*path, name), None)


def bind_functions(scope: Scope, template: Mapping[str, Any], place: Place) -> None:
    """User-defined functions; one that is not well formed is left out (a call to it is
    then unknown, as any function the evaluator does not know)."""
    declared = get_ci(template, "functions")
    for n, group in enumerate(declared if isinstance(declared, list) else ()):
        namespace = get_ci(group, "namespace") if isinstance(group, dict) else None
        members = get_ci(group, "members") if isinstance(group, dict) else None
        if not isinstance(namespace, str) or not isinstance(members, dict):
            continue
        for name, member in members.items():
            params = get_ci(member, "parameters", []) if isinstance(member, dict) else None
            output = get_ci(member, "output") if isinstance(member, dict) else None
            if not isinstance(params, list) or not isinstance(output, dict):
                continue
            names = tuple(str(get_ci(p, "name", "")).lower() for p in params
                          if isinstance(p, dict))
            path = (*place.base, "functions", n, "members", name, "output", "value")
            scope.user_functions[f"{namespace}.{name}".lower()] = (
                names, get_ci(output, "value"), path)


def evaluator_for(template: Mapping[str, Any], place: Place, positions: Mapping[JsonPath, Any],
                  context: ParseContext, given: Mapping[str, Any],
                  problems: list[InputError] | None = None, **deployment: Any,
                  ) -> Evaluator:
    deployment.setdefault("budget", Budget(context.options.limits))
    scope = Scope(place.file, positions, max_loop_count=context.options.max_loop_count,
                  problems=[] if problems is None else problems, level=deployment_level(template),
                  **deployment)
    evaluator = Evaluator(scope, all_functions())
    bind_functions(scope, template, place)
    bind_variables(scope, template, place)
    bind_parameters(evaluator, template, place, given)
    return evaluator


_LEVELS = (("subscriptiondeploymenttemplate", "subscription"),
           ("managementgroupdeploymenttemplate", "managementGroup"),
           ("tenantdeploymenttemplate", "tenant"))


def deployment_level(template: Mapping[str, Any]) -> str:
    """Where a template deploys, from its ``$schema`` (resource group when it says nothing)."""
    schema = get_ci(template, "$schema")
    text = schema.lower() if isinstance(schema, str) else ""
    return next((level for marker, level in _LEVELS if marker in text), "resourceGroup")


def read_resources(template: Mapping[str, Any], evaluator: Evaluator, place: Place,
                   out: Output) -> None:
    """Expand every resource of ``template`` (evaluated with ``evaluator``) into ``out``."""
    resources = get_ci(template, "resources") or []
    path = (*place.base, "resources")
    if isinstance(resources, dict):
        for symbol, raw in resources.items():
            expand(raw, (*path, symbol), evaluator, place, out, symbol=symbol)
    elif isinstance(resources, list):
        for index, raw in enumerate(resources):
            expand(raw, (*path, index), evaluator, place, out)
    else:
        raise evaluator.scope.error(path, "resources must be an array or an object")


def expand(raw: Any, path: JsonPath, evaluator: Evaluator, place: Place, out: Output,
           *, symbol: str | None = None, parent: Parent | None = None) -> None:
    """One resource declaration -> zero or more instances (condition and copy)."""
    if not isinstance(raw, dict):
        raise evaluator.scope.error(path, "a resource must be an object")
    frame = parent.frame if parent else Frame()
    keys = Keys(raw)
    spec = keys.get("copy")
    if isinstance(spec, dict):
        name = evaluator.value(get_ci(spec, "name"), (*path, "copy", "name"), frame)
        count = evaluator.copy_count(get_ci(spec, "count"), (*path, "copy", "count"), frame)
        loop = name if isinstance(name, str) else "copy"
        if isinstance(count, Unknown):
            maybe = Unknown(f"copy count {count.expression}")
            instance(keys, path, evaluator, place, out, symbol, parent,
                     frame.enter(loop, Unknown("copyIndex()")), "[?]", maybe)
            return
        for index in range(count):
            instance(keys, path, evaluator, place, out, symbol, parent,
                     frame.enter(loop, index), f"[{index}]", None)
        return
    try:  # every declaration counts: modules and nested deployments can fan out
        evaluator.scope.budget.expand(1, "a resource")
    except BudgetExceeded as exc:
        raise evaluator.scope.error(path, f"evaluation budget exceeded: {exc}") from None
    instance(keys, path, evaluator, place, out, symbol, parent, frame, "", None)


def instance(keys: Keys, path: JsonPath, evaluator: Evaluator, place: Place,
             out: Output, symbol: str | None, parent: Parent | None, frame: Frame,
             suffix: str, maybe: Unknown | None) -> None:
    raw: dict[str, Any] = keys.mapping  # type: ignore[assignment]
    found = _condition(keys, path, evaluator, frame)
    if found is False:
        return
    inherited = parent.condition if parent else None
    condition: Unknown | None = found if isinstance(found, Unknown) else (
        maybe if maybe is not None else inherited)
    full_type, name = _type_and_name(keys, path, evaluator, frame, parent)
    item = Instance(raw=raw, path=path, frame=frame, type=full_type, name=name,
                    condition=condition, address=_address(symbol, full_type, name, suffix,
                                                          place), keys=keys)
    id_leaves: list[tuple[str, Any]] = []
    resource = build_resource(item, evaluator, place.base,
                              out.comments.get(place.file, []), id_leaves)
    out.add(resource, id_leaves)
    if full_type.lower() == DEPLOYMENTS:
        from azbackup_policy.parsers.arm.deployments import read_deployment

        read_deployment(item, resource, evaluator, place, out)
    children = keys.get("resources")
    if isinstance(children, list):
        here = Parent(full_type, name, frame, condition, item.address)
        for index, child in enumerate(children):
            expand(child, (*path, "resources", index), evaluator, place, out, parent=here)


def _condition(keys: Keys, path: JsonPath, evaluator: Evaluator,
               frame: Frame) -> bool | Unknown:
    raw = keys.get("condition", _NO)
    if raw is _NO:
        return True
    value = evaluator.value(raw, (*path, "condition"), frame)
    if isinstance(value, Unknown):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise evaluator.scope.error((*path, "condition"),
                                    f"condition must be a bool, not {value!r}")
    return value


def _type_and_name(keys: Keys, path: JsonPath, evaluator: Evaluator, frame: Frame,
                   parent: Parent | None) -> tuple[str, Any]:
    kind = keys.get("type")
    if not isinstance(kind, str) or not kind:
        raise evaluator.scope.error(path, "a resource needs a literal 'type'")
    name = evaluator.value(keys.get("name", ""), (*path, "name"), frame)
    if not isinstance(name, (str, Unknown)):
        raise evaluator.scope.error((*path, "name"),
                                    f"a resource name must be a string, not {_json_type(name)}")
    if parent is None:
        return kind, name
    if kind.lower().startswith(parent.type.lower() + "/"):
        return kind, name
    joined = make_string([parent.name, "/", name], f"{_text(parent.name)}/{_text(name)}")
    return f"{parent.type}/{kind}", joined


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "an array" if isinstance(value, list) else "an object"


def _text(value: Any) -> str:
    if isinstance(value, PartialString):
        return value.display()
    return value.expression if isinstance(value, Unknown) else str(value)


def _address(symbol: str | None, full_type: str, name: Any, suffix: str, place: Place) -> str:
    local = symbol if symbol is not None else f"{full_type}/{_text(name)}"
    return f"{place.prefix}{local}{suffix}"
