"""Human-readable output: ``path:line:col: severity RULE message [name]``, grouped by file.

Input errors and modules that were not followed appear in their file's group; rule
failures, skipped files and warnings follow; a summary line with the counts ends the
output. Colour (ANSI) only when ``options.color``: the CLI decides (TTY, ``NO_COLOR``).
"""

from __future__ import annotations

from collections.abc import Callable

from azbackup_policy.report import Finding, Report
from azbackup_policy.reporters import RenderOptions
from azbackup_policy.reporters._common import (
    by_file,
    count,
    display_name,
    label,
    plural,
)
from azbackup_policy.reporters._safe import text as safe

_STYLES = {
    "error": "\x1b[31;1m",  # bold red
    "warning": "\x1b[33;1m",  # bold yellow
    "note": "\x1b[36m",  # cyan
    "review": "\x1b[35m",  # magenta
    "path": "\x1b[1m",  # bold
    "dim": "\x1b[2m",
}
_RESET = "\x1b[0m"

Paint = Callable[[str, str], str]


def _painter(color: bool) -> Paint:
    def paint(style: str, text: str) -> str:
        return f"{_STYLES[style]}{text}{_RESET}" if color else text

    return paint


def _finding_line(finding: Finding, paint: Paint) -> str:
    loc = finding.location
    level = label(finding)
    where = paint("path", f"{safe(loc.file)}:{loc.line}:{loc.column}:")
    return (
        f"{where} {paint(level, level)} {paint('dim', safe(finding.rule_id))} "
        f"{safe(finding.message)} [{safe(display_name(finding))}]"
    )


def _file_lines(report: Report, paint: Paint) -> dict[str, list[tuple[int, int, str]]]:
    """Per file: (line, column, text) of its findings, input errors and unfollowed modules."""
    groups: dict[str, list[tuple[int, int, str]]] = {}
    for file, findings in by_file(report.active_findings).items():
        groups[file] = [
            (f.location.line, f.location.column, _finding_line(f, paint)) for f in findings
        ]
    for problem in report.errors:
        where = paint("path", f"{safe(problem.file)}:{problem.line}:{problem.column}:")
        text = f"{where} {paint('error', 'input error')} {safe(problem.message)}"
        groups.setdefault(problem.file, []).append((problem.line, problem.column, text))
    for module in report.not_followed:
        where = paint("path", f"{safe(module.file)}:{module.line}:1:")
        text = (f"{where} {paint('note', 'not followed')} {safe(module.source)} "
                f"({safe(module.explained)})")
        groups.setdefault(module.file, []).append((module.line, 1, text))
    return groups


def _run_lines(report: Report, paint: Paint, quiet: bool = False) -> list[str]:
    lines = [
        f"{paint('error', 'rule failure')} {safe(failure.rule_id)} ({safe(failure.origin)}): "
        f"{safe(failure.message)}"
        for failure in sorted(report.rule_failures, key=lambda r: (r.rule_id, r.origin))
    ]
    if quiet:
        return lines
    lines += [
        f"{paint('note', 'not scanned')} {safe(skipped.file)}: {safe(skipped.reason)}"
        for skipped in sorted(report.skipped, key=lambda s: s.file)
    ]
    lines += [f"{paint('warning', 'warning')} {safe(text)}" for text in sorted(report.warnings)]
    return lines


def summary(report: Report) -> str:
    """One line of totals: ``2 errors, 1 warning, 1 note, 1 review; 2 suppressed; ...``."""
    counts = count(report)
    parts = [
        ", ".join((plural(counts.error, "error"), plural(counts.warning, "warning"),
                   plural(counts.note, "note"), plural(counts.review, "review"))),
        f"{counts.suppressed} suppressed",
        f"{plural(counts.files_scanned, 'file')} scanned",
    ]
    if counts.files_skipped:
        parts.append(f"{counts.files_skipped} not scanned")
    parts.append(plural(counts.input_errors, "input error"))
    if counts.rule_failures:
        parts.append(plural(counts.rule_failures, "rule failure"))
    return "; ".join(parts)


def render(report: Report, options: RenderOptions) -> str:
    paint = _painter(options.color)
    blocks: list[list[str]] = []
    for _file, entries in sorted(_file_lines(report, paint).items()):
        blocks.append([text for _line, _col, text in sorted(entries)])
    run_lines = _run_lines(report, paint, options.quiet)
    if run_lines:
        blocks.append(run_lines)
    if options.quiet:  # only findings and errors, and nothing at all when there are none
        return "".join("\n".join(block) + "\n" for block in blocks if block)
    blocks.append([summary(report)])
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"
