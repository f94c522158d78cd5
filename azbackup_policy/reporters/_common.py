"""Helpers shared by the reporters: counts, ordering, paths and time stamps.

Everything here is pure: the environment and the working directory come from
:class:`~azbackup_policy.reporters.RenderOptions`, never from the process.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from azbackup_policy.report import Finding, Report
from azbackup_policy.reporters._safe import uri_path
from azbackup_policy.rules import FailOn, Kind, Severity

TOOL_NAME = "azbackup-policy"
INFORMATION_URI = "https://github.com/azbackup-policy/azbackup-policy"
LEVELS = ("error", "warning", "note")
_DRIVE = re.compile(r"^[A-Za-z]:(?:/|$)")


@dataclass(frozen=True, slots=True)
class Counts:
    """Active (unsuppressed) findings by level, plus the other totals of a report."""

    error: int = 0
    warning: int = 0
    note: int = 0
    review: int = 0
    suppressed: int = 0
    files_scanned: int = 0
    files_skipped: int = 0
    input_errors: int = 0
    rule_failures: int = 0

    @property
    def findings(self) -> int:
        return self.error + self.warning + self.note + self.review


def count(report: Report) -> Counts:
    """Totals of ``report``; reviews are counted apart from the three severities."""
    by_level = dict.fromkeys((*LEVELS, "review"), 0)
    for finding in report.active_findings:
        by_level[label(finding)] += 1
    return Counts(
        **by_level,
        suppressed=len(report.findings) - len(report.active_findings),
        files_scanned=len(report.files_scanned),
        files_skipped=len(report.skipped),
        input_errors=len(report.errors),
        rule_failures=len(report.rule_failures),
    )


def label(finding: Finding) -> str:
    """``error`` / ``warning`` / ``note``, or ``review`` for a could-not-verify finding."""
    return "review" if finding.kind is Kind.REVIEW else finding.severity.value


def plural(number: int, word: str, many: str | None = None) -> str:
    return f"{number} {word if number == 1 else (many or word + 's')}"


def is_failing(finding: Finding, fail_on: FailOn) -> bool:
    """True for an unsuppressed violation at or above ``fail_on`` (``never``: nothing)."""
    if finding.suppressed or finding.kind is not Kind.VIOLATION or fail_on == "never":
        return False
    return finding.severity.rank >= Severity(fail_on).rank


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in the report order: file, line, rule, resource, attribute."""
    return sorted(findings, key=Finding.sort_key)


def by_file(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = {}
    for finding in ordered(findings):
        groups.setdefault(finding.location.file, []).append(finding)
    return groups


def display_name(finding: Finding) -> str:
    """The short name shown in brackets: the VM, else the resource name, else its address."""
    return finding.vm or finding.resource.name or finding.resource.address


def normalize_path(path: str) -> str:
    """A path with forward slashes and no leading ``./`` (Windows paths too)."""
    text = posixpath.normpath(path.replace("\\", "/"))
    return "" if text == "." else text


def is_absolute(path: str) -> bool:
    """True for ``/x``, ``C:/x`` / ``C:\\x`` and UNC ``//host/share`` paths, on any platform."""
    text = path.replace("\\", "/")
    return text.startswith("/") or bool(_DRIVE.match(text))


def file_uri(path: str) -> str:
    """The ``file:`` URI of an absolute path: ``file:///C:/x`` on Windows (no ``C%3A``)."""
    text = normalize_path(path) + ("/" if path.endswith(("/", "\\")) else "")
    if _DRIVE.match(text):
        return "file:///" + text[:2] + uri_path(text[2:])
    if text.startswith("//"):  # UNC: the host is the URI's authority
        return "file:" + uri_path(text)
    return "file://" + uri_path(text)


def _fold(path: str) -> str:
    """Drive letters compare without case (``c:/`` is ``C:/``)."""
    return path[0].upper() + path[1:] if _DRIVE.match(path) else path


def relative_to(path: str, root: str, cwd: str) -> str | None:
    """``path`` (relative to ``cwd``, or absolute) made relative to ``root``; None if outside.

    Both ``root`` and ``cwd`` must be absolute for a relative result to be computed. POSIX
    and Windows paths are both understood, whatever the platform the reporter runs on.
    """
    cwd_n, root_n = normalize_path(cwd), normalize_path(root)
    if not is_absolute(root_n) or not is_absolute(cwd_n):
        return None
    rel_path = normalize_path(path)
    full = _fold(normalize_path(rel_path if is_absolute(rel_path)
                                else posixpath.join(cwd_n, rel_path)))
    base = _fold(root_n).rstrip("/")
    if full == base or full == base + "/":
        return "."
    return full[len(base) + 1:] if full.startswith(base + "/") else None


def workspace_path(path: str, cwd: str, environment: Mapping[str, str], variable: str) -> str:
    """``path`` relative to the CI workspace named by ``variable`` when it can be computed."""
    root = environment.get(variable)
    if root:
        rel = relative_to(path, root, cwd)
        if rel is not None:
            return rel
    return normalize_path(path)


def timestamp(environment: Mapping[str, str]) -> datetime:
    """The report time in UTC: ``SOURCE_DATE_EPOCH`` when set (reproducible), else now."""
    epoch = environment.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return datetime.now(tz=timezone.utc).replace(microsecond=0)
