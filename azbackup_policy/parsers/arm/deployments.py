"""Nested ``Microsoft.Resources/deployments``: inline templates and local linked ones.

* Inline ``properties.template`` with ``expressionEvaluationOptions.scope`` ``outer``
  (the ARM default) is evaluated with the parent's parameters and variables; ``inner``
  gets its own, filled from ``properties.parameters``.
* ``templateLink.relativePath`` is read through the loader (inner scope always).
* ``templateLink.uri`` built from the template's own location (``_artifactsLocation``
  defaulting to ``deployment().properties.templateLink.uri``, the quickstart convention)
  is read as the file at that path beside the template (:func:`beside_template`).
* Any other ``templateLink.uri``, ``id`` and ``parametersLink`` are recorded as not
  followed.
Resources inside get the deployment's address and ``/`` as prefix.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from azbackup_policy.document import NotFollowed, Resource
from azbackup_policy.errors import InputError
from azbackup_policy.model import Unknown
from azbackup_policy.parsers.arm.evaluator import SECURE, Evaluator
from azbackup_policy.parsers.arm.links import collect_id_leaves
from azbackup_policy.parsers.arm.resources import Instance
from azbackup_policy.parsers.arm.template import (
    Output,
    Place,
    evaluator_for,
    read_resources,
)
from azbackup_policy.parsers.arm.values import get_ci


def read_deployment(item: Instance, resource: Resource, evaluator: Evaluator, place: Place,
                    out: Output) -> None:
    props = get_ci(item.raw, "properties")
    if not isinstance(props, dict):
        return
    if place.depth >= out.context.options.max_module_depth:
        raise evaluator.scope.error(item.path, "nested deployments are nested too deeply")
    template = get_ci(props, "template")
    link = get_ci(props, "templateLink")
    inner = Place(place.file, (*item.path, "properties", "template"),
                  f"{item.address}/", place.depth + 1, place.chain)
    if isinstance(template, dict):
        _inline(item, template, props, evaluator, inner, out)
    elif isinstance(link, dict):
        _linked(item, resource, link, props, evaluator, inner, out)


def _scope_mode(props: dict[str, Any]) -> str:
    options = get_ci(props, "expressionEvaluationOptions")
    mode = get_ci(options, "scope") if isinstance(options, dict) else None
    return mode.lower() if isinstance(mode, str) else "outer"


def _inline(item: Instance, template: dict[str, Any], props: dict[str, Any],
            evaluator: Evaluator, inner: Place, out: Output) -> None:
    if _scope_mode(props) != "inner":
        read_resources(template, evaluator, inner, out)
        return
    given = _given(item, props, evaluator)
    nested = evaluator_for(template, inner, evaluator.scope.positions, out.context, given,
                           evaluator.scope.problems, **_deployment(item, evaluator))
    read_resources(template, nested, inner, out)


def _given(item: Instance, props: dict[str, Any], evaluator: Evaluator) -> dict[str, Any]:
    """Parameter values passed to the nested template, evaluated in the parent."""
    raw = get_ci(props, "parameters")
    given: dict[str, Any] = {}
    if not isinstance(raw, dict):
        return given
    base = (*item.path, "properties", "parameters")
    for name, spec in raw.items():
        if isinstance(spec, dict) and get_ci(spec, "reference") is not None:
            given[name] = SECURE
        elif isinstance(spec, dict) and "value" in spec:
            value = evaluator.value(spec["value"], (*base, name, "value"), item.frame)
            if value is not None:  # ARM: a null value means "use the default"
                given[name] = value
    return given


def _deployment(item: Instance, evaluator: Evaluator) -> dict[str, Any]:
    scope = evaluator.scope
    group = get_ci(item.raw, "resourceGroup")
    subscription = get_ci(item.raw, "subscriptionId")
    result: dict[str, Any] = {"deployment_name": item.name,
                              "subscription_id": scope.subscription_id,
                              "resource_group": scope.resource_group,
                              "budget": scope.budget}
    if subscription is not None:
        result["subscription_id"] = evaluator.value(
            subscription, (*item.path, "subscriptionId"), item.frame)
        result["resource_group"] = Unknown("resourceGroup().name")
    if group is not None:
        result["resource_group"] = evaluator.value(group, (*item.path, "resourceGroup"),
                                                   item.frame)
    return result


def _linked(item: Instance, resource: Resource, link: dict[str, Any], props: dict[str, Any],
            evaluator: Evaluator, inner: Place, out: Output) -> None:
    span = resource.span
    relative = get_ci(link, "relativePath")
    relative = evaluator.value(relative, (*item.path, "properties", "templateLink",
                                          "relativePath"), item.frame) if relative else None
    loader = out.context.loader
    here = out.real_paths.get(span.file, span.file)
    target = os.path.normpath(os.path.join(os.path.dirname(here), relative)) \
        if isinstance(relative, str) else None
    if target is None:
        relative = beside_template(item, link, evaluator, inner)
        target = _at_root(inner, relative) if relative is not None else None
        if target is None or not loader.exists(target):
            _remote(item, resource, link, props, evaluator, out, relative)
            return
    loader.check_allowed(target, referrer=span.file, line=span.line)
    if loader.real(target) in inner.chain:
        raise InputError(span.file, span.line, span.column,
                         f"linked template {relative} includes itself")
    if get_ci(props, "parametersLink") is not None:
        out.not_followed.append(NotFollowed(span.file, span.line, str(relative),
                                            "parametersLink is not read; parameters unknown"))
    read_linked(target, item, props, evaluator, inner, out)


def _remote(item: Instance, resource: Resource, link: dict[str, Any], props: dict[str, Any],
            evaluator: Evaluator, out: Output, relative: str | None) -> None:
    """A linked template that is not read, with the ids of what it is given."""
    span = resource.span
    source = get_ci(link, "uri") or get_ci(link, "id") or relative
    shown = source.expression if isinstance(source, Unknown) else str(source)
    reason, hint = (f"linked template {relative} is not beside the template",
                    "check the path") if relative is not None else (
        "a remote template is not read", "keep the linked template in the repository and "
        "link it with templateLink.relativePath, or with _artifactsLocation (default: "
        "deployment().properties.templateLink.uri)")
    out.not_followed.append(NotFollowed(span.file, span.line, shown, reason, hint,
                                        item.address))
    leaves: list[tuple[str, Any]] = []
    collect_id_leaves(_given(item, props, evaluator), "", leaves)
    out.given_ids[len(out.not_followed) - 1] = leaves


def read_linked(target: str, item: Instance, props: dict[str, Any], evaluator: Evaluator,
                inner: Place, out: Output) -> None:
    loader = out.context.loader
    shown = loader.display(target)
    from azbackup_policy.parsers.arm import load_template  # the package imports this module

    loaded = load_template(target, shown, out.context)
    if not isinstance(loaded.value, dict):
        raise InputError(shown, 1, 1, "a linked template must be a JSON object")
    out.files.append(shown)
    out.real_paths[shown] = target
    out.comments[shown] = [(c.line, c.text) for c in loaded.comments]
    place = Place(shown, (), inner.prefix, inner.depth,
                  (*inner.chain, loader.real(target)))
    given = _given(item, props, evaluator)
    nested = evaluator_for(loaded.value, place, loaded.positions, out.context, given,
                           evaluator.scope.problems, **_deployment(item, evaluator))
    nested.scope.convention_params = _given_locations(item, props, evaluator, inner)
    read_resources(loaded.value, nested, place, out)


# A host that never resolves (RFC 2606 ``.invalid``) stands for the location of the root
# template; a path under it is relative to the root template's folder.
TEMPLATE_HOST = "templatelink.invalid"
ARTIFACTS_SAS = "_artifactslocationsastoken"


def _at_root(inner: Place, relative: str) -> str:
    return os.path.normpath(os.path.join(os.path.dirname(inner.chain[0]), relative))


def convention(evaluator: Evaluator, inner: Place) -> Evaluator:
    """The evaluator of this template as if deployed from its own location: its
    ``deployment().properties.templateLink.uri`` is its path under :data:`TEMPLATE_HOST`,
    parameter defaults are evaluated again, ``_artifactsLocationSasToken`` is empty, and
    locations given by the template that links this one stay locations."""
    scope = evaluator.scope
    here = os.path.relpath(inner.chain[-1], os.path.dirname(inner.chain[0]))
    given = {k: v for k, v in scope.parameters.items() if k not in scope.defaults}
    given.update(scope.convention_params)
    if ARTIFACTS_SAS in given or ARTIFACTS_SAS in scope.defaults:
        given[ARTIFACTS_SAS] = ""  # a query string, dropped by beside_template
    link = f"https://{TEMPLATE_HOST}/{quote(here.replace(os.sep, '/'))}"
    changed = replace(scope, resolved={}, in_progress=set(), problems=[], parameters=given,
                      template_link=link)
    return Evaluator(changed, evaluator.functions, evaluator.trees)


def beside_template(item: Instance, link: dict[str, Any], evaluator: Evaluator,
                    inner: Place) -> str | None:
    """The path, relative to the root template's folder, that ``templateLink.uri`` names
    when it is built from the template's own location: ``deployment().properties.
    templateLink.uri`` directly or through the ``_artifactsLocation`` parameter whose
    default it is (the quickstart convention, also when a linked template is given it),
    with or without ``_artifactsLocationSasToken``. None for any other URI (a real URL, or
    an ``_artifactsLocation`` given a value)."""
    raw = get_ci(link, "uri")
    if not isinstance(raw, str) or not raw.startswith("["):
        return None
    uri = convention(evaluator, inner).value(
        raw, (*item.path, "properties", "templateLink", "uri"), item.frame)
    return _under_host(uri)


def _under_host(uri: Any) -> str | None:
    if not isinstance(uri, str):
        return None
    parts = urlsplit(uri)
    if parts.scheme != "https" or parts.netloc != TEMPLATE_HOST:
        return None
    return unquote(parts.path).lstrip("/") or None


def _given_locations(item: Instance, props: dict[str, Any], evaluator: Evaluator,
                     inner: Place) -> dict[str, Any]:
    """The parameters a linked template is given that are locations of the root template
    (``_artifactsLocation`` passed down), so that its own links resolve the same way."""
    raw = get_ci(props, "parameters")
    if not isinstance(raw, dict) or not any(
            isinstance(s, dict) and isinstance(s.get("value"), str) for s in raw.values()):
        return {}
    found: dict[str, Any] = {}
    base = (*item.path, "properties", "parameters")
    outer = convention(evaluator, inner)
    for name, spec in raw.items():
        value = spec.get("value") if isinstance(spec, dict) else None
        if isinstance(value, str) and value.startswith("["):
            located = outer.value(value, (*base, name, "value"), item.frame)
            if isinstance(located, str) and TEMPLATE_HOST in located:
                found[name.lower()] = located
    return found
