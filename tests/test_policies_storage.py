"""Unit tests of the storage rules (model objects built directly)."""

from __future__ import annotations

from dataclasses import replace

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
    os_disk,
    params,
    violations,
)

from azbackup_policy.model import Extension

ULTRA = (data_disk(0, storage_type="UltraSSD_LRS"),)
PV2 = (data_disk(0, storage_type="PremiumV2_LRS"),)
SHARED = (data_disk(0), data_disk(1, max_shares=2))
ADE = (Extension(publisher="Microsoft.Azure.Security", extension_type="AzureDiskEncryption"),)

CASES = [
    Case("BKP-STO-001", Setup(vm={"data_disks": ULTRA}), Setup(vm={"data_disks": ULTRA},
         policy=enhanced()), "is Ultra (storage type = UltraSSD_LRS)",
         "storage_type",
         Setup(vm={"data_disks": ULTRA}, policy={"policy_type": U("var.policy_type")})),
    Case("BKP-STO-002", Setup(vm={"data_disks": PV2}), Setup(vm={"data_disks": PV2},
         policy=enhanced()), "Premium SSD v2", "storage_type",
         Setup(vm={"data_disks": (data_disk(0, storage_type=U("var.sku")),)})),
    Case("BKP-STO-003",
         Setup(vm={"os_disk": os_disk(ephemeral=True, ephemeral_placement="NvmeDisk")}),
         Setup(), "is ephemeral (diff_disk_settings.option = Local, placement = NvmeDisk)",
         "os_disk.ephemeral", Setup(vm={"os_disk": os_disk(ephemeral=U("var.eph"))})),
    Case("BKP-STO-004", Setup(vm={"data_disks": tuple(data_disk(i) for i in range(33))}),
         Setup(vm={"data_disks": tuple(data_disk(i) for i in range(33))},
               protection={"exclude_luns": (0, 1)}),
         "backs up 33 data disks; Azure Backup supports at most 32", "data_disks"),
    Case("BKP-STO-005", Setup(vm={"data_disks": (data_disk(0, size_gb=65537),)}),
         Setup(vm={"data_disks": (data_disk(0, size_gb=65536),)}), "is 65537 GiB",
         "size_gb", Setup(vm={"data_disks": (data_disk(0, size_gb=U("var.s")),)})),
    Case("BKP-STO-006", Setup(vm={"data_disks": tuple(data_disk(i, size_gb=65536)
                                                      for i in range(8))}),
         Setup(vm={"os_disk": os_disk(size_gb=0), "data_disks": tuple(
             data_disk(i, size_gb=65536) for i in range(8))}),
         "total 524352 GiB", "data_disks",
         Setup(vm={"data_disks": (data_disk(0, size_gb=U("var.s")),)})),
    Case("BKP-STO-007", Setup(vm={"os_disk": os_disk(managed=False)}), Setup(),
         "is an unmanaged VHD disk", "os_disk.managed",
         Setup(vm={"os_disk": os_disk(managed=U("var.m"))})),
    Case("BKP-STO-008", Setup(vm={"deployment_model": "Classic"}),
         Setup(), "is a classic VM", None),
    Case("BKP-STO-009", Setup(vm={"data_disks": SHARED}, policy=enhanced()),
         Setup(vm={"data_disks": SHARED}, policy=enhanced(), protection={"exclude_luns": (1,)}),
         "is shared (max_shares = 2) and the protected item of VM vm-a does not exclude it",
         "max_shares",
         Setup(vm={"data_disks": SHARED}, protection={"exclude_luns": U("var.luns")})),
    Case("BKP-STO-010", Setup(vm={"data_disks": SHARED}, protection={"exclude_luns": (1,)}),
         Setup(vm={"data_disks": SHARED}, policy=enhanced(), protection={"exclude_luns": (1,)}),
         "only Enhanced can exclude shared disks", "max_shares",
         Setup(vm={"data_disks": SHARED}, policy={"policy_type": U("var.t")})),
    Case("BKP-STO-011", Setup(vm={"data_disks": (data_disk(
        0, data_access_auth_mode="AzureActiveDirectory"),)}), Setup(),
         "has data_access_auth_mode = AzureActiveDirectory", "data_access_auth_mode",
         Setup(vm={"data_disks": (data_disk(0, data_access_auth_mode=U("var.a")),)})),
    Case("BKP-STO-012", Setup(vm={"data_disks": (data_disk(0, write_accelerator=True),)}),
         Setup(), "has write_accelerator = True", "write_accelerator",
         Setup(vm={"data_disks": (data_disk(0, write_accelerator=U("var.wa")),)})),
    Case("BKP-STO-013", Setup(vm={"data_disks": (data_disk(0, performance_plus=True),)}),
         Setup(), "has performance_plus = True", "performance_plus",
         Setup(vm={"data_disks": (data_disk(0, performance_plus=U("var.pp")),)})),
    Case("BKP-STO-014", Setup(vm={"data_disks": ULTRA}, policy=enhanced(),
                              vault={"location": "uksouth"}),
         Setup(vm={"data_disks": ULTRA}, policy=enhanced(), vault={"location": "westeurope"}),
         "Cross Region Restore in uksouth", "cross_region_restore",
         Setup(vm={"data_disks": ULTRA}, vault={"location": U("var.loc")})),
    Case("BKP-STO-015", Setup(vm={"extensions": ADE}, protection={"exclude_luns": (0,)}),
         Setup(vm={"extensions": ADE}), "uses Azure Disk Encryption", "exclude_luns",
         Setup(vm={"extensions": ADE}, protection={"include_luns": U("var.luns")})),
    Case("BKP-STO-016", Setup(vm={"os_type": "Windows"}, protection={"include_luns": (0,)}),
         Setup(vm={"os_type": "Linux"}, protection={"include_luns": (0,)}),
         "uses selective disk backup on Windows VM vm-a", "include_luns"),
    Case("BKP-STO-017", Setup(vm={"os_disk": os_disk(storage_type="Premium_GRS")}), Setup(),
         "has storage type Premium_GRS", "os_disk.storage_type",
         Setup(vm={"os_disk": os_disk(storage_type=U("var.sku"))})),
]


