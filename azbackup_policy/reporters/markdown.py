"""A Markdown summary for ``$GITHUB_STEP_SUMMARY``, pull-request comments and Azure DevOps.

The verdict and the counts come first, then a table of counts by area and severity,
the findings table (collapsed in ``<details>`` when long, cut off past
:data:`MAX_ROWS` so a pull-request comment stays under GitHub's size limit), the
suppressed findings and the problems of the run. Text from the scanned files is
escaped so it cannot break the tables or inject HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from azbackup_policy.report import Finding, Report
from azbackup_policy.reporters import RenderOptions
from azbackup_policy.reporters._common import (
    TOOL_NAME,
    count,
    is_failing,
    label,
    ordered,
    plural,
)
from azbackup_policy.reporters._safe import text as safe
from azbackup_policy.reporters.text import summary

COLLAPSE_AFTER = 10
MAX_ROWS = 200
_COLUMNS = ("error", "warning", "note", "review")
_SPECIAL = re.compile(r"([\\`*_\[\]|])")


def cell(text: str) -> str:
    """``text`` safe inside a table cell: one line (:func:`._safe.text`), Markdown and
    HTML escaped."""
    text = safe(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    return text


def code(text: str) -> str:
    """``text`` as a code span in a table cell (plain escaped text if it has a backtick,
    or anything :func:`._safe.text` changes)."""
    if "`" in text or safe(text) != text:
        return cell(text)
    return "`" + text.replace("|", "\\|") + "`"


def _table(header: Iterable[str], rows: Iterable[Iterable[str]], align: str = "---") -> list[str]:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(align for _ in head) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _verdict(report: Report, options: RenderOptions) -> str:
    failing = [f for f in report.findings if is_failing(f, options.fail_on)]
    if failing or report.errors or report.rule_failures:
        return "❌ failed"
    return "⚠️ passed with findings" if report.active_findings else "✅ passed"


def _area_table(findings: list[Finding]) -> list[str]:
    areas: dict[str, dict[str, int]] = {}
    for finding in findings:
        row = areas.setdefault(finding.area, dict.fromkeys(_COLUMNS, 0))
        row[label(finding)] += 1
    rows = [[cell(area), *(str(areas[area][c]) for c in _COLUMNS)] for area in sorted(areas)]
    totals = [str(sum(areas[a][c] for a in areas)) for c in _COLUMNS]
    rows.append(["**Total**", *(f"**{t}**" for t in totals)])
    return _table(("Area", "Errors", "Warnings", "Notes", "Reviews"), rows)


def _where(finding: Finding) -> str:
    loc = finding.location
    return code(f"{loc.file}:{loc.line}")


def _finding_rows(findings: list[Finding]) -> list[list[str]]:
    return [
        [label(f), f"{code(f.rule_id)} {cell(f.rule_name)}", code(f.resource.address),
         _where(f), cell(f.message)]
        for f in findings[:MAX_ROWS]
    ]


def _collapsible(title: str, lines: list[str], collapse: bool) -> list[str]:
    if not collapse:
        return [f"### {title}", "", *lines]
    return ["<details>", f"<summary>{title}</summary>", "", *lines, "", "</details>"]


def _findings_section(findings: list[Finding]) -> list[str]:
    header = ("Severity", "Rule", "Resource", "Location", "Message")
    lines = _table(header, _finding_rows(findings))
    if len(findings) > MAX_ROWS:
        lines += ["", f"… and {len(findings) - MAX_ROWS} more: see the SARIF or JSON report."]
    title = plural(len(findings), "finding")
    return _collapsible(title, lines, collapse=len(findings) > COLLAPSE_AFTER)


def _suppressed_section(findings: list[Finding]) -> list[str]:
    rows = [
        [code(f.rule_id), code(f.resource.address), _where(f),
         cell(f.suppression.source if f.suppression else ""),
         cell(f.suppression.reason if f.suppression else "")]
        for f in findings[:MAX_ROWS]
    ]
    lines = _table(("Rule", "Resource", "Location", "Source", "Reason"), rows)
    return _collapsible(f"{plural(len(findings), 'suppressed finding')}", lines, collapse=True)


def _problem_lines(report: Report) -> list[str]:
    lines = [f"- input error: {code(f'{p.file}:{p.line}:{p.column}')} {cell(p.message)}"
             for p in sorted(report.errors, key=lambda p: (p.file, p.line, p.column))]
    lines += [f"- rule failure: {code(r.rule_id)} ({cell(r.origin)}) {cell(r.message)}"
              for r in sorted(report.rule_failures, key=lambda r: (r.rule_id, r.origin))]
    lines += [f"- not followed: {code(f'{m.file}:{m.line}')} {code(m.source)} ({cell(m.explained)})"
              for m in sorted(report.not_followed, key=lambda m: (m.file, m.line, m.source))]
    lines += [f"- not scanned: {code(s.file)} ({cell(s.reason)})"
              for s in sorted(report.skipped, key=lambda s: s.file)]
    lines += [f"- warning: {cell(text)}" for text in sorted(report.warnings)]
    return lines


def render(report: Report, options: RenderOptions) -> str:
    counts = count(report)
    active = ordered(report.active_findings)
    lines = [f"## {TOOL_NAME}: {_verdict(report, options)}", "", cell(summary(report)), "",
             f"Fails on: {code(options.fail_on)} or above."]
    if counts.findings:
        lines += ["", *_area_table(active), "", *_findings_section(active)]
    suppressed = ordered(f for f in report.findings if f.suppressed)
    if suppressed:
        lines += ["", *_suppressed_section(suppressed)]
    problems = _problem_lines(report)
    if problems:
        lines += ["", "### Problems", "", *problems]
    return "\n".join(lines) + "\n"
