"""Select rules, run them over each estate, turn observations into findings.

Rules are pure functions; the engine is where their results meet metadata,
severity overrides and locations. A rule that raises does not stop the other
rules: it becomes a :class:`~azbackup_policy.report.RuleFailure` (exit 3).
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from azbackup_policy.matrix import Matrix, builtin_matrix
from azbackup_policy.model import (
    Estate,
    IpConfiguration,
    ModelObject,
    SourceSpan,
    Unknown,
    VirtualMachine,
)
from azbackup_policy.report import Finding, ResourceRef, RuleFailure
from azbackup_policy.rules import Observation, Rule, RuleContext, Severity, Target


@dataclass(frozen=True, slots=True)
class Selection:
    """Which rules run. Each pattern matches a rule id, name, area or id prefix/glob."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def wants(self, rule: Rule) -> bool:
        if self.select and not any(_matches(rule, p) for p in self.select):
            return False
        return not any(_matches(rule, p) for p in self.ignore)


def _matches(rule: Rule, pattern: str) -> bool:
    pattern_lower = pattern.lower()
    for value in (rule.id, rule.name, rule.area):
        value_lower = value.lower()
        if value_lower == pattern_lower or fnmatch.fnmatchcase(value_lower, pattern_lower):
            return True
    return rule.id.lower().startswith(pattern_lower.rstrip("*"))


def select_rules(rules: Iterable[Rule], selection: Selection) -> list[Rule]:
    return [rule for rule in rules if selection.wants(rule)]


@dataclass(frozen=True, slots=True)
class EngineSettings:
    matrix: Matrix = field(default_factory=builtin_matrix)
    strict: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)


@dataclass(slots=True)
class EngineResult:
    findings: list[Finding] = field(default_factory=list)
    failures: list[RuleFailure] = field(default_factory=list)
    evaluations: list[tuple[str, str, str]] = field(default_factory=list)


def subjects(estate: Estate, target: Target) -> Sequence[Any]:
    """The objects a rule of ``target`` is run on."""
    return {
        Target.VM: estate.vms,
        Target.POLICY: estate.policies,
        Target.VAULT: estate.vaults,
        Target.PROTECTION: estate.protections,
        Target.SCALE_SET: estate.scale_sets,
        Target.STORAGE_ACCOUNT: estate.storage_accounts,
        Target.ESTATE: (estate,),
    }[target]


def run(
    units: Sequence[tuple[str, Estate]],
    rules: Sequence[Rule],
    settings: EngineSettings,
    *,
    unit_keys: Mapping[str, str] | None = None,
) -> EngineResult:
    """Run every rule over every unit's estate; findings sorted deterministically.

    ``unit_keys`` maps a unit path to the path that goes into fingerprints (relative to
    the repository root, so it does not depend on the working directory); by default
    the unit path itself.
    """
    result = EngineResult()
    for unit_path, estate in units:
        context = RuleContext(estate, settings.matrix, settings.strict, settings.options)
        key = (unit_keys or {}).get(unit_path, unit_path).replace("\\", "/")
        for rule in rules:
            _run_rule(rule, (unit_path, key), estate, context, settings, result)
    result.findings.sort(key=Finding.sort_key)
    return result


def _run_rule(
    rule: Rule,
    unit: tuple[str, str],
    estate: Estate,
    context: RuleContext,
    settings: EngineSettings,
    result: EngineResult,
) -> None:
    unit_path, unit_key = unit
    override = settings.severity_overrides.get(rule.id)
    for subject in subjects(estate, rule.target):
        address = getattr(subject, "address", unit_path) or unit_path
        result.evaluations.append((unit_path, rule.id, address))
        try:
            observations = list(rule.check(subject, context))
        except Exception as exc:  # a rule bug must not hide the other rules' findings
            result.failures.append(
                RuleFailure(rule.id, rule.origin, f"raised {type(exc).__name__}: {exc}")
            )
            return
        for observation in observations:
            severity = override or observation.severity or rule.severity
            result.findings.append(to_finding(rule, severity, observation, unit_path,
                                              unit_key=unit_key))


def to_finding(
    rule: Rule,
    severity: Severity,
    observation: Observation,
    unit_path: str,
    *,
    unit_key: str | None = None,
) -> Finding:
    subject = observation.subject
    vm = observation.vm or (subject if isinstance(subject, VirtualMachine) else None)
    holder = _declared_holder(subject, vm)
    location = (
        subject.span_of(observation.attribute)
        or (vm.span if vm is not None else None)
        or SourceSpan(unit_path, 1, 1)
    )
    return Finding(
        rule_id=rule.id,
        rule_name=rule.name,
        area=rule.area,
        matrix_rows=rule.matrix_rows,
        severity=severity,
        kind=observation.kind,
        resource=ResourceRef(holder.address, holder.resource_type, _name(holder.name)),
        vm=_name(vm.name) if vm is not None else None,
        location=location,
        message=observation.message,
        attribute=observation.attribute,
        fingerprint=fingerprint(rule.id, subject.address or holder.address,
                                observation.attribute, unit=unit_key or unit_path),
    )


def _declared_holder(subject: ModelObject, vm: VirtualMachine | None) -> ModelObject:
    """The declared resource to name: the subject itself, or the NIC or VM that holds it inline.

    Linkers differ in whether an inline object has an address of its own (the azurerm linker
    gives ``<vm>.os_disk`` and ``<nic>.ip_configuration.0``, the ARM linker none), so an
    address below the VM's, or an IP configuration, is named by the resource that declares
    it: every format then names the same resource.
    """
    if vm is None:
        return subject
    if isinstance(subject, IpConfiguration):
        nic = next((n for n in vm.nics if any(c is subject for c in n.ip_configurations)), None)
        if nic is not None and nic.address and not _inline(nic.address, vm.address):
            return nic
    if subject.address and not _inline(subject.address, vm.address):
        return subject
    return vm


def _inline(address: str, vm_address: str) -> bool:
    return bool(vm_address) and address.startswith(vm_address + ".")


def _name(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Unknown):
        return f"<unknown: {value.expression}>"
    return None


def fingerprint(rule_id: str, address: str, attribute: str | None, *, unit: str) -> str:
    """A stable id for a finding: unit + rule + resource address + attribute, never lines.

    ``unit`` is the unit's path relative to the repository root with ``/`` (see
    :func:`~azbackup_policy.discover.repository_path`), so two environments that share
    code (``envs/dev``, ``envs/prod``) get distinct fingerprints, and the same ones from
    any working directory and on any platform. A lone surrogate (from a JSON escape) is
    hashed as it is (``surrogatepass``): it never crashes a report.
    """
    text = "\x1f".join(("v2", unit, rule_id, address, attribute or ""))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
