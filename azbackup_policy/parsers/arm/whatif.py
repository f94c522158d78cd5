"""ARM what-if results -> one :class:`~azbackup_policy.document.Document` (vocabulary ``arm``).

A what-if result is what Azure Resource Manager itself predicts a deployment will do, with
every expression, copy loop, condition, nested deployment and registry module already
evaluated. Two shapes are read, with keys compared case-insensitively:

* Azure CLI, ``az deployment group|sub|mg|tenant what-if --no-pretty-print``: top-level
  ``status``, ``error``, ``changes`` and ``potentialChanges`` (the REST response, with the
  same lists under ``properties``, is read too);
* Azure PowerShell, ``Get-Az*DeploymentWhatIfResult | ConvertTo-Json -Depth 100``:
  ``Status``, ``Error``, ``Changes`` with ``FullyQualifiedResourceId`` and a ``ChangeType``
  that ``ConvertTo-Json`` writes as the enum's number unless ``-EnumsAsStrings`` is given.

Every change but ``Delete`` gives a Resource from its full payload (``after``, or ``before``
for ``Ignore``, which the deployment leaves as it is); its span is the ``changes[i]`` entry,
or, when the template is at hand (an ARM template or ``.bicep`` file in ``--source-dir`` or
beside the what-if file), the resource's declaration in it, matched by type and evaluated
name, the way ``--source-dir`` points plan findings at ``.tf`` lines.
A change of type ``Unsupported`` has no payload: it is listed as not followed, with the
reason ARM gave. A string still shaped like an ARM expression (``"[reference(...)]"``) is
Unknown. Resource ids are known here, so links are made by id.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from azbackup_policy.discover import Source
from azbackup_policy.document import Document, NotFollowed, Resource
from azbackup_policy.errors import InputError
from azbackup_policy.formats import ARM, BICEP
from azbackup_policy.model import SourceSpan, Unknown
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers.arm import jsonc
from azbackup_policy.parsers.arm.links import add_references
from azbackup_policy.parsers.arm.resources import hide_secrets
from azbackup_policy.parsers.arm.values import get_ci, parse_id

FORMAT = "arm-whatif"
JsonPath = tuple[str | int, ...]

# Azure PowerShell's ChangeType enum, as ConvertTo-Json writes it without -EnumsAsStrings.
_CHANGE_TYPES = ("Create", "Delete", "Ignore", "Deploy", "NoChange", "Modify", "Unsupported")
_BY_LOWER = {name.lower(): name for name in _CHANGE_TYPES}
# Top-level keys of a resource payload that are not part of the ARM resource body.
_NOT_BODY = {"id", "type", "apiversion"}
_RESOURCE_ID_ONLY = (
    "the what-if result has no resource payloads (it was made with --result-format "
    "ResourceIdOnly); run what-if again with --result-format FullResourcePayloads "
    "(the default)"
)


def parse(source: Source, context: ParseContext) -> list[Document]:
    """The Document of the what-if result at ``source.path``."""
    loaded = jsonc.load(context.loader.read_text(source.path), source.path,
                        max_depth=context.options.max_nesting_depth)
    reader = _Reader(source.path, loaded.positions)
    result, base = reader.result_object(loaded.value)
    reader.check_status(result, base)
    resources: list[Resource] = []
    not_followed: list[NotFollowed] = []
    payloads = 0
    for path, change in reader.changes(result, base):
        kind = reader.change_type(change, path)
        if kind == "Delete":
            continue
        payload_key, payload = reader.payload(change, kind)
        if payload is None:
            if kind == "Unsupported":
                not_followed.append(reader.unsupported(change, path))
                continue
            if kind in ("Create", "Modify", "Deploy", "NoChange"):
                raise InputError(*reader.at(path), _RESOURCE_ID_ONLY)
            continue
        payloads += 1
        resources.append(reader.resource(change, payload, (*path, payload_key), kind))
    if len(resources) > context.options.max_resources:
        raise InputError(source.path, 1, 1, f"what-if result has {len(resources)} resources, "
                         f"over the limit of {context.options.max_resources}")
    declarations, files = template_declarations(source, context)
    resources = [_at_declaration(r, declarations) for r in resources]
    return [Document(source.path, FORMAT, "arm", tuple(add_references(resources)),
                     not_followed=tuple(not_followed), files=(source.path, *files))]


DeclarationKey = tuple[str, str]
_TEMPLATES = (ARM, BICEP)  # the formats whose declarations a what-if result points at
_SNIFF_BYTES = 64 * 1024


def template_declarations(source: Source, context: ParseContext
                          ) -> tuple[dict[DeclarationKey, Resource], list[str]]:
    """Resources declared by the templates in ``--source-dir`` or beside the what-if file,
    by (type, name) lower-cased; resources whose name is not known are left out, and a
    template that cannot be read gives nothing (the what-if file stays the location).

    A template is a file of a built-in format whose documents are in the ``arm``
    vocabulary and are read from templates (ARM JSON, Bicep): found and parsed through
    the format table, as discovery would."""
    from azbackup_policy.formats import BUILTIN_FORMATS, format_of_json, format_of_name
    from azbackup_policy.parsers import load_parser

    loader = context.loader
    folder = context.options.source_dir or os.path.dirname(source.path) or "."
    found: dict[DeclarationKey, Resource] = {}
    files: list[str] = []
    for path in loader.list_dir(folder):
        shown = loader.display(path)
        if shown == source.path or loader.is_dir(path):
            continue
        try:
            spec = format_of_name(os.path.basename(path), BUILTIN_FORMATS)
            if spec is None and path.lower().endswith(".json"):
                spec = format_of_json(loader.read_bytes(path)[:_SNIFF_BYTES], BUILTIN_FORMATS)
            if spec is None or spec.name not in _TEMPLATES or spec.parser is None:
                continue
            documents = load_parser(spec.parser)(Source(shown, spec.name, False), context)
        except (InputError, RecursionError):
            continue
        for document in documents:
            files.extend(f for f in document.files or (document.path,) if f not in files)
            for resource in document.resources:
                name = resource.properties.get("name")
                if isinstance(name, str):
                    found.setdefault((resource.type.lower(), name.lower()), resource)
    return found, files


def _at_declaration(resource: Resource, declarations: dict[DeclarationKey, Resource]
                    ) -> Resource:
    name = resource.properties.get("name")
    declared = declarations.get((resource.type.lower(), str(name).lower()))
    if declared is None:
        return resource
    return replace(resource, span=declared.span, property_spans=declared.property_spans,
                   comments=declared.comments)


class _Reader:
    def __init__(self, file: str, positions: Mapping[JsonPath, SourceSpan]) -> None:
        self.file = file
        self.positions = positions

    def span(self, path: JsonPath) -> SourceSpan:
        return self.positions.get(path) or SourceSpan(self.file, 1, 1, 1)

    def at(self, path: JsonPath) -> tuple[str, int, int]:
        span = self.span(path)
        return self.file, span.line, span.column

    def result_object(self, value: Any) -> tuple[dict[str, Any], JsonPath]:
        """The object holding ``changes``: the top level, or the REST response's
        ``properties``."""
        if not isinstance(value, dict):
            raise InputError(self.file, 1, 1, "a what-if result must be a JSON object")
        if get_ci(value, "changes") is None:
            key, inner = _item_ci(value, "properties")
            if isinstance(inner, dict) and get_ci(inner, "changes") is not None:
                return inner, (key,)
        return value, ()

    def check_status(self, result: dict[str, Any], base: JsonPath) -> None:
        key, error = _item_ci(result, "error")
        if isinstance(error, dict) and error:
            code = get_ci(error, "code")
            message = get_ci(error, "message")
            raise InputError(*self.at((*base, key)), "the what-if operation failed: "
                             f"{code or 'error'}: {message or '(no message)'}")
        key, status = _item_ci(result, "status")
        if isinstance(status, str) and status.lower() not in ("succeeded", ""):
            raise InputError(*self.at((*base, key)),
                             f"the what-if operation did not succeed (status {status!r})")

    def changes(self, result: dict[str, Any], base: JsonPath
                ) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
        key, changes = _item_ci(result, "changes")
        if not isinstance(changes, list):
            raise InputError(*self.at((*base, key) if key else base),
                             "a what-if result needs a 'changes' list")
        for index, change in enumerate(changes):
            if not isinstance(change, dict):
                raise InputError(*self.at((*base, key, index)), "a change must be an object")
            yield (*base, key, index), change
        key, potential = _item_ci(result, "potentialChanges")
        for index, change in enumerate(potential if isinstance(potential, list) else ()):
            if isinstance(change, dict):
                yield (*base, key, index), change

    def change_type(self, change: dict[str, Any], path: JsonPath) -> str:
        key, value = _item_ci(change, "changeType")
        if isinstance(value, int) and not isinstance(value, bool) \
                and 0 <= value < len(_CHANGE_TYPES):
            return _CHANGE_TYPES[value]
        if isinstance(value, str) and value.lower() in _BY_LOWER:
            return _BY_LOWER[value.lower()]
        raise InputError(*self.at((*path, key) if key else path),
                         f"unknown changeType {value!r} (one of {', '.join(_CHANGE_TYPES)})")

    def payload(self, change: dict[str, Any], kind: str) -> tuple[str, dict[str, Any] | None]:
        """The full resource payload that describes the resource after the deployment."""
        key, after = _item_ci(change, "after")
        if isinstance(after, dict) and after:
            return key, after
        if kind == "Ignore":  # left as it is: what exists now
            key, before = _item_ci(change, "before")
            if isinstance(before, dict) and before:
                return key, before
        return key, None

    def resource_id(self, change: dict[str, Any], payload: dict[str, Any]) -> str | None:
        for name in ("resourceId", "fullyQualifiedResourceId"):
            value = get_ci(change, name)
            if isinstance(value, str) and value.startswith("/"):
                return value
        value = get_ci(payload, "id")
        return value if isinstance(value, str) else None

    def unsupported(self, change: dict[str, Any], path: JsonPath) -> NotFollowed:
        span = self.span(path)
        ident = self.resource_id(change, {}) or "(no resource id)"
        reason = get_ci(change, "unsupportedReason") or "no reason given"
        return NotFollowed(self.file, span.line, ident,
                           f"what-if could not predict this resource: {reason}")

    def resource(self, change: dict[str, Any], payload: dict[str, Any], path: JsonPath,
                 kind: str) -> Resource:
        ident = self.resource_id(change, payload)
        parsed = parse_id(ident) if ident else None
        full_type = get_ci(payload, "type")
        if parsed is not None:
            full_type = parsed[0]
            names: tuple[str, ...] = tuple(str(n) for n in parsed[1])
        else:
            raw_name = get_ci(payload, "name")
            names = tuple(str(raw_name).split("/")) if raw_name is not None else ()
        if not isinstance(full_type, str) or not names:
            raise InputError(*self.at(path[:-1]),
                             "a change needs a resourceId (or a payload with type and name)")
        body = {key: _unknown_expressions(value) for key, value in payload.items()
                if key.lower() not in _NOT_BODY}
        body["name"] = "/".join(names)
        sensitive = hide_secrets(body)
        api_version = get_ci(payload, "apiVersion")
        return Resource(
            type=full_type,
            address=f"{full_type}/{'/'.join(names)}",
            span=self.span(path[:-1]),
            properties=body,
            property_spans=self.property_spans(body, path),
            id=ident,
            action=kind.lower(),
            api_version=api_version if isinstance(api_version, str) else None,
            sensitive_paths=sensitive,
        )

    def property_spans(self, body: dict[str, Any], base: JsonPath) -> dict[str, SourceSpan]:
        spans: dict[str, SourceSpan] = {}
        stack: list[tuple[Any, JsonPath, str]] = [(body, base, "")]
        while stack:
            value, path, dotted = stack.pop()
            items = value.items() if isinstance(value, dict) else enumerate(value) \
                if isinstance(value, list) else ()
            for key, item in items:
                here = (*path, key)
                name = f"{dotted}.{key}" if dotted else str(key)
                span = self.positions.get(here)
                if span is not None:
                    spans[name] = span
                if isinstance(item, (dict, list)):
                    stack.append((item, here, name))
        return spans


def _item_ci(mapping: dict[str, Any], key: str) -> tuple[str, Any]:
    """(the key as written, its value) for ``key`` compared case-insensitively."""
    lowered = key.lower()
    for name, value in mapping.items():
        if name.lower() == lowered:
            return name, value
    return key, None


def _unknown_expressions(value: Any) -> Any:
    """The payload with strings still shaped like ARM expressions made Unknown."""
    if isinstance(value, str):
        if value.startswith("[") and value.endswith("]") and not value.startswith("[["):
            return Unknown(value[1:-1].strip())
        return value
    if isinstance(value, dict):
        return {k: _unknown_expressions(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknown_expressions(v) for v in value]
    return value
