"""The pipeline: discover -> parse -> link -> check -> Report.

This is the library entry point (``azbackup_policy.pipeline`` and ``load_estate``).
Every input problem is collected with its file and line and the other files are
still scanned; nothing here prints or exits.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from azbackup_policy._version import __version__
from azbackup_policy.discover import FileLoader, Source, discover
from azbackup_policy.document import Document, NotFollowed
from azbackup_policy.engine import EngineSettings, Selection, run, select_rules
from azbackup_policy.errors import InputError
from azbackup_policy.linkers import link
from azbackup_policy.model import Estate
from azbackup_policy.parsers import BUILTIN_PARSERS, ParseContext, ParseOptions, load_parser
from azbackup_policy.report import InputProblem, Report, ScannedUnit, SkippedFile
from azbackup_policy.rules import Rule, Severity


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """Everything that changes what a scan reads and reports."""

    parameter_files: tuple[str, ...] = ()
    var_files: tuple[str, ...] = ()
    source_dir: str | None = None
    excludes: tuple[str, ...] = ()
    fail_on: str = "warning"
    strict: bool = False
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity_overrides: dict[str, Severity] = field(default_factory=dict)
    matrix_file: str | None = None
    rule_options: dict[str, Any] = field(default_factory=dict)
    allow_outside_root: bool = False
    max_file_bytes: int = 200 * 1024 * 1024
    cwd: str | None = None


@dataclass(slots=True)
class Loaded:
    units: list[ScannedUnit] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    errors: list[InputProblem] = field(default_factory=list)
    not_followed: list[NotFollowed] = field(default_factory=list)


def _problem(error: InputError) -> InputProblem:
    return InputProblem(error.file, error.line, error.column, error.message)


def _parse_source(source: Source, context: ParseContext, loaded: Loaded) -> list[Document]:
    spec = BUILTIN_PARSERS.get(source.kind)
    if spec is None:
        loaded.skipped.append(SkippedFile(source.path, f"no parser for {source.kind}"))
        return []
    try:
        return list(load_parser(spec)(source, context))
    except InputError as error:
        loaded.errors.append(_problem(error))
    except RecursionError:
        loaded.errors.append(InputProblem(source.path, 1, 1, "input is nested too deeply"))
    return []


def _roots_only(documents: list[Document]) -> list[Document]:
    """Drop a document whose files are all part of a larger document (a called module)."""
    keep = []
    file_sets = [frozenset(doc.files or (doc.path,)) for doc in documents]
    for index, doc in enumerate(documents):
        mine = file_sets[index]
        covered = any(
            other != index and mine < file_sets[other] for other in range(len(documents))
        )
        if not covered:
            keep.append(doc)
    return keep


def load_units(paths: Sequence[str], options: ScanOptions = ScanOptions()) -> Loaded:
    """Discover, parse and link every input below ``paths``."""
    loader = FileLoader(
        [p if os.path.isdir(p) else os.path.dirname(os.path.abspath(p)) for p in paths],
        allow_outside_root=options.allow_outside_root,
        max_file_bytes=options.max_file_bytes,
        cwd=options.cwd,
    )
    found = discover(paths, loader=loader, excludes=options.excludes, cwd=options.cwd)
    loaded = Loaded(
        skipped=[SkippedFile(s.path, s.reason) for s in found.skipped],
        errors=[_problem(e) for e in found.errors],
    )
    context = ParseContext(loader, ParseOptions(
        parameter_files=options.parameter_files,
        var_files=options.var_files,
        source_dir=options.source_dir,
    ))
    documents: list[Document] = []
    for source in found.sources:
        documents.extend(_parse_source(source, context, loaded))
    for doc in _roots_only(documents):
        loaded.not_followed.extend(doc.not_followed)
        try:
            estate = link(doc)
        except InputError as error:
            loaded.errors.append(_problem(error))
            continue
        loaded.units.append(ScannedUnit(doc.path, doc.format, doc.files or (doc.path,), estate))
    return loaded


def _load_matrix(path: str | None) -> dict[str, Any]:
    from azbackup_policy.matrix import load_matrix

    return dict(load_matrix(path))


def available_rules() -> list[Rule]:
    """Every rule of the built-in policies and installed plugins."""
    from azbackup_policy.plugins import default_host

    return default_host().rules()


def scan(
    paths: Sequence[str],
    options: ScanOptions | None = None,
    *,
    rules: Sequence[Rule] | None = None,
) -> Report:
    """Scan ``paths`` and return the finished :class:`Report`.

    >>> report = scan(["fixtures/example"])          # doctest: +SKIP
    >>> [f.rule_id for f in report.findings]          # doctest: +SKIP
    """
    options = options or ScanOptions()
    loaded = load_units(paths, options)
    chosen = select_rules(
        available_rules() if rules is None else rules,
        Selection(options.select, options.ignore),
    )
    settings = EngineSettings(
        matrix=_load_matrix(options.matrix_file),
        strict=options.strict,
        options=options.rule_options,
        severity_overrides=options.severity_overrides,
    )
    result = run([(u.path, u.estate) for u in loaded.units], chosen, settings)
    return Report(
        tool_version=__version__,
        findings=tuple(result.findings),
        rules=tuple(chosen),
        units=tuple(loaded.units),
        skipped=tuple(loaded.skipped),
        errors=tuple(sorted(loaded.errors, key=lambda e: (e.file, e.line, e.column))),
        rule_failures=tuple(result.failures),
        not_followed=tuple(loaded.not_followed),
        fail_on=options.fail_on,
        evaluations=tuple(result.evaluations),
    )


def load_estate(path: str, options: ScanOptions | None = None) -> Estate:
    """The Estate declared below ``path`` (several units are combined).

    Raises the first :class:`InputError` when an input cannot be read.
    """
    loaded = load_units([path], options or ScanOptions())
    if loaded.errors:
        first = loaded.errors[0]
        raise InputError(first.file, first.line, first.column, first.message)
    if len(loaded.units) == 1:
        return loaded.units[0].estate
    merged = Estate()
    for unit in loaded.units:
        estate = unit.estate
        merged = replace(
            merged,
            vms=merged.vms + estate.vms,
            vaults=merged.vaults + estate.vaults,
            policies=merged.policies + estate.policies,
            protections=merged.protections + estate.protections,
            locks=merged.locks + estate.locks,
            scale_sets=merged.scale_sets + estate.scale_sets,
            unresolved=merged.unresolved + estate.unresolved,
        )
    return merged
