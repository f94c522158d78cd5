"""The ``scan --format json`` contract, ``schema_version`` 1.

Stable and documented (docs/json-output.md): new keys may be added, existing keys
keep their meaning. Keys are sorted and the output is deterministic.
"""

from __future__ import annotations

import json
from typing import Any

from azbackup_policy.report import Finding, Report
from azbackup_policy.reporters import RenderOptions
from azbackup_policy.reporters._safe import json_document

SCHEMA_VERSION = 1


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    loc = finding.location
    suppression = finding.suppression
    return {
        "rule_id": finding.rule_id,
        "rule_name": finding.rule_name,
        "area": finding.area,
        "matrix_rows": list(finding.matrix_rows),
        "severity": finding.severity.value,
        "kind": finding.kind.value,
        "resource": {
            "address": finding.resource.address,
            "type": finding.resource.type,
            "name": finding.resource.name,
        },
        "vm": finding.vm,
        "location": {"file": loc.file, "line": loc.line, "end_line": loc.end_line,
                     "column": loc.column},
        "attribute": finding.attribute,
        "message": finding.message,
        "fingerprint": finding.fingerprint,
        "suppressed": suppression is not None,
        "suppression": None if suppression is None else {
            "reason": suppression.reason, "source": suppression.source,
            "until": suppression.until,
        },
    }


def report_to_dict(report: Report, options: RenderOptions) -> dict[str, Any]:
    active = [f for f in report.active_findings if f.kind.value == "violation"]
    reviews = [f for f in report.active_findings if f.kind.value == "review"]
    failing = report.at_or_above(options.fail_on)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "azbackup-policy", "version": report.tool_version},
        "fail_on": options.fail_on,
        "summary": {
            "findings": len(active),
            "failing": len(failing),
            "reviews": len(reviews),
            "suppressed": len(report.findings) - len(report.active_findings),
            "by_severity": {
                level: sum(1 for f in active if f.severity.value == level)
                for level in ("error", "warning", "note")
            },
            "files_scanned": len(report.files_scanned),
            "errors": len(report.errors),
            "rule_failures": len(report.rule_failures),
        },
        "findings": [finding_to_dict(f) for f in sorted(report.findings, key=_finding_key)],
        "errors": sorted(
            ({"file": e.file, "line": e.line, "column": e.column, "message": e.message}
             for e in report.errors), key=_row_key),
        "rule_failures": sorted(
            ({"rule_id": r.rule_id, "origin": r.origin, "message": r.message}
             for r in report.rule_failures), key=_row_key),
        "files_scanned": sorted(report.files_scanned),
        "files_skipped": sorted(
            ({"file": s.file, "reason": s.reason} for s in report.skipped), key=_row_key),
        "not_followed": sorted(
            ({"file": n.file, "line": n.line, "source": n.source, "reason": n.reason,
              "hint": n.hint} for n in report.not_followed), key=_row_key),
        "warnings": sorted(report.warnings),
        "rules": sorted(r.id for r in report.rules),
    }


def _finding_key(finding: Finding) -> tuple[object, ...]:
    return (*finding.sort_key(), finding.fingerprint, finding.message)


def _row_key(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True)


def render(report: Report, options: RenderOptions) -> str:
    return json_document(json.dumps(report_to_dict(report, options), indent=2,
                                    sort_keys=True)) + "\n"
