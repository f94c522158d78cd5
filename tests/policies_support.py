"""Builders for policy unit tests: small model objects and a one-VM estate.

Not a test module; imported by tests/test_policies_*.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from azbackup_policy.engine import EngineSettings, run, subjects
from azbackup_policy.matrix import Matrix, builtin_matrix
from azbackup_policy.model import (
    BackupPolicy,
    Disk,
    Estate,
    Image,
    IpConfiguration,
    NetworkInterface,
    Protection,
    Unknown,
    Vault,
    VirtualMachine,
)
from azbackup_policy.rules import Kind, Observation, Rule, RuleContext

U = Unknown
SUB = "00000000-0000-0000-0000-000000000001"
VAULT_ADDR = "azurerm_recovery_services_vault.rsv"
POLICY_ADDR = "azurerm_backup_policy_vm.pol"
VM_ADDR = "azurerm_linux_virtual_machine.vm"


@cache
def all_rules() -> dict[str, Rule]:
    from azbackup_policy.ruledocs import builtin_rules

    return {rule.id: rule for rule in builtin_rules()}


@cache
def matrix() -> Matrix:
    return builtin_matrix()


def os_disk(**kw: Any) -> Disk:
    base: dict[str, Any] = dict(role="os", storage_type="Premium_LRS", size_gb=64,
                                caching="ReadWrite")
    return Disk(**{**base, **kw})


def data_disk(lun: int = 0, **kw: Any) -> Disk:
    base: dict[str, Any] = dict(role="data", lun=lun, storage_type="Premium_LRS", size_gb=128,
                                caching="None", name=f"disk-{lun}",
                                address=f"azurerm_managed_disk.d{lun}")
    return Disk(**{**base, **kw})


def nic(*configs: IpConfiguration, name: str = "nic-vm") -> NetworkInterface:
    return NetworkInterface(name=name, address=f"azurerm_network_interface.{name}",
                            ip_configurations=configs or (IpConfiguration(allocation="Dynamic"),))


def vm(**kw: Any) -> VirtualMachine:
    base: dict[str, Any] = dict(
        address=VM_ADDR, resource_type="azurerm_linux_virtual_machine", name="vm-a",
        id=f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/"
        "virtualMachines/vm-a",
        resource_group="rg-app", location="westeurope", os_type="Linux", size="Standard_D2s_v5",
        image=Image(publisher="Canonical", offer="0001-com-ubuntu-server-jammy",
                    sku="22_04-lts-gen2", version="latest"),
        os_disk=os_disk(), nics=(nic(),),
    )
    return VirtualMachine(**{**base, **kw})


def policy(**kw: Any) -> BackupPolicy:
    base: dict[str, Any] = dict(
        address=POLICY_ADDR, resource_type="azurerm_backup_policy_vm", name="pol-daily",
        vault=VAULT_ADDR, vault_name="rsv-app", policy_type="V1", frequency="Daily",
        time="23:00", retention_daily=30, instant_restore_days=2, time_zone="UTC",
    )
    return BackupPolicy(**{**base, **kw})


def enhanced(**kw: Any) -> dict[str, Any]:
    return {"policy_type": "V2", "instant_restore_days": 7, **kw}


def vault(**kw: Any) -> Vault:
    base: dict[str, Any] = dict(
        address=VAULT_ADDR, resource_type="azurerm_recovery_services_vault", name="rsv-app",
        id=f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.RecoveryServices/"
        "vaults/rsv-app",
        resource_group="rg-app", location="westeurope", sku="Standard",
        redundancy="GeoRedundant", cross_region_restore=True,
    )
    return Vault(**{**base, **kw})


def protection(**kw: Any) -> Protection:
    base: dict[str, Any] = dict(
        address="azurerm_backup_protected_vm.vm", resource_type="azurerm_backup_protected_vm",
        name="vm-a", vm=VM_ADDR, policy=POLICY_ADDR, vault=VAULT_ADDR,
    )
    return Protection(**{**base, **kw})


@dataclass(frozen=True)
class Setup:
    """Keyword overrides for the one-VM estate (``None`` = leave that object out)."""

    vm: dict[str, Any] | None = field(default_factory=dict)
    policy: dict[str, Any] | None = field(default_factory=dict)
    vault: dict[str, Any] | None = field(default_factory=dict)
    protection: dict[str, Any] | None = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # more Estate fields


def estate(setup: Setup) -> Estate:
    parts: dict[str, Any] = {
        "vms": (vm(**setup.vm),) if setup.vm is not None else (),
        "policies": (policy(**setup.policy),) if setup.policy is not None else (),
        "vaults": (vault(**setup.vault),) if setup.vault is not None else (),
        "protections": (protection(**setup.protection),) if setup.protection is not None else (),
    }
    for key, value in setup.extra.items():
        parts[key] = parts.get(key, ()) + tuple(value)
    return Estate(**parts)


def observations(rule_id: str, target: Estate, *, strict: bool = False,
                 custom_matrix: Matrix | None = None) -> list[Observation]:
    rule = all_rules()[rule_id]
    ctx = RuleContext(target, custom_matrix or matrix(), strict)
    found: list[Observation] = []
    for subject in subjects(target, rule.target):
        result = rule.check(subject, ctx)
        assert not isinstance(result, (list, tuple)) and result is not None, "checks must yield"
        found.extend(result)
    return found


def violations(rule_id: str, target: Estate, **kw: Any) -> list[Observation]:
    return [o for o in observations(rule_id, target, **kw) if o.kind is Kind.VIOLATION]


def reviews(rule_id: str, target: Estate) -> list[Observation]:
    return [o for o in observations(rule_id, target, strict=True) if o.kind is Kind.REVIEW]


@dataclass(frozen=True)
class Case:
    """One rule's pass, fail and unknown setups; ``message``/``attribute`` pin the finding."""

    rule_id: str
    fail: Setup
    ok: Setup
    message: str
    attribute: str | None = None
    unknown: Setup | None = None
    count: int = 1


def assert_case(case: Case, outcome: str) -> None:
    if outcome == "fail":
        found = violations(case.rule_id, estate(case.fail))
        assert len(found) == case.count, [o.message for o in found]
        assert case.message in found[0].message, found[0].message
        assert found[0].attribute == case.attribute
        assert_engine_severity(case.rule_id, estate(case.fail))
    elif outcome == "pass":
        assert violations(case.rule_id, estate(case.ok)) == []
        assert violations(case.rule_id, estate(case.ok), strict=True) == []
    else:
        assert case.unknown is not None
        target = estate(case.unknown)
        assert violations(case.rule_id, target) == []
        assert violations(case.rule_id, target, strict=True) == []
        assert observations(case.rule_id, target) == []
        found = reviews(case.rule_id, target)
        assert found, "strict mode should report a could-not-verify review"
        assert all("could not verify" in o.message for o in found)


def assert_engine_severity(rule_id: str, target: Estate) -> None:
    """The engine's findings carry the severity the hand-written table gives the rule."""
    from test_rule_severities import EXPECTED

    findings = run([("main.tf", target)], [all_rules()[rule_id]],
                   EngineSettings(matrix=matrix())).findings
    assert findings, f"{rule_id}: the failing case gives no finding through the engine"
    assert {(f.severity, f.kind) for f in findings} == {(EXPECTED[rule_id][0], Kind.VIOLATION)}


def params(cases: list[Case]) -> list[tuple[Case, str]]:
    out = [(c, o) for c in cases for o in ("fail", "pass")]
    out += [(c, "unknown") for c in cases if c.unknown is not None]
    return out


def ids(value: Any) -> str:
    return value.rule_id if isinstance(value, Case) else str(value)