@pytest.mark.parametrize(("case", "outcome"), params(CASES), ids=ids)
def test_storage_rule(case: Case, outcome: str) -> None:
    assert_case(case, outcome)


def test_32_data_disks_and_the_os_disk_are_a_warning_that_names_the_ambiguity() -> None:
    from azbackup_policy.rules import Severity

    target = estate(Setup(vm={"data_disks": tuple(data_disk(i) for i in range(32))}))
    found = violations("BKP-STO-004", target)
    assert [o.severity for o in found] == [Severity.WARNING]
    assert "does not say whether the OS disk counts" in found[0].message
    excluded = estate(Setup(vm={"data_disks": tuple(data_disk(i) for i in range(34))},
                            protection={"exclude_luns": (5,)}))
    assert [o.severity for o in violations("BKP-STO-004", excluded)] == [None]


def test_write_acceleration_on_the_os_disk_is_an_error() -> None:
    from policies_support import os_disk

    from azbackup_policy.rules import Severity

    found = violations("BKP-STO-012", estate(Setup(vm={"os_disk": os_disk(
        write_accelerator=True)})))
    assert [o.severity for o in found] == [Severity.ERROR]
    assert "snapshots write-accelerated data disks only" in found[0].message


def test_an_unknown_number_of_data_disks_is_a_review() -> None:
    from policies_support import U, reviews

    target = estate(Setup(vm={"unknown_disk_count": U("var.n")}))
    assert violations("BKP-STO-004", target) == []
    assert len(reviews("BKP-STO-004", target)) == 1


def test_disk_limits_come_from_the_matrix_data() -> None:
    from policies_support import matrix

    custom = replace(matrix(), disks=replace(matrix().disks, max_disks_per_vm=2))
    target = estate(Setup(vm={"data_disks": tuple(data_disk(i) for i in range(3))}))
    assert violations("BKP-STO-004", target) == []
    assert len(violations("BKP-STO-004", target, custom_matrix=custom)) == 1


def test_unprotected_vm_is_not_checked_for_disk_limits() -> None:
    target = estate(Setup(vm={"data_disks": (data_disk(0, size_gb=70000),)}, protection=None))
    assert violations("BKP-STO-005", target) == []


def test_excluded_by_inclusion_list() -> None:
    target = estate(Setup(vm={"data_disks": SHARED}, policy=enhanced(),
                          protection={"include_luns": (0,)}))
    assert violations("BKP-STO-009", target) == []


def test_inline_disk_findings_point_at_the_vm_attribute() -> None:
    inline = data_disk(0, address="", storage_type="UltraSSD_LRS")
    found = violations("BKP-STO-001", estate(Setup(vm={"data_disks": (inline,)})))
    assert found[0].subject.address == "azurerm_linux_virtual_machine.vm"
    assert found[0].attribute == "data_disks.0.storage_type"


def test_standalone_disk_findings_point_at_the_disk_resource() -> None:
    found = violations("BKP-STO-001", estate(Setup(vm={"data_disks": ULTRA})))
    assert found[0].subject.address == "azurerm_managed_disk.d0"
    assert found[0].attribute == "storage_type"
