"""Unit tests of the compute and security_encryption (Confidential VM) rules."""

from __future__ import annotations

from typing import Any

import pytest
from policies_support import (
    Case,
    Setup,
    U,
    assert_case,
    data_disk,
    enhanced,
    estate,
    ids,
    observations,
    os_disk,
    params,
    protection,
    violations,
)

from azbackup_policy.model import MarketplacePlan, ScaleSet

TL = {"security_type": "TrustedLaunch", "secure_boot": True, "vtpm": True}
CVM = {"security_type": "ConfidentialVM", "size": "Standard_DC4as_v6", "location": "koreacentral",
       "os_disk": os_disk(security_encryption_type="DiskWithVMGuestState")}
OLD_API = {"api_version": "2023-04-01"}
VMSS = ScaleSet(address="azurerm_linux_virtual_machine_scale_set.web", name="vmss-web",
                id="/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/"
                "virtualMachineScaleSets/vmss-web", orchestration_mode="Uniform")
OTHER_SUB = {"id": "/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg/"
             "providers/Microsoft.RecoveryServices/vaults/rsv-app"}

CASES = [
    Case("BKP-CMP-001", Setup(vm={"size": "Standard_B1s"}), Setup(vm={"size": "Standard_B2s"}),
         "has size Standard_B1s (1 vCPU, 1 GB)", "size", Setup(vm={"size": U("var.size")})),
    Case("BKP-CMP-002", Setup(vm=TL, protection=OLD_API),
         Setup(vm=TL, protection={"api_version": "2025-01-01"}), "apiVersion 2023-04-01", "policy",
         Setup(vm={"security_type": U("var.st")}, protection=OLD_API)),
    Case("BKP-CMP-003", Setup(vm=TL), Setup(vm=TL, policy=enhanced()),
         "is protected by a Standard policy", "policy",
         Setup(vm=TL, policy={"policy_type": U("var.t")})),
    Case("BKP-CMP-004", Setup(vm={**TL, "previous_security_type": "Standard"}),
         Setup(vm={**TL, "previous_security_type": "Standard"}, policy=enhanced()),
         "changes from security type Standard to TrustedLaunch", "security_type",
         Setup(vm={**TL, "previous_security_type": U("data.x")})),
    Case("BKP-CMP-005", Setup(vm={"data_disks": (data_disk(0, security_type="TrustedLaunch"),)}),
         Setup(), "has security type TrustedLaunch", "security_type",
         Setup(vm={"data_disks": (data_disk(0, security_type=U("var.st")),)})),
    Case("BKP-CMP-006", Setup(vm={"has_diagnostic_settings": True}), Setup(),
         "a 'Create new' restore of this VM fails", "has_diagnostic_settings"),
    Case("BKP-CMP-007", Setup(vm={"scale_set_id": VMSS.id}, extra={"scale_sets": [VMSS]}),
         Setup(vm={"scale_set_id": VMSS.id, "scale_set_orchestration": "Flexible"}),
         "orchestration mode Uniform", "scale_set_id",
         Setup(vm={"scale_set_orchestration": U("var.mode")})),
    Case("BKP-CMP-008", Setup(vm={"priority": "Spot"}), Setup(), "has priority = Spot",
         "priority", Setup(vm={"priority": U("var.prio")})),
    Case("BKP-CMP-009", Setup(vm={"dedicated_host_id": "/h/1"}), Setup(),
         "has dedicated_host_id = /h/1", "dedicated_host_id",
         Setup(vm={"dedicated_host_id": U("var.pinned ? azurerm_dedicated_host.h.id : null")})),
    Case("BKP-CMP-010", Setup(vm={"availability_set_id": "/as/1"}), Setup(),
         "availability_set_id = /as/1", "availability_set_id",
         Setup(vm={"availability_set_id": U("[if(parameters('ha'), resourceId('x'), null())]")})),
    Case("BKP-CMP-011", Setup(vm={"plan": MarketplacePlan(name="byol")}), Setup(),
         "has Marketplace plan byol", "plan.name"),
    Case("BKP-CMP-012", Setup(vm={"extended_location": "losangeles"}),
         Setup(vm={"extended_location": "losangeles"}, policy=enhanced()),
         "is in Extended Zone losangeles", "extended_location",
         Setup(vm={"extended_location": U("var.edge")})),
    Case("BKP-SEC-001", Setup(vm=CVM), Setup(vm=TL), "is a Confidential VM", "security_type",
         Setup(vm={"security_type": U("var.st")})),
    Case("BKP-SEC-002", Setup(vm={**CVM, "location": "westeurope"}), Setup(vm=CVM),
         "is in westeurope", "location", Setup(vm={**CVM, "location": U("var.loc")})),
    Case("BKP-SEC-003", Setup(vm={**CVM, "size": "Standard_DC4as_v5"}), Setup(vm=CVM),
         "has size Standard_DC4as_v5", "size", Setup(vm={**CVM, "size": U("var.size")})),
    Case("BKP-SEC-004", Setup(vm={**CVM, "os_disk": os_disk(
        security_encryption_type="VMGuestStateOnly")}), Setup(vm=CVM),
         "security encryption type VMGuestStateOnly", "os_disk.security_encryption_type",
         Setup(vm={**CVM, "os_disk": os_disk(security_encryption_type=U("var.e"))})),
    Case("BKP-SEC-005", Setup(vm=CVM), Setup(vm=CVM, vault={"cross_region_restore": False}),
         "Cross Region Restore enabled", "cross_region_restore",
         Setup(vm=CVM, vault={"cross_region_restore": U("var.crr")})),
    Case("BKP-SEC-008", Setup(vm=CVM), Setup(vm=CVM, policy=enhanced()),
         "is protected by Standard policy", "security_type",
         Setup(vm=CVM, policy={"policy_type": U("var.type")})),
    Case("BKP-SEC-006", Setup(vm=CVM, vault=OTHER_SUB), Setup(vm=CVM),
         "in subscription 00000000-0000-0000-0000-000000000002", None,
         Setup(vm=CVM, vault={"id": U("azurerm_recovery_services_vault.rsv.id")})),
]


