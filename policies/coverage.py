"""Area *scenarios* (coverage): every VM should be protected by Azure Backup."""

from __future__ import annotations

from collections.abc import Iterator

from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import VirtualMachine
from azbackup_policy.rules import Observation, Rule, RuleContext, Severity, Target


def _vm_label(vm: VirtualMachine) -> str:
    return vm.name if isinstance(vm.name, str) else vm.address


def check_vm_not_protected(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    if vm.condition is not None or ctx.estate.protections_of(vm):
        return
    yield Observation(
        subject=vm,
        message=f"VM {_vm_label(vm)} ({vm.address}) is not protected by Azure Backup: no "
        "protected item in this deployment points at it",
    )


VM_NOT_PROTECTED = Rule(
    id="BKP-COV-001",
    name="vm-not-protected",
    area="coverage",
    severity=Severity.WARNING,
    matrix_rows=("SC1",),
    summary="Every VM is protected by an Azure Backup protected item (VM -> policy -> vault).",
    help="""\
Azure Backup protects a whole VM once a protected item ties it to a backup policy in a
Recovery Services vault (matrix row SC1). A VM declared without one has no backup at all.

Fix: add a protected item in the same deployment, or suppress the finding with a reason
when the VM is protected elsewhere (for example by Azure Policy's DeployIfNotExists).

Before (Terraform):

    resource "azurerm_linux_virtual_machine" "web" { ... }

After:

    resource "azurerm_backup_protected_vm" "web" {
      resource_group_name = azurerm_recovery_services_vault.rsv.resource_group_name
      recovery_vault_name = azurerm_recovery_services_vault.rsv.name
      source_vm_id        = azurerm_linux_virtual_machine.web.id
      backup_policy_id    = azurerm_backup_policy_vm.daily.id
    }

A VM whose ARM/Bicep condition cannot be evaluated is not reported: it may not exist.
""",
    target=Target.VM,
    check=check_vm_not_protected,
)


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [VM_NOT_PROTECTED]
