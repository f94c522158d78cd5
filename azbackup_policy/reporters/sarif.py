"""SARIF 2.1.0 for GitHub code scanning, Azure DevOps and SARIF viewers.

One run. ``tool.driver.rules`` holds every rule that ran (sorted by id); each result
points at its rule by ``ruleId`` and ``ruleIndex``, at its file by a *relative* URI
under ``%SRCROOT%`` (the repository root, declared in ``originalUriBaseIds``; a file
outside it gets an absolute ``file:`` URI) and at its resource by a logical location.
``run.automationDetails.id`` carries the category (``--sarif-category``), so two scans
uploaded from one workflow do not replace each other's alerts; in an Azure Pipelines job
it is the ``azuredevops/pipeline/build/...`` id with the build and phase properties that
GitHub Advanced Security for Azure DevOps requires. Backup configuration is
not a vulnerability: only rules whose metadata opts in (tag ``security``: rows about
encryption or access) carry the ``security`` tag and a ``security-severity``.
``partialFingerprints`` come from :attr:`Finding.fingerprint` (unit path in the
repository + rule + resource address + attribute path), so alerts survive line shifts
and two units with the same code do not share alerts.
Suppressed findings stay, with ``suppressions``; strict-mode reviews are
``kind: review`` with ``level: none``. Input errors, rule failures, modules not
followed and files not scanned are ``toolExecutionNotifications``.

GitHub accepts at most 25,000 results per run: beyond that the most severe are kept
and a notification says how many were dropped. Output is deterministic (sorted, no
time stamps).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Sequence
from typing import Any

from azbackup_policy.report import Finding, Report
from azbackup_policy.reporters import RenderOptions
from azbackup_policy.reporters._common import (
    INFORMATION_URI,
    TOOL_NAME,
    file_uri,
    is_absolute,
    normalize_path,
    ordered,
    relative_to,
)
from azbackup_policy.reporters._safe import json_document, uri_path
from azbackup_policy.rules import Kind, Rule

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
MAX_RESULTS = 25_000
FINGERPRINT_KEY = "azbackupPolicy/v2"
SRCROOT = "%SRCROOT%"
# GitHub: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {"error": "7.5", "warning": "5.0", "note": "2.0"}
SOURCE_LANGUAGES = {"terraform-plan": "json", "terraform-state": "json",
                    "terraform-hcl": "terraform", "arm": "json", "arm-whatif": "json",
                    "bicep": "bicep"}
_WORKSPACE_VARIABLES = ("GITHUB_WORKSPACE", "BUILD_SOURCESDIRECTORY")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")

Json = dict[str, Any]


# --- paths -------------------------------------------------------------------------


def source_root(options: RenderOptions) -> str:
    """The directory ``%SRCROOT%`` stands for: the repository root when known, else the
    CI workspace holding cwd, else cwd."""
    if options.repository_root:
        return normalize_path(options.repository_root)
    for variable in _WORKSPACE_VARIABLES:
        root = options.environment.get(variable)
        if root and relative_to(".", root, options.cwd) is not None:
            return normalize_path(root)
    return normalize_path(options.cwd) or "."


def artifact_location(file: str, options: RenderOptions) -> Json:
    """A relative URI under ``%SRCROOT%``, or an absolute ``file:`` URI outside it."""
    root = source_root(options)
    rel = relative_to(file, root, options.cwd)
    if rel is None:
        path = normalize_path(file)
        if is_absolute(path):
            return {"uri": file_uri(path)}
        cwd = normalize_path(options.cwd)
        if is_absolute(cwd):  # "../x" from an absolute cwd: outside the root
            return {"uri": file_uri(posixpath.join(cwd, path))}
        rel = path
    return {"uri": uri_path(rel), "uriBaseId": SRCROOT}


def _original_uri_base_ids(options: RenderOptions) -> Json:
    root = source_root(options)
    if is_absolute(root):
        return {SRCROOT: {"uri": file_uri(root.rstrip("/") + "/")}}
    return {SRCROOT: {"description": {
        "text": "The directory azbackup-policy was run in; result paths are relative to it."
    }}}


def default_category(paths: Sequence[str]) -> str:
    """The analysis category for scanned ``paths`` (relative to the repository root).

    ``azbackup-policy`` for the whole repository, else ``azbackup-policy/`` and the paths
    (sorted, joined by ``+``), so that scans of different folders keep their own alerts.
    """
    shown = sorted({normalize_path(p) for p in paths} - {""})
    return TOOL_NAME + ("/" + "+".join(shown) if shown else "")


_ADO_PREFIX = "azuredevops/pipeline/build/"
_ADO_PROPERTIES = {"buildDefinitionId": "SYSTEM_DEFINITIONID",
                   "buildDefinitionName": "BUILD_DEFINITIONNAME",
                   "phaseId": "SYSTEM_PHASEID", "phaseName": "SYSTEM_PHASENAME"}


def automation_details(options: RenderOptions) -> Json:
    """``run.automationDetails``: the category (``<category>/``), or in an Azure Pipelines
    job the id and properties GitHub Advanced Security for Azure DevOps reads."""
    category = (options.sarif_category or TOOL_NAME).rstrip("/")
    env = options.environment
    values = {key: env.get(variable, "").strip() for key, variable in _ADO_PROPERTIES.items()}
    if env.get("TF_BUILD", "").lower() != "true" or not all(values.values()):
        return {"id": category + "/"}
    organisation = env.get("SYSTEM_COLLECTIONURI", "").rstrip("/").rsplit("/", 1)[-1]
    parts = (organisation, env.get("SYSTEM_TEAMPROJECT", ""), values["buildDefinitionId"],
             values["phaseId"], env.get("BUILD_SOURCEBRANCH", ""), env.get("BUILD_BUILDID", ""))
    properties: Json = {_ADO_PREFIX + key: value for key, value in values.items()}
    definition = values["buildDefinitionId"]
    if definition.lstrip("-").isdigit():
        properties[_ADO_PREFIX + "buildDefinitionId"] = int(definition)
    properties["azbackupPolicy/category"] = category
    return {"id": _ADO_PREFIX + "/".join(parts), "properties": properties}


# --- rules -------------------------------------------------------------------------


def _rules(report: Report) -> list[Rule | Finding]:
    """Every rule that ran, plus any rule a finding names that is missing; sorted by id."""
    known: dict[str, Rule | Finding] = {rule.id: rule for rule in report.rules}
    for finding in report.findings:
        known.setdefault(finding.rule_id, finding)
    return [known[key] for key in sorted(known)]


SECURITY_TAG = "security"


def _tags(area: str, extra: Iterable[str]) -> list[str]:
    tags = dict.fromkeys(("azure-backup", area, *sorted(extra)))
    return list(tags)[:20]  # GitHub rejects more than 20 tags per rule


def _rule_properties(rule: Rule) -> Json:
    """Tags, precision and the matrix rows; a security severity only when the rule opts in."""
    properties: Json = {"tags": _tags(rule.area, rule.tags), "precision": "high",
                        "area": rule.area, "matrixRows": list(rule.matrix_rows)}
    if SECURITY_TAG in rule.tags:
        properties["security-severity"] = SECURITY_SEVERITY[rule.severity.value]
    return properties


def help_uri(rule_id: str, name: str, explicit: str | None) -> str:
    """The rule's own help link, else its section of docs/rules.md (GitHub's anchor)."""
    return explicit or f"{INFORMATION_URI}/blob/main/docs/rules.md#{rule_id.lower()}-{name}"


def _descriptor(rule: Rule) -> Json:
    summary = rule.summary.rstrip(".")
    rows = ", ".join(rule.matrix_rows)
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": f"{summary}. Enforces the Azure Backup support matrix "
                                    f"(rows {rows}; article of {rule.article_date})."},
        "help": {"text": rule.help, "markdown": rule.help},
        "helpUri": help_uri(rule.id, rule.name, rule.help_uri),
        "defaultConfiguration": {"level": rule.severity.value},
        "properties": _rule_properties(rule),
    }


def _descriptor_from_finding(finding: Finding) -> Json:
    text = f"{finding.rule_name} ({finding.area})"
    return {
        "id": finding.rule_id,
        "name": finding.rule_name,
        "shortDescription": {"text": text},
        "fullDescription": {"text": text},
        "helpUri": help_uri(finding.rule_id, finding.rule_name, None),
        "defaultConfiguration": {"level": finding.severity.value},
        "properties": {"tags": _tags(finding.area, ()),
                       "area": finding.area, "matrixRows": list(finding.matrix_rows)},
    }


# --- results -----------------------------------------------------------------------


def _region(finding: Finding) -> Json:
    loc = finding.location
    region: Json = {"startLine": max(1, loc.line)}
    if loc.end_line >= loc.line:
        region["endLine"] = loc.end_line
    if loc.column > 1:
        region["startColumn"] = loc.column
    return region


def _location(finding: Finding, options: RenderOptions, artifacts: dict[str, int]) -> Json:
    where = artifact_location(finding.location.file, options)
    if where["uri"] in artifacts:
        where["index"] = artifacts[where["uri"]]
    resource = finding.resource
    logical: Json = {"fullyQualifiedName": resource.address, "kind": "resource"}
    if resource.name:
        logical["name"] = resource.name
    return {"physicalLocation": {"artifactLocation": where, "region": _region(finding)},
            "logicalLocations": [logical]}


def _suppression(finding: Finding) -> list[Json]:
    suppression = finding.suppression
    if suppression is None:
        return []
    entry: Json = {
        "kind": "inSource" if suppression.source == "inline" else "external",
        "status": "accepted",
        "justification": suppression.reason,
        "properties": {"source": suppression.source},
    }
    if suppression.until:
        entry["properties"]["until"] = suppression.until
    return [entry]


def _properties(finding: Finding) -> Json:
    values = {"area": finding.area, "matrixRows": list(finding.matrix_rows),
              "resourceType": finding.resource.type, "attribute": finding.attribute,
              "vm": finding.vm, "severity": finding.severity.value}
    return {key: value for key, value in values.items() if value not in (None, "")}


def _result(finding: Finding, index: int, options: RenderOptions,
            artifacts: dict[str, int]) -> Json:
    review = finding.kind is Kind.REVIEW
    result: Json = {
        "ruleId": finding.rule_id,
        "ruleIndex": index,
        "kind": "review" if review else "fail",
        "level": "none" if review else finding.severity.value,
        "message": {"text": finding.message},
        "locations": [_location(finding, options, artifacts)],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": _properties(finding),
    }
    suppressions = _suppression(finding)
    if suppressions:
        result["suppressions"] = suppressions
    return result


def most_severe(findings: Iterable[Finding], limit: int) -> tuple[list[Finding], int]:
    """At most ``limit`` findings, active violations of the highest severity first."""
    def priority(finding: Finding) -> tuple[bool, bool, int, tuple[str, int, str, str, str]]:
        return (finding.suppressed, finding.kind is Kind.REVIEW, -finding.severity.rank,
                finding.sort_key())

    chosen = sorted(findings, key=priority)
    kept = chosen[:limit]
    return ordered(kept), len(chosen) - len(kept)


# --- notifications -----------------------------------------------------------------


def _note(level: str, descriptor: str, text: str, location: Json | None = None) -> Json:
    note: Json = {"level": level, "descriptor": {"id": descriptor}, "message": {"text": text}}
    if location is not None:
        note["locations"] = [{"physicalLocation": location}]
    return note


def _at(file: str, options: RenderOptions, line: int | None = None,
        column: int | None = None) -> Json:
    location: Json = {"artifactLocation": artifact_location(file, options)}
    if line is not None:
        location["region"] = {"startLine": max(1, line)}
        if column is not None and column > 1:
            location["region"]["startColumn"] = column
    return location


def _notifications(report: Report, options: RenderOptions, rule_index: dict[str, int],
                   dropped: int, limit: int) -> list[Json]:
    notes = [_note("error", "input-error", p.message, _at(p.file, options, p.line, p.column))
             for p in sorted(report.errors, key=lambda p: (p.file, p.line, p.column))]
    for failure in sorted(report.rule_failures, key=lambda r: (r.rule_id, r.origin)):
        note = _note("error", "rule-failure",
                     f"rule {failure.rule_id} ({failure.origin}) {failure.message}")
        note["associatedRule"] = {"id": failure.rule_id}
        if failure.rule_id in rule_index:
            note["associatedRule"]["index"] = rule_index[failure.rule_id]
        notes.append(note)
    notes += [_note("warning", "module-not-followed", f"{m.source}: {m.explained}",
                    _at(m.file, options, m.line))
              for m in sorted(report.not_followed, key=lambda m: (m.file, m.line, m.source))]
    notes += [_note("note", "file-not-scanned", s.reason, _at(s.file, options))
              for s in sorted(report.skipped, key=lambda s: s.file)]
    notes += [_note("warning", "warning", text) for text in sorted(report.warnings)]
    if dropped:
        notes.append(_note("warning", "results-truncated",
                           f"{dropped} results were left out: GitHub code scanning accepts at "
                           f"most {limit} results per run; the {limit} most severe are kept"))
    return notes


# --- the log -----------------------------------------------------------------------


def semantic_version(version: str) -> str:
    """``version`` as SemVer 2.0 (PEP 440 suffixes such as ``.dev3`` become ``-dev3``)."""
    if _SEMVER.match(version):
        return version
    match = re.match(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$", version)
    if match is None:
        return "0.0.0-" + (re.sub(r"[^0-9A-Za-z-]+", "-", version).strip("-") or "unknown")
    major, minor, patch, rest = match.groups()
    core = f"{major}.{minor or 0}.{patch or 0}"
    suffix = re.sub(r"[^0-9A-Za-z.-]+", "-", rest.lstrip(".-+")).strip("-.")
    return f"{core}-{suffix}" if suffix else core


def _artifacts(report: Report, options: RenderOptions) -> list[Json]:
    formats = {file: unit.format for unit in report.units for file in unit.files}
    artifacts = []
    for file in report.files_scanned:
        entry: Json = {"location": artifact_location(file, options),
                       "roles": ["analysisTarget"]}
        if formats[file] in SOURCE_LANGUAGES:
            entry["sourceLanguage"] = SOURCE_LANGUAGES[formats[file]]
        entry["properties"] = {"format": formats[file]}
        artifacts.append(entry)
    return artifacts


def _driver(report: Report, rules: list[Rule | Finding]) -> Json:
    return {
        "name": TOOL_NAME,
        "fullName": f"{TOOL_NAME} {report.tool_version}",
        "version": report.tool_version,
        "semanticVersion": semantic_version(report.tool_version),
        "informationUri": INFORMATION_URI,
        "rules": [_descriptor(r) if isinstance(r, Rule) else _descriptor_from_finding(r)
                  for r in rules],
    }


def build_log(report: Report, options: RenderOptions, limit: int = MAX_RESULTS) -> Json:
    """The SARIF log as a JSON-ready dict (``render`` serialises it)."""
    rules = _rules(report)
    rule_index = {(r.id if isinstance(r, Rule) else r.rule_id): i for i, r in enumerate(rules)}
    artifacts = _artifacts(report, options)
    artifact_index = {a["location"]["uri"]: i for i, a in enumerate(artifacts)}
    kept, dropped = most_severe(report.findings, limit)
    invocation = {
        "executionSuccessful": not (report.errors or report.rule_failures),
        "toolExecutionNotifications": _notifications(report, options, rule_index, dropped,
                                                     limit),
    }
    run = {
        "tool": {"driver": _driver(report, rules)},
        "automationDetails": automation_details(options),
        "originalUriBaseIds": _original_uri_base_ids(options),
        "artifacts": artifacts,
        "invocations": [invocation],
        "results": [_result(f, rule_index[f.rule_id], options, artifact_index) for f in kept],
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report, options: RenderOptions) -> str:
    return json_document(json.dumps(build_log(report, options), indent=2, sort_keys=True,
                                    ensure_ascii=False)) + "\n"
