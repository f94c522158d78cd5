"""The rule-authoring API: what a policy module (built-in or plugin) imports.

A rule is frozen metadata plus one pure function. The function receives the
subject its ``target`` names (a VM, a policy, a vault, a protected item, a scale
set, or the whole estate) and a :class:`RuleContext`, and *yields*
:class:`Observation` objects. The engine turns observations into findings.

Unknown values never make a violation: use :func:`known` / :meth:`RuleContext.unknown`
so that strict mode can report *could-not-verify* reviews instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal, get_args

from azbackup_policy.matrix import Matrix, builtin_matrix
from azbackup_policy.model import (
    Estate,
    ModelObject,
    Unknown,
    VirtualMachine,
)


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "note": 1}[self.value]


FailOn = Literal["error", "warning", "note", "never"]
"""The lowest severity that fails a scan (exit code 1), or ``never``."""
FAIL_ON: tuple[FailOn, ...] = get_args(FailOn)


class Kind(str, Enum):
    VIOLATION = "violation"
    REVIEW = "review"  # could not verify: the value is unknown (strict mode only)


class Target(str, Enum):
    VM = "vm"
    POLICY = "policy"
    VAULT = "vault"
    PROTECTION = "protection"
    SCALE_SET = "scale_set"
    STORAGE_ACCOUNT = "storage_account"
    ESTATE = "estate"


@dataclass(frozen=True, slots=True)
class Observation:
    """What a rule saw: the object concerned, a message with the observed value.

    ``attribute`` is the model field path (``"os_disk.ephemeral"``) so that the
    finding points at the attribute's line and the fingerprint survives line shifts.
    ``subject`` may be a nested object (a disk) -- ``resource`` then names the
    top-level declared resource that holds it, and ``vm`` the VM concerned.
    """

    subject: ModelObject
    message: str
    attribute: str | None = None
    vm: VirtualMachine | None = None
    kind: Kind = Kind.VIOLATION
    # A lower severity than the rule's for this case (the service degrades instead of
    # failing, e.g. an Enhanced policy falls back to crash-consistent points); None = the
    # rule's. A configured severity override still wins.
    severity: Severity | None = None


Check = Callable[[Any, "RuleContext"], Iterable[Observation]]


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule's metadata and its check function."""

    id: str  # stable, never reused: "BKP-STO-003"
    name: str  # kebab-case: "ephemeral-os-disk"
    area: str  # the policy module: "storage", "compute", "coverage", ...
    severity: Severity
    matrix_rows: tuple[str, ...]
    summary: str  # the requirement
    help: str  # why, the fix, and a before/after snippet (Markdown)
    target: Target
    check: Check = field(compare=False, repr=False)
    # The date of Microsoft's article the rule follows: policies/matrix.yaml article.date.
    article_date: str = field(default_factory=lambda: builtin_matrix().article.date)
    tags: tuple[str, ...] = ()
    help_uri: str | None = None
    # The origin: "builtin:<module>" or "plugin:<distribution>"; set by the plugin layer.
    origin: str = ""
    # Why the rule has its severity, on the scale of docs/severity.md ("error: ...").
    severity_rationale: str = ""


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What a check may read besides its subject."""

    estate: Estate
    matrix: Matrix = field(default_factory=builtin_matrix)  # ctx.matrix.disks.max_disks_per_vm
    strict: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)  # organisation settings

    def unknown(
        self,
        subject: ModelObject,
        value: Unknown,
        what: str,
        *,
        attribute: str | None = None,
        vm: VirtualMachine | None = None,
    ) -> Iterator[Observation]:
        """A could-not-verify review in strict mode; nothing otherwise."""
        if self.strict:
            yield Observation(
                subject=subject,
                message=f"could not verify {what}: the value is not known before deployment "
                f"({value.expression})",
                attribute=attribute,
                vm=vm,
                kind=Kind.REVIEW,
            )


def known(value: object) -> bool:
    """True when ``value`` is a real value (not :class:`Unknown`, not ``None``)."""
    return value is not None and not isinstance(value, Unknown)


def lower(value: object) -> str | None:
    """``value.lower()`` for known strings, else None."""
    return value.lower() if isinstance(value, str) else None
