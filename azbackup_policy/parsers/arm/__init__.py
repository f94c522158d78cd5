"""ARM JSON templates -> :class:`~azbackup_policy.document.Document` (vocabulary ``arm``).

Entry points:

* :func:`parse` -- an ARM template file found by discovery. Parameter values come from
  the convention file beside it (``azuredeploy.parameters.json`` for
  ``azuredeploy.json``, ``<name>.parameters.json`` for ``<name>.json``) and then from
  every JSON file in ``context.options.parameter_files`` (later files win; values for
  parameters the template does not declare are ignored).
* :func:`parse_parameters_file` -- an ARM parameters file found by discovery. It gives
  no Document of its own: when a template beside it will consume it, or when it was
  passed with ``--parameters``, it returns ``[]``. A parameters file named explicitly
  as a path to scan with no template to attach to is an InputError (it would
  otherwise be silently ignored); one merely met while walking a folder is ``[]``.
* :func:`parse_template` -- a template already loaded as a dict (the Bicep reader
  calls this), with the spans of its JSON paths.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from azbackup_policy.arm_values import IdKey, id_key
from azbackup_policy.discover import Source
from azbackup_policy.document import Document, NotFollowed, Problem, Resource
from azbackup_policy.errors import InputError
from azbackup_policy.model import SourceSpan, Unknown
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers.arm import jsonc
from azbackup_policy.parsers.arm.links import add_references
from azbackup_policy.parsers.arm.template import (
    Output,
    Place,
    evaluator_for,
    read_resources,
)
from azbackup_policy.parsers.arm.values import get_ci

__all__ = ["parse", "parse_parameters_file", "parse_template"]

JsonPath = tuple[str | int, ...]


def convention_parameter_files(template_path: str) -> list[str]:
    """Parameter files that belong to ``template_path`` by name, when they exist."""
    folder, name = os.path.split(template_path)
    stem = name[:-5] if name.lower().endswith(".json") else name
    return [os.path.join(folder, f"{stem}.parameters.json")]


def _template_for(parameters_path: str) -> str | None:
    folder, name = os.path.split(parameters_path)
    lowered = name.lower()
    if not lowered.endswith(".parameters.json"):
        return None
    return os.path.join(folder, name[: -len(".parameters.json")] + ".json")


def read_parameter_values(path: str, context: ParseContext) -> dict[str, Any]:
    """Values of an ARM parameters file (Key Vault references become unknown)."""
    loader = context.loader
    shown = loader.display(path)
    loaded = jsonc.load(loader.read_text(path), shown,
                        max_depth=context.options.max_nesting_depth)
    entries = get_ci(loaded.value, "parameters") if isinstance(loaded.value, dict) else None
    if not isinstance(entries, dict):
        raise InputError(shown, 1, 1, "a parameters file needs a 'parameters' object")
    values: dict[str, Any] = {}
    for name, entry in entries.items():
        if isinstance(entry, dict) and get_ci(entry, "reference") is not None:
            values[name] = Unknown("(key vault reference)")
        elif isinstance(entry, dict) and "value" in entry:
            values[name] = entry["value"]
    return values


_KEEP_ROOT_CHARS = 1_000_000


def load_template(path: str, shown: str, context: ParseContext, keep: bool = True
                  ) -> jsonc.Loaded:
    """A template file read once per scan (``ParseContext.memo``): a linked template that
    is also scanned as its own source, or linked from several templates, is parsed once.
    A root template (``keep`` False) is kept only when small, so that a large template is
    not held for the rest of the scan. Nothing downstream modifies a loaded template."""
    text = context.loader.read_text(path)
    memo: dict[str, tuple[str, jsonc.Loaded]] = context.memo.setdefault("arm.templates", {})
    found = memo.get(shown)
    if found is not None and found[0] == text:
        return found[1]
    loaded = jsonc.load(text, shown, max_depth=context.options.max_nesting_depth)
    if keep or len(text) <= _KEEP_ROOT_CHARS:
        memo[shown] = (text, loaded)
    return loaded


def parse(source: Source, context: ParseContext) -> list[Document]:
    """The Document of one ARM template file (with its parameter files)."""
    loader = context.loader
    loaded = load_template(source.path, source.path, context, keep=False)
    if not isinstance(loaded.value, dict):
        raise InputError(source.path, 1, 1, "an ARM template must be a JSON object")
    values: dict[str, Any] = {}
    files: list[str] = []
    explicit = [p for p in context.options.parameter_files if p.lower().endswith(".json")]
    convention = convention_parameter_files(source.path)
    for path in [*convention, *explicit]:
        if path in convention and loader.exists(path):  # named by the repository: a link
            loader.check_allowed(path, referrer=source.path, line=1)  # may lead outside
        if loader.exists(path) and loader.display(path) not in files:
            values.update(read_parameter_values(path, context))
            files.append(loader.display(path))
    comments = [(c.line, c.text) for c in loaded.comments]
    return [_document(loaded.value, source.path, context, loaded.positions, values,
                      tuple(files), comments)]


def parse_parameters_file(source: Source, context: ParseContext) -> list[Document]:
    """No Document: a parameters file is read by the template it belongs to."""
    template = _template_for(source.path)
    if template is not None and context.loader.exists(template):
        return []
    given = {context.loader.display(p) for p in context.options.parameter_files}
    if source.path in given or not source.explicit:
        return []
    raise InputError(source.path, 1, 1,
                     "ARM parameters file with no template beside it "
                     "(name it <template>.parameters.json, or scan the template and "
                     "pass this file with --parameters)")


def given_to_unread(out: Output, resources: Sequence[Resource]) -> tuple[NotFollowed, ...]:
    """Each linked template not followed, with the resources its deployment's parameters
    name by id (it may protect a VM it is given the id of)."""
    if not out.given_ids:
        return tuple(out.not_followed)
    index: dict[IdKey, list[str]] = {}
    for resource in resources:
        key = id_key(resource.id)
        if key is not None:
            index.setdefault(key, []).append(resource.address)
    entries = list(out.not_followed)
    for position, leaves in out.given_ids.items():
        keys = (id_key(value) for _, value in leaves)
        given = sorted({a for key in keys if key is not None for a in index.get(key, ())})
        entries[position] = replace(entries[position], given=tuple(given))
    return tuple(entries)


def parse_template(
    template: Mapping[str, Any],
    *,
    file: str,
    context: ParseContext,
    positions: Mapping[tuple[str | int, ...], SourceSpan],
    parameters: Mapping[str, Any] | None = None,
    files: tuple[str, ...] = (),
) -> Document:
    """The Document of a template given as a dict.

    ``positions`` maps JSON paths within ``template`` to spans (which may point into
    other files); paths inside an inline nested deployment continue from the root, e.g.
    ``("resources", "db", "properties", "template", "resources", "vm")``. A path without
    a span takes the span of its closest parent that has one. ``parameters`` are plain
    parameter values (not ``{"value": ...}`` wrappers; Unknown allowed); they win over
    defaults. ``files`` are the further files the document was read from (``file``
    itself is always first).
    """
    return _document(template, file, context, positions, dict(parameters or {}), files, [])


def _document(template: Mapping[str, Any], file: str, context: ParseContext,
              positions: Mapping[JsonPath, SourceSpan], values: dict[str, Any],
              files: Sequence[str], comments: list[tuple[int, str]]) -> Document:
    out = Output(context)
    out.files.extend([file, *[f for f in files if f != file]])
    out.comments[file] = comments
    place = Place(file, (), "", 0, (context.loader.real(file),))
    evaluator = evaluator_for(template, place, positions, context, values)
    read_resources(template, evaluator, place, out)
    resources = add_references(out.resources, out.id_leaves)
    not_followed = given_to_unread(out, resources)
    problems = tuple(dict.fromkeys(
        Problem(e.file, e.line, e.column, e.message) for e in evaluator.scope.problems))
    return Document(path=file, format="arm", vocabulary="arm", resources=tuple(resources),
                    not_followed=not_followed, files=tuple(dict.fromkeys(out.files)),
                    problems=problems)
