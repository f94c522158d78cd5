"""GitHub Actions workflow commands: ``::error file=...,line=...::message`` annotations.

One command per unsuppressed finding (``error``/``warning``/``notice`` from its
severity; reviews are notices), input error, rule failure and module not followed.
Paths are made relative to ``GITHUB_WORKSPACE`` when the working directory is inside
it, so annotations land on the right file. Escaping follows the runner: ``%``, CR and
LF in the message; additionally ``:`` and ``,`` in property values.
"""

from __future__ import annotations

from collections.abc import Iterator

from azbackup_policy.report import Finding, Report
from azbackup_policy.reporters import RenderOptions
from azbackup_policy.reporters._common import label, ordered, workspace_path
from azbackup_policy.reporters._safe import text as safe

_COMMANDS = {"error": "error", "warning": "warning", "note": "notice", "review": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: dict[str, str | int], message: str) -> str:
    """``::name k=v,k=v::message`` with every part escaped."""
    props = ",".join(f"{key}={escape_property(safe(str(value)))}"
            for key, value in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(safe(message))}"


def _path(file: str, options: RenderOptions) -> str:
    return workspace_path(file, options.cwd, options.environment, "GITHUB_WORKSPACE")


def _finding(finding: Finding, options: RenderOptions) -> str:
    loc = finding.location
    properties: dict[str, str | int] = {"file": _path(loc.file, options), "line": loc.line}
    if loc.end_line > loc.line:
        properties["endLine"] = loc.end_line
    else:
        properties["col"] = loc.column
    properties["title"] = f"{finding.rule_id} {finding.rule_name}"
    return command(_COMMANDS[label(finding)], properties, finding.message)


def _run_problems(report: Report, options: RenderOptions) -> Iterator[str]:
    for problem in report.errors:
        properties: dict[str, str | int] = {
            "file": _path(problem.file, options), "line": problem.line, "col": problem.column,
            "title": "input error",
        }
        yield command("error", properties, problem.message)
    for module in report.not_followed:
        properties = {"file": _path(module.file, options), "line": module.line,
                      "title": "module not followed"}
        yield command("warning", properties, f"{module.source}: {module.explained}")
    for failure in sorted(report.rule_failures, key=lambda r: (r.rule_id, r.origin)):
        yield command("error", {"title": f"rule {failure.rule_id} failed"},
                      f"{failure.rule_id} ({failure.origin}) {failure.message}")
    for text in sorted(report.warnings):
        yield command("warning", {"title": "azbackup-policy"}, text)


def render(report: Report, options: RenderOptions) -> str:
    lines = [_finding(f, options) for f in ordered(report.active_findings)]
    lines += sorted(_run_problems(report, options))
    return "".join(line + "\n" for line in lines)
