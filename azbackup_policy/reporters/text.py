"""Human-readable output: ``path:line:col: severity RULE message [name]``."""

from __future__ import annotations

from azbackup_policy.report import Report
from azbackup_policy.reporters import RenderOptions


def render(report: Report, options: RenderOptions) -> str:
    lines: list[str] = []
    for problem in report.errors:
        lines.append(f"{problem}")
    for finding in report.active_findings:
        loc = finding.location
        name = finding.vm or finding.resource.name or finding.resource.address
        lines.append(
            f"{loc.file}:{loc.line}:{loc.column}: {finding.severity.value} "
            f"{finding.rule_id} {finding.message} [{name}]"
        )
    for failure in report.rule_failures:
        lines.append(f"rule {failure.rule_id} ({failure.origin}) failed: {failure.message}")
    counts = {level: 0 for level in ("error", "warning", "note")}
    for finding in report.active_findings:
        counts[finding.severity.value] += 1
    lines.append(
        f"{counts['error']} errors, {counts['warning']} warnings, {counts['note']} notes "
        f"in {len(report.files_scanned)} files; {len(report.errors)} input errors"
    )
    return "\n".join(lines) + "\n"
