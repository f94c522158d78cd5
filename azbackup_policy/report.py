"""The finished result of a scan: findings, the rules that ran, files and errors.

Reporters take a :class:`Report` and render it; the CLI maps it to an exit code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from azbackup_policy.document import NotFollowed
from azbackup_policy.model import Estate, SourceSpan
from azbackup_policy.rules import FailOn, Kind, Rule, Severity


@dataclass(frozen=True, slots=True)
class ResourceRef:
    address: str
    type: str
    name: str | None


@dataclass(frozen=True, slots=True)
class Suppression:
    reason: str
    source: str  # "inline", "config" or "baseline"
    until: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    rule_name: str
    area: str
    matrix_rows: tuple[str, ...]
    severity: Severity
    kind: Kind
    resource: ResourceRef
    vm: str | None
    location: SourceSpan
    message: str
    attribute: str | None
    fingerprint: str
    suppression: Suppression | None = None

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    def sort_key(self) -> tuple[str, int, str, str, str]:
        loc = self.location
        return (loc.file, loc.line, self.rule_id, self.resource.address, self.attribute or "")


@dataclass(frozen=True, slots=True)
class InputProblem:
    """A file that could not be read or understood."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True, slots=True)
class SkippedFile:
    file: str
    reason: str


@dataclass(frozen=True, slots=True)
class RuleFailure:
    """A rule or plugin that raised; the run goes on but exits 3."""

    rule_id: str
    origin: str
    message: str


@dataclass(frozen=True, slots=True)
class ScannedUnit:
    """One deployment unit: what was read, in which format, and its estate."""

    path: str
    format: str
    files: tuple[str, ...]
    estate: Estate


@dataclass(frozen=True, slots=True)
class Report:
    tool_version: str
    findings: tuple[Finding, ...] = ()
    rules: tuple[Rule, ...] = ()
    units: tuple[ScannedUnit, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()
    errors: tuple[InputProblem, ...] = ()
    rule_failures: tuple[RuleFailure, ...] = ()
    not_followed: tuple[NotFollowed, ...] = ()
    warnings: tuple[str, ...] = ()
    fail_on: FailOn = "warning"
    # Rule evaluations per unit: (unit path, rule id, resource address) that were checked.
    evaluations: tuple[tuple[str, str, str], ...] = field(default=(), repr=False)

    @property
    def files_scanned(self) -> tuple[str, ...]:
        return tuple(sorted({f for unit in self.units for f in unit.files}))

    @property
    def active_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.suppressed)

    def at_or_above(self, threshold: FailOn | None = None) -> tuple[Finding, ...]:
        """Unsuppressed violations at or above ``threshold`` (default: the report's)."""
        level = threshold or self.fail_on
        if level == "never":
            return ()
        rank = Severity(level).rank
        return tuple(
            f
            for f in self.active_findings
            if f.kind is Kind.VIOLATION and f.severity.rank >= rank
        )
