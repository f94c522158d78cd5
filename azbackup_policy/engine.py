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
    matrix: Mapping[str, Any] = field(default_factory=dict)
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
        Target.ESTATE: (estate,),
    }[target]


def run(
    units: Sequence[tuple[str, Estate]],
    rules: Sequence[Rule],
    settings: EngineSettings,
) -> EngineResult:
    """Run every rule over every unit's estate; findings sorted deterministically."""
    result = EngineResult()
    for unit_path, estate in units:
        context = RuleContext(estate, settings.matrix, settings.strict, settings.options)
        for rule in rules:
            _run_rule(rule, unit_path, estate, context, settings, result)
    result.findings.sort(key=Finding.sort_key)
    return result


def _run_rule(
    rule: Rule,
    unit_path: str,
    estate: Estate,
    context: RuleContext,
    settings: EngineSettings,
    result: EngineResult,
) -> None:
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
            result.findings.append(to_finding(rule, severity, observation, unit_path))


def to_finding(
    rule: Rule,
    severity: Severity,
    observation: Observation,
    unit_path: str,
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
                                observation.attribute),
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


def fingerprint(rule_id: str, address: str, attribute: str | None) -> str:
    """A stable id for a finding: rule + resource address + attribute, never line numbers."""
    text = "\x1f".join((rule_id, address, attribute or ""))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
