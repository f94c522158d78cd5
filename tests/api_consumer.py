"""A library user's script: every public name of ``azbackup_policy``, type-checked with
``mypy --strict`` by tests/test_public_api.py (and run by it, to show it works)."""

from __future__ import annotations

import sys

from azbackup_policy import (
    AzBackupPolicyError,
    BackupPolicy,
    ConfigError,
    Disk,
    Estate,
    FailOn,
    Finding,
    InputError,
    InputProblem,
    Kind,
    NetworkInterface,
    PluginError,
    Protection,
    Report,
    ResourceRef,
    Rule,
    RuleFailure,
    ScannedUnit,
    ScanOptions,
    Severity,
    SourceSpan,
    Unknown,
    Vault,
    VirtualMachine,
    __version__,
    is_known,
    load_estate,
    scan,
)


def describe(vm: VirtualMachine, estate: Estate) -> str:
    name = vm.name if is_known(vm.name) else "<unknown>"
    disks: list[Disk] = [d for d in (vm.os_disk, *vm.data_disks) if d is not None]
    nics: tuple[NetworkInterface, ...] = vm.nics
    protections: list[Protection] = list(estate.protections_of(vm))
    return f"{name}: {len(disks)} disks, {len(nics)} NICs, {len(protections)} protections"


def findings_text(report: Report, threshold: FailOn) -> list[str]:
    lines = []
    for finding in report.at_or_above(threshold):
        assert isinstance(finding, Finding)
        where: SourceSpan = finding.location
        resource: ResourceRef = finding.resource
        severity: Severity = finding.severity
        kind: Kind = finding.kind
        lines.append(f"{where.file}:{where.line} {severity.value} {kind.value} "
                     f"{finding.rule_id} {resource.address}")
    problems: tuple[InputProblem, ...] = report.errors
    failures: tuple[RuleFailure, ...] = report.rule_failures
    units: tuple[ScannedUnit, ...] = report.units
    rules: tuple[Rule, ...] = report.rules
    lines += [str(p) for p in problems] + [f.message for f in failures]
    lines.append(f"{len(units)} units, {len(rules)} rules, azbackup-policy {__version__}")
    return lines


def main(path: str) -> int:
    options = ScanOptions(fail_on="error", strict=True)
    report = scan([path], options)
    print("\n".join(findings_text(report, options.fail_on)))
    try:
        estate = load_estate(path)
    except InputError as error:
        print(f"{error.file}:{error.line}: {error.message}")
        return 2
    except (ConfigError, PluginError, AzBackupPolicyError) as error:
        print(error)
        return 2
    vaults: tuple[Vault, ...] = estate.vaults
    policies: tuple[BackupPolicy, ...] = estate.policies
    print(f"{len(vaults)} vaults, {len(policies)} policies")
    for vm in estate.vms:
        print(describe(vm, estate))
        if isinstance(vm.size, Unknown):
            print(f"size known only at deployment: {vm.size.expression}")
    return 1 if report.at_or_above() else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
