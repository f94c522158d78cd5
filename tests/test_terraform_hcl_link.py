"""HCL through the azurerm linker: the Estate a Terraform module folder gives.

Runs once ``azbackup_policy.linkers.azurerm`` is on the branch.
"""

from __future__ import annotations

from pathlib import Path

from test_terraform_hcl_helpers import parse_folder

from azbackup_policy.model import Estate, VirtualMachine

FIXTURES = "fixtures/hcl"


def estate_of(folder: str) -> Estate:
    from azbackup_policy.linkers import link

    return link(parse_folder(folder))


def vm_named(estate: Estate, name: str) -> VirtualMachine:
    matches = [vm for vm in estate.vms if vm.name == name]
    assert len(matches) == 1, [vm.name for vm in estate.vms]
    return matches[0]


def test_count_vms_are_protected_by_their_own_items(in_repo: Path) -> None:
    estate = estate_of(f"{FIXTURES}/count")
    assert sorted(vm.name for vm in estate.vms) == ["vm-web-0", "vm-web-1"]
    for index in (0, 1):
        vm = vm_named(estate, f"vm-web-{index}")
        assert vm.address == f"azurerm_linux_virtual_machine.web[{index}]"
        (protection,) = estate.protections_of(vm)
        assert protection.address == f"azurerm_backup_protected_vm.web[{index}]"
        assert estate.policy_of(protection).name == "pol-daily"
        assert estate.vault_of(protection).name == "rsv-app"
        assert vm.nics[0].name == f"nic-web-{index}"
        assert (vm.os_disk.storage_type, vm.os_disk.size_gb) == ("Premium_LRS", 64)
        assert vm.span.file == f"{FIXTURES}/count/main.tf" and vm.span.line == 52


def test_for_each_over_a_resource_links_each_instance(in_repo: Path) -> None:
    estate = estate_of(f"{FIXTURES}/for_each_set")
    vm = vm_named(estate, "vm-api-b")
    (protection,) = estate.protections_of(vm)
    assert protection.address == 'azurerm_backup_protected_vm.api["api-b"]'
    assert (vm.security_type, vm.os_type) == ("TrustedLaunch", "Windows")
    assert vm.nics[0].ip_configurations[0].allocation == "Static"


def test_protection_inside_a_module_links_the_module_vm(in_repo: Path) -> None:
    estate = estate_of(f"{FIXTURES}/module")
    vm = vm_named(estate, "vm-db")
    assert vm.address == "module.db.azurerm_linux_virtual_machine.vm"
    (protection,) = estate.protections_of(vm)
    assert protection.address == "module.db.azurerm_backup_protected_vm.vm"
    assert estate.policy_of(protection).name == "pol-daily"
    assert [(d.name, d.lun, d.size_gb) for d in vm.data_disks] == [("disk-db-data", 0, 512)]


def test_protection_through_a_module_output(in_repo: Path) -> None:
    estate = estate_of(f"{FIXTURES}/module_for_each")
    for tier in ("app", "web"):
        vm = vm_named(estate, f"vm-{tier}")
        (protection,) = estate.protections_of(vm)
        assert protection.address == f'azurerm_backup_protected_vm.tier["{tier}"]'
    assert not estate.protections_of(vm_named(estate, "vm-spare0"))
