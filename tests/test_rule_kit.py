"""The public rule kit (azbackup_policy.authoring) and test helpers (azbackup_policy.testing)
that plugins use: each helper does what it says and fails loudly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from azbackup_policy.authoring import flag_when, label, rule_factory, same
from azbackup_policy.model import Disk, Estate, Protection, Unknown, VirtualMachine
from azbackup_policy.rules import Kind, Observation, RuleContext, Severity, Target
from azbackup_policy.testing import assert_findings, check_estate, findings_of

rule = rule_factory("organisation")


@rule("ACME-DSK-001", "standard-hdd-os-disk", Severity.WARNING, (), Target.VM,
      summary="OS disks of protected VMs are not Standard HDD.",
      why="Our restore-time objective needs SSD OS disks.", fix="Use Premium_LRS.",
      before='os_disk {\n  storage_account_type = "Standard_LRS"\n}',
      after='os_disk {\n  storage_account_type = "Premium_LRS"\n}', protected_only=True)
def standard_hdd_os_disk(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    if vm.os_disk is not None:
        yield from flag_when(ctx, vm, "os_disk.storage_type",
                             same(vm.os_disk.storage_type, "Standard_LRS"),
                             f"the OS disk of {label(vm)} is Standard HDD", "the OS disk type")


def _vm(name: str, storage: object) -> VirtualMachine:
    return VirtualMachine(address=f"vm.{name}", name=name,
                          os_disk=Disk(role="os", storage_type=storage))  # type: ignore[arg-type]


def test_a_factory_rule_has_the_metadata_and_help_of_a_builtin_one() -> None:
    assert (standard_hdd_os_disk.id, standard_hdd_os_disk.area) == ("ACME-DSK-001",
                                                                    "organisation")
    assert "**Fix:** Use Premium_LRS." in standard_hdd_os_disk.help
    assert "Before:\n\n```hcl\nos_disk" in standard_hdd_os_disk.help


def test_protected_only_skips_vms_without_a_protected_item() -> None:
    vms = (_vm("hdd", "Standard_LRS"), _vm("ssd", "Premium_LRS"), _vm("open", Unknown("var.t")))
    assert check_estate(Estate(vms=vms), [standard_hdd_os_disk], strict=True) == []
    protected = Estate(vms=vms, protections=tuple(
        Protection(address=f"p.{v.name}", vm=v.address) for v in vms))
    found = check_estate(protected, [standard_hdd_os_disk], strict=True)
    assert [(f.resource.address, f.kind) for f in found] == [
        ("vm.hdd", Kind.VIOLATION), ("vm.open", Kind.REVIEW)]


def test_check_estate_raises_when_a_rule_fails() -> None:
    broken = rule("ACME-X-001", "broken", Severity.ERROR, (), Target.VM, summary="s.", why="w",
                  fix="f", before="b", after="a")(lambda vm, ctx: [][1])
    with pytest.raises(AssertionError, match="rule ACME-X-001 failed"):
        check_estate(Estate(vms=(_vm("a", None),)), [broken])


def test_assert_findings_names_the_missing_and_the_unexpected(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "azurerm_linux_virtual_machine" "web" {\n  name = "web"\n  os_disk {\n'
        '    storage_account_type = "Standard_LRS"\n  }\n}\n'
        'resource "azurerm_backup_protected_vm" "web" {\n'
        '  source_vm_id = azurerm_linux_virtual_machine.web.id\n}\n', encoding="utf-8")
    found = findings_of(str(tmp_path), [standard_hdd_os_disk])
    assert [f.resource.address for f in found] == ["azurerm_linux_virtual_machine.web"]
    assert_findings(str(tmp_path), [standard_hdd_os_disk],
                    {("ACME-DSK-001", "azurerm_linux_virtual_machine.web")})
    with pytest.raises(AssertionError, match=r"missing: \[\('ACME-DSK-001', 'vm.other'\)\]"):
        assert_findings(str(tmp_path), [standard_hdd_os_disk],
                        {("ACME-DSK-001", "azurerm_linux_virtual_machine.web"),
                         ("ACME-DSK-001", "vm.other")})
    with pytest.raises(AssertionError, match="unexpected"):
        assert_findings(str(tmp_path), [standard_hdd_os_disk], set())


def test_findings_of_raises_on_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text("resource vm 'Microsoft.Compute/virtualMachines", "utf-8")
    with pytest.raises(AssertionError, match=r"main\.bicep:1"):
        findings_of(str(tmp_path), [standard_hdd_os_disk])
