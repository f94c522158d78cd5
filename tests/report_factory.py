"""A realistic :class:`Report` built by hand, for the reporter tests.

It covers what a reporter must render: findings of several rules, areas and
severities in four units (plan JSON, an HCL module folder, ARM, Bicep), an inline
and a baseline suppression, a strict-mode review, an input error, a skipped file,
a module that was not followed, a rule failure and a warning.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import jsonschema
import xmlschema
from conftest import find_shared_schemas

from azbackup_policy.document import NotFollowed
from azbackup_policy.engine import fingerprint
from azbackup_policy.model import (
    AttrSpans,
    BackupPolicy,
    Estate,
    SourceSpan,
    Vault,
    VirtualMachine,
)
from azbackup_policy.report import (
    Finding,
    InputProblem,
    Report,
    ResourceRef,
    RuleFailure,
    ScannedUnit,
    SkippedFile,
    Suppression,
)
from azbackup_policy.rules import Kind, Observation, Rule, Severity, Target

VERSION = "0.1.0"
LINUX_VM = "azurerm_linux_virtual_machine"
WINDOWS_VM = "azurerm_windows_virtual_machine"
ARM_VM = "Microsoft.Compute/virtualMachines"
ARM_POLICY = "Microsoft.RecoveryServices/vaults/backupPolicies"


def _no_check(subject: object, context: object) -> Iterator[Observation]:
    yield from ()


def _rule(
    rule_id: str, name: str, area: str, severity: Severity, rows: tuple[str, ...], summary: str
) -> Rule:
    return Rule(
        id=rule_id,
        name=name,
        area=area,
        severity=severity,
        matrix_rows=rows,
        summary=summary,
        help=f"{summary}.\n\nFix: see the matrix rows {', '.join(rows)}.\n\n"
        "```hcl\n# before\n# after\n```",
        target=Target.VM,
        check=_no_check,
        origin="builtin:azbackup_policy.policies." + area,
    )


def rules() -> tuple[Rule, ...]:
    return (
        _rule("BKP-COV-001", "vm-not-protected", "coverage", Severity.WARNING, ("C1",),
              "Every virtual machine is protected by a backup policy"),
        _rule("BKP-POL-004", "instant-restore-days", "policy", Severity.NOTE, ("P7",),
              "Enhanced policies keep instant restore snapshots for 7 days or more"),
        _rule("BKP-SEC-002", "trusted-launch-needs-enhanced-policy", "security",
              Severity.ERROR, ("SE4", "SE5"),
              "Trusted Launch VMs are protected with an Enhanced (V2) policy"),
        _rule("BKP-STO-003", "ephemeral-os-disk", "storage", Severity.ERROR, ("ST13",),
              "The OS disk of a protected VM is not ephemeral"),
    )


def _rule_by_id(rule_id: str) -> Rule:
    return next(rule for rule in rules() if rule.id == rule_id)


def finding(
    rule_id: str,
    address: str,
    resource_type: str,
    name: str | None,
    location: SourceSpan,
    message: str,
    *,
    attribute: str | None = None,
    vm: str | None = None,
    kind: Kind = Kind.VIOLATION,
    suppression: Suppression | None = None,
    severity: Severity | None = None,
) -> Finding:
    rule = _rule_by_id(rule_id)
    return Finding(
        rule_id=rule.id,
        rule_name=rule.name,
        area=rule.area,
        matrix_rows=rule.matrix_rows,
        severity=severity or rule.severity,
        kind=kind,
        resource=ResourceRef(address, resource_type, name),
        vm=vm if vm is not None else (name if "virtual" in resource_type.lower() else None),
        location=location,
        message=message,
        attribute=attribute,
        fingerprint=fingerprint(rule.id, address, attribute, unit=location.file),
        suppression=suppression,
    )


def _vm(
    address: str, kind: str, name: str, span: SourceSpan, **spans: SourceSpan
) -> VirtualMachine:
    return VirtualMachine(
        address=address, resource_type=kind, name=name, span=span,
        attr_spans=AttrSpans({key.replace("__", "."): value for key, value in spans.items()}),
    )


def _estates() -> dict[str, Estate]:
    plan, main, db = "tfplan.json", "terraform/main.tf", "terraform/modules/db/main.tf"
    arm, bicep = "arm/azuredeploy.json", "bicep/main.bicep"
    return {
        plan: Estate(vms=(
            _vm(f"{LINUX_VM}.web[0]", LINUX_VM, "vm-web-0", SourceSpan(plan, 120, 180, 9)),
            _vm(f"{LINUX_VM}.web[1]", LINUX_VM, "vm-web-1", SourceSpan(plan, 181, 241, 9)),
        )),
        "terraform": Estate(vms=(
            _vm(f"{LINUX_VM}.jump", LINUX_VM, "vm-jump", SourceSpan(main, 88, 112)),
            _vm(f"module.db.{LINUX_VM}.db", LINUX_VM, "vm-db", SourceSpan(db, 14, 40)),
        )),
        arm: Estate(
            vms=(_vm("vmApiA", ARM_VM, "vm-api-a", SourceSpan(arm, 210, 262, 5)),),
            policies=(BackupPolicy(address="polDaily", resource_type=ARM_POLICY,
                                   name="rsv-app/pol-daily", span=SourceSpan(arm, 60, 95, 5)),),
            vaults=(Vault(address="vault", resource_type="Microsoft.RecoveryServices/vaults",
                          name="rsv-app", span=SourceSpan(arm, 40, 58, 5)),),
        ),
        bicep: Estate(vms=(
            _vm("apiVms[0]", ARM_VM, "vm-api-a", SourceSpan(bicep, 71, 118)),
            _vm("apiVms[1]", ARM_VM, "vm-api-b", SourceSpan(bicep, 71, 118)),
        )),
    }


def units() -> tuple[ScannedUnit, ...]:
    estates = _estates()
    files = {
        "tfplan.json": ("terraform-plan", ("tfplan.json",)),
        "terraform": ("terraform-hcl", ("terraform/main.tf", "terraform/modules/db/main.tf",
                                        "terraform/variables.tf")),
        "arm/azuredeploy.json": ("arm", ("arm/azuredeploy.json",
                                         "arm/azuredeploy.parameters.json")),
        "bicep/main.bicep": ("bicep", ("bicep/main.bicep", "bicep/modules/db.bicep")),
    }
    return tuple(
        ScannedUnit(path, kind, unit_files, estates[path])
        for path, (kind, unit_files) in files.items()
    )


def evaluations(scanned: Iterable[ScannedUnit]) -> tuple[tuple[str, str, str], ...]:
    """Every rule on every VM of every unit; the policy rule on policies (ARM only)."""
    triples: list[tuple[str, str, str]] = []
    for unit in scanned:
        for rule in rules():
            subjects = unit.estate.policies if rule.area == "policy" else unit.estate.vms
            triples.extend((unit.path, rule.id, subject.address) for subject in subjects)
    return tuple(triples)


def findings() -> tuple[Finding, ...]:
    plan, main, db = "tfplan.json", "terraform/main.tf", "terraform/modules/db/main.tf"
    arm, bicep = "arm/azuredeploy.json", "bicep/main.bicep"
    items = (
        finding("BKP-STO-003", f"{LINUX_VM}.web[0]", LINUX_VM, "vm-web-0",
                SourceSpan(plan, 151, 151, 13),
                f"OS disk of {LINUX_VM}.web[0] is ephemeral (diff_disk_settings.option = Local); "
                "Azure Backup cannot protect ephemeral OS disks",
                attribute="os_disk.ephemeral"),
        finding("BKP-COV-001", f"{LINUX_VM}.jump", LINUX_VM, "vm-jump",
                SourceSpan(main, 88, 112),
                f"{LINUX_VM}.jump (vm-jump) has no protected item in any Recovery Services vault"),
        finding("BKP-STO-003", f"module.db.{LINUX_VM}.db", LINUX_VM, "vm-db",
                SourceSpan(db, 27, 29, 5),
                f"OS disk of module.db.{LINUX_VM}.db is ephemeral "
                "(diff_disk_settings.option = Local, placement = ResourceDisk); "
                "Azure Backup cannot protect ephemeral OS disks",
                attribute="os_disk.ephemeral"),
        finding("BKP-POL-004", "polDaily", ARM_POLICY, "rsv-app/pol-daily",
                SourceSpan(arm, 81, 81, 11),
                "instantRpRetentionRangeInDays = 2 keeps snapshots for 2 days: 100% of "
                "restores after day 2 read from the vault (slower)",
                attribute="instant_restore_days"),
        finding("BKP-COV-001", "vmApiA", ARM_VM, "vm-api-a", SourceSpan(arm, 210, 262, 5),
                "vmApiA (vm-api-a) has no protected item in any Recovery Services vault",
                suppression=Suppression("accepted in the 2026-Q1 baseline", "baseline")),
        finding("BKP-SEC-002", "apiVms[0]", ARM_VM, "vm-api-a", SourceSpan(bicep, 79, 79, 7),
                "apiVms[0] (vm-api-a) uses Trusted Launch but pol-daily is a Standard (V1) policy",
                attribute="security_type",
                suppression=Suppression("migrating to pol-enhanced in change CHG-1234",
                                        "inline", until="2026-12-31")),
        finding("BKP-STO-003", "apiVms[1]", ARM_VM, "vm-api-b", SourceSpan(bicep, 96, 98, 9),
                "could not verify the OS disk placement: the value is not known before "
                "deployment (parameters('diskPlacement'))",
                attribute="os_disk.ephemeral", kind=Kind.REVIEW),
    )
    return tuple(sorted(items, key=Finding.sort_key))


def build_report(fail_on: str = "warning") -> Report:
    scanned = units()
    return Report(
        tool_version=VERSION,
        findings=findings(),
        rules=rules(),
        units=scanned,
        skipped=(SkippedFile("package.json", "JSON of no known kind"),),
        errors=(InputProblem("broken/main.tf", 7, 12,
                             "Invalid expression: expected a value, found '}'"),),
        rule_failures=(RuleFailure("BKP-EXT-001", "plugin:azbackup-policy-contoso",
                                   "raised KeyError: 'sku'"),),
        not_followed=(NotFollowed("terraform/main.tf", 42,
                                  "git::https://example.com/terraform-modules/net.git?ref=v1.2.0",
                                  "remote module sources are not followed"),),
        warnings=("suppression of BKP-STO-009 at terraform/main.tf:12 matched no finding",),
        fail_on=fail_on,
        evaluations=evaluations(scanned),
    )


def empty_report() -> Report:
    return Report(tool_version=VERSION)


def errors_only_report() -> Report:
    """A run where every input failed: input errors and a rule failure, nothing scanned."""
    return Report(
        tool_version=VERSION,
        rules=rules(),
        errors=(
            InputProblem("arm/broken.json", 3, 1, "Expecting ',' delimiter"),
            InputProblem("bicep/main.bicep", 12, 20, "unterminated string: 'vm-'"),
        ),
        rule_failures=(RuleFailure("BKP-EXT-001", "plugin:azbackup-policy-contoso",
                                   "raised KeyError: 'sku'"),),
    )


# --- validation against shared/schemas (fails, never skips, when they are missing) ---


@lru_cache(maxsize=1)
def _sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads((find_shared_schemas() / "sarif-schema-2.1.0.json").read_text("utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


@lru_cache(maxsize=1)
def _junit_schema() -> xmlschema.XMLSchema10:
    return xmlschema.XMLSchema10(str(find_shared_schemas() / "junit-windyroad.xsd"))


def validate_sarif(text: str) -> dict[str, Any]:
    """The parsed SARIF log; raises when it is not valid SARIF 2.1.0."""
    log: dict[str, Any] = json.loads(text)
    errors = sorted(_sarif_validator().iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    return log


def validate_junit(text: str) -> None:
    """Raises when ``text`` is not valid against the Ant JUnit XSD."""
    _junit_schema().validate(text)
