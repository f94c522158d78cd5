"""Azure Pipelines logging commands: ``##vso[task.logissue type=error;...]message``.

``task.logissue`` knows only ``error`` and ``warning``: errors are errors; warnings,
notes and could-not-verify reviews are warnings (every line is a command, so text from
the scanned files can never start a command of its own). When findings
exist but none reaches ``options.fail_on`` (and nothing else failed), the step is
marked ``SucceededWithIssues`` with ``task.complete``.

Escaping follows the agent: ``%`` becomes ``%AZP25`` (first), CR ``%0D``, LF ``%0A``;
property values also escape ``;`` (``%3B``) and ``]`` (``%5D``). Paths are made relative
to ``BUILD_SOURCESDIRECTORY`` when the working directory is inside it.
"""

from __future__ import annotations

from collections.abc import Iterator

from azbackup_policy.report import Finding, Report
from azbackup_policy.reporters import RenderOptions
from azbackup_policy.reporters._common import (
    is_failing,
    label,
    ordered,
    workspace_path,
)
from azbackup_policy.reporters._safe import text as safe

_TYPES = {"error": "error", "warning": "warning", "note": "warning", "review": "warning"}


def escape_data(text: str) -> str:
    return text.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(";", "%3B").replace("]", "%5D")


def logissue(issue_type: str, properties: dict[str, str | int], message: str) -> str:
    props = "".join(f";{key}={escape_property(safe(str(value)))}"
            for key, value in properties.items())
    return f"##vso[task.logissue type={issue_type}{props}]{escape_data(safe(message))}"


def _path(file: str, options: RenderOptions) -> str:
    return workspace_path(file, options.cwd, options.environment, "BUILD_SOURCESDIRECTORY")


def _finding(finding: Finding, options: RenderOptions) -> str:
    loc = finding.location
    properties: dict[str, str | int] = {
        "sourcepath": _path(loc.file, options), "linenumber": loc.line,
        "columnnumber": loc.column, "code": finding.rule_id,
    }
    return logissue(_TYPES[label(finding)], properties, finding.message)


def _run_problems(report: Report, options: RenderOptions) -> Iterator[str]:
    for problem in report.errors:
        properties: dict[str, str | int] = {
            "sourcepath": _path(problem.file, options), "linenumber": problem.line,
            "columnnumber": problem.column, "code": "input-error",
        }
        yield logissue("error", properties, problem.message)
    for module in report.not_followed:
        properties = {"sourcepath": _path(module.file, options), "linenumber": module.line,
                      "code": "not-followed"}
        yield logissue("warning", properties, f"{module.source}: {module.explained}")
    for failure in sorted(report.rule_failures, key=lambda r: (r.rule_id, r.origin)):
        yield logissue("error", {"code": failure.rule_id},
                       f"rule {failure.rule_id} ({failure.origin}) {failure.message}")
    for text in sorted(report.warnings):
        yield logissue("warning", {}, text)


def _succeeded_with_issues(report: Report, options: RenderOptions) -> bool:
    if report.errors or report.rule_failures or not report.active_findings:
        return False
    return not any(is_failing(f, options.fail_on) for f in report.active_findings)


def render(report: Report, options: RenderOptions) -> str:
    lines = [_finding(f, options) for f in ordered(report.active_findings)]
    lines += sorted(_run_problems(report, options))
    if _succeeded_with_issues(report, options):
        lines.append("##vso[task.complete result=SucceededWithIssues;]"
                     "findings below the fail-on threshold")
    return "".join(line + "\n" for line in lines)