@pytest.mark.parametrize(("case", "outcome"), params(CASES), ids=ids)
def test_compute_rule(case: Case, outcome: str) -> None:
    assert_case(case, outcome)


def test_tl_without_api_version_is_a_note_not_an_error() -> None:
    target = estate(Setup(vm=TL))
    assert violations("BKP-CMP-002", target) == []
    assert len(violations("BKP-CMP-003", target)) == 1


def test_tl_old_api_is_an_error_only() -> None:
    target = estate(Setup(vm=TL, protection=OLD_API))
    assert violations("BKP-CMP-003", target) == []


def test_new_vm_without_previous_security_type_is_not_a_conversion() -> None:
    assert violations("BKP-CMP-004", estate(Setup(vm=TL))) == []


def test_disks_per_des_counts_confidential_vm_disks() -> None:
    des = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/diskEncryptionSets/d"
    disks = tuple(data_disk(i, disk_encryption_set_id=des) for i in range(41))
    target = estate(Setup(vm={**CVM, "data_disks": disks}))
    found = violations("BKP-SEC-007", target)
    assert len(found) == 1 and "41 Confidential VM disks" in found[0].message
    assert violations("BKP-SEC-007", estate(Setup(vm={"data_disks": disks}))) == []
    assert violations("BKP-SEC-007", estate(Setup(vm={**CVM, "data_disks": disks[:40]}))) == []


def test_an_unknown_id_reference_still_counts_as_set() -> None:
    host = U("resourceId('Microsoft.Compute/hostGroups/hosts', 'hg', 'h1')")
    found = violations("BKP-CMP-009", estate(Setup(vm={"dedicated_host_id": host})))
    assert len(found) == 1


@pytest.mark.parametrize("expression", [
    "azurerm_dedicated_host.h1.id", "data.azurerm_dedicated_host.h1.id", "(known after apply)"])
def test_a_declared_resource_id_counts_as_set(expression: str) -> None:
    target = estate(Setup(vm={"dedicated_host_id": U(expression)}))
    assert len(violations("BKP-CMP-009", target)) == 1


@pytest.mark.parametrize("expression", ["var.host_id", "parameters('hostId')", "local.host"])
def test_a_variable_or_parameter_id_may_be_null_so_it_stays_unknown(expression: str) -> None:
    from policies_support import reviews

    target = estate(Setup(vm={"dedicated_host_id": U(expression)}))
    assert violations("BKP-CMP-009", target) == []
    assert len(reviews("BKP-CMP-009", target)) == 1


def test_a_vm_in_a_dedicated_host_group_is_on_a_dedicated_host() -> None:
    found = violations("BKP-CMP-009", estate(Setup(vm={"dedicated_host_group_id": "/hg/1"})))
    assert [(o.attribute, "dedicated_host_group_id = /hg/1" in o.message) for o in found] == [
        ("dedicated_host_group_id", True)]
    both = estate(Setup(vm={"dedicated_host_id": "/h/1", "dedicated_host_group_id": "/hg/1"}))
    assert len(violations("BKP-CMP-009", both)) == 1


def _aimed_at(scale_set: ScaleSet) -> dict[str, Any]:
    """A protected item whose source id is ``scale_set``'s (someone tries to protect it)."""
    return {"vm": None, "vm_id": U(f"{scale_set.address}.id")}


def test_uniform_scale_set_instances_cannot_be_backed_up() -> None:
    flexible = ScaleSet(address="azurerm_orchestrated_virtual_machine_scale_set.f", name="f",
                        orchestration_mode="Flexible")
    unknown = ScaleSet(address="x.u", name="u", orchestration_mode=U("var.mode"))
    items = [protection(address=f"p{n}", **_aimed_at(s))
             for n, s in enumerate((VMSS, flexible, unknown))]
    target = estate(Setup(extra={"scale_sets": [VMSS, flexible, unknown], "protections": items}))
    found = violations("BKP-CMP-013", target)
    assert [(o.subject.address, o.attribute) for o in found] == [(VMSS.address,
                                                                  "orchestration_mode")]
    assert "Uniform orchestration and a protected item points at it" in found[0].message
    from policies_support import reviews

    assert [o.subject.address for o in reviews("BKP-CMP-013", target)] == ["x.u"]


def test_a_uniform_scale_set_nobody_protects_is_not_reported() -> None:
    target = estate(Setup(extra={"scale_sets": [VMSS]}))
    assert observations("BKP-CMP-013", target, strict=True) == []


def test_a_protected_item_names_a_scale_set_by_arm_id() -> None:
    arm = ScaleSet(address="web", name="vmss-web", orchestration_mode="Uniform",
                   id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/"
                   "virtualMachineScaleSets/vmss-web")
    by_id = protection(vm=None, vm_id=arm.id.upper() if isinstance(arm.id, str) else None)
    assert len(violations("BKP-CMP-013", estate(Setup(
        protection=None, extra={"scale_sets": [arm], "protections": [by_id]})))) == 1
