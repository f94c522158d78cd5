"""Area *scenarios* (SC rows): is every VM protected, and can the backup extension run?"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import (
    BackupPolicy,
    Estate,
    Maybe,
    Protection,
    Unknown,
    Vault,
    VirtualMachine,
)
from azbackup_policy.rules import Check, Kind, Observation, Rule, RuleContext, Severity, Target

from ._helpers import (
    agent_fallback,
    crash_consistent_only,
    item_label,
    label,
    observe,
    protected_by,
    review,
    rule_factory,
    vm_of,
)

rule = rule_factory("coverage")


def _maybe_protected_elsewhere(vm: VirtualMachine, ctx: RuleContext) -> Unknown | None:
    """An unlinked protected item whose VM id is unknown might protect ``vm``."""
    for item in ctx.estate.unlinked_protections():
        if isinstance(item.vm_id, Unknown):
            return item.vm_id
    return None


@rule(
    "BKP-COV-001", "vm-not-protected", Severity.WARNING, ("SC1",), Target.VM,
    summary="Every virtual machine is protected by Azure Backup (a protected item in a vault).",
    why="A VM without a protected item has no recovery points: Azure Backup protects the "
    "whole VM only after it is registered with a Recovery Services vault and a policy.",
    fix="Add a protected item (`azurerm_backup_protected_vm`, or "
    "`vaults/backupFabrics/protectionContainers/protectedItems`) that points at the VM, or "
    "suppress the finding with a reason when the VM is protected elsewhere (for example by "
    "Azure Policy's DeployIfNotExists).",
    before='resource "azurerm_linux_virtual_machine" "jump" {\n  name = "vm-jump"\n}',
    after='resource "azurerm_backup_protected_vm" "jump" {\n'
    '  resource_group_name = azurerm_recovery_services_vault.app.resource_group_name\n'
    '  recovery_vault_name = azurerm_recovery_services_vault.app.name\n'
    '  source_vm_id        = azurerm_linux_virtual_machine.jump.id\n'
    '  backup_policy_id    = azurerm_backup_policy_vm.daily.id\n}',
)
def vm_not_protected(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    if ctx.estate.protections_of(vm) or vm.deployment_model == "Classic":
        return  # a classic VM can't be protected at all: BKP-STO-008 says so
    unread = ctx.estate.unread_for(vm.address)
    if unread:  # its protected item may be in a file or module that could not be read
        if ctx.strict:
            names = ", ".join(sorted({str(part.name) for part in unread}))
            yield Observation(vm, f"could not verify whether {label(vm)} is protected: {names} "
                              "could not be read and may declare its protected item", None,
                              vm, Kind.REVIEW)
        return
    if vm.condition is not None:  # an ARM/Bicep condition we cannot evaluate: it may not exist
        yield from review(ctx, vm, vm.condition, f"whether {label(vm)} is deployed", None, vm)
        return
    maybe = _maybe_protected_elsewhere(vm, ctx)
    if maybe is not None:
        yield from review(ctx, vm, maybe, f"whether {label(vm)} is protected", None, vm)
        return
    yield observe(vm, f"VM {label(vm)} ({vm.address}) has no protected item in any Recovery "
                  "Services vault; it is not backed up", None, vm)


@rule(
    "BKP-COV-006", "configuration-not-read", Severity.WARNING, ("SC1",), Target.ESTATE,
    summary="Every module and linked template of a deployment is read, so that its VMs are "
    "checked.",
    why="A VM declared in a module or linked template that was not read (a registry or git "
    "module that is not installed, a path outside the repository, a remote template URI) gets "
    "no finding at all. Each such module is listed as *not followed*; in strict mode it is "
    "also a review finding.",
    fix="Make the module readable: run `terraform init -backend=false` before the scan "
    "(registry and git modules are then read from `.terraform/modules`), scan from the "
    "repository root, or scan the plan JSON.",
    before='module "web" {\n  source  = "Azure/avm-res-compute-virtualmachine/azurerm"\n'
    '  version = "0.19.0"\n}\n# scanned without `terraform init`',
    after='# terraform init -backend=false   (writes .terraform/modules/modules.json)\n'
    'module "web" {\n  source  = "Azure/avm-res-compute-virtualmachine/azurerm"\n'
    '  version = "0.19.0"\n}',
)
def configuration_not_read(estate: Estate, ctx: RuleContext) -> Iterator[Observation]:
    if not ctx.strict:
        return
    for part in estate.unread:
        if part.resource_type == "module":
            hint = f"; {part.hint}" if part.hint else ""
            yield Observation(part, f"could not verify what {part.address} ({part.name}) "
                              f"declares: not followed ({part.reason}){hint}", kind=Kind.REVIEW)


def _agent_rule_check(field: str, what: str) -> Check:
    def check(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
        pairs = list(protected_by(vm, ctx))
        if not pairs or all(crash_consistent_only(p, ctx) is True for _, p in pairs):
            return  # unprotected, or agentless crash-consistent only (no extension needed)
        value = getattr(vm, field)
        yield from review(ctx, vm, value, f"{field} of {label(vm)}", field, vm)
        if value is False:
            severity, tail = agent_fallback(vm, ctx)
            result = tail or ", so backups fail"
            yield observe(vm, f"VM {label(vm)} is protected but {what} ({field} = false); the "
                          f"backup extension cannot be installed{result}", field, vm, severity)

    return check


vm_agent_disabled = rule(
    "BKP-COV-002", "vm-agent-disabled", Severity.ERROR, ("SC1", "L1", "C6"), Target.VM,
    summary="A VM protected with agent-based (app- or file-consistent) backup has the Azure VM "
    "agent provisioned.",
    why="Azure Backup installs its snapshot extension into the Azure VM agent; without the "
    "agent (`provision_vm_agent = false` / `provisionVMAgent: false`) every backup on a "
    "Standard policy fails (error). An Enhanced app-consistent policy falls back to a "
    "crash-consistent snapshot after failed attempts ('Azure VM backup FAQ': Guest Agent "
    "issues), so there "
    "backup is degraded (warning). Agentless crash-consistent policies (Enhanced, "
    "`OnlyCrashConsistent`) are exempt.",
    fix="Provision the VM agent, or protect the VM with an agentless crash-consistent policy.",
    before='resource "azurerm_linux_virtual_machine" "web" {\n  provision_vm_agent = false\n}',
    after='resource "azurerm_linux_virtual_machine" "web" {\n  provision_vm_agent = true\n}',
)(_agent_rule_check("vm_agent", "the VM agent is not provisioned"))

extensions_disabled = rule(
    "BKP-COV-003", "extension-operations-disabled", Severity.ERROR, ("SC1", "L1"), Target.VM,
    summary="A VM protected with agent-based backup allows extension operations.",
    why="Azure Backup works through the VMSnapshot extension; with extension operations "
    "disabled (`allow_extension_operations = false` / `allowExtensionOperations: false`) the "
    "extension cannot be installed: backups on a Standard policy fail (error); an Enhanced "
    "app-consistent policy falls back to crash-consistent snapshots ('Azure VM backup FAQ': "
    "VMSnapshot "
    "extension issues), a warning.",
    fix="Allow extension operations, or use an agentless crash-consistent policy.",
    before='resource "azurerm_windows_virtual_machine" "api" {\n'
    '  allow_extension_operations = false\n}',
    after='resource "azurerm_windows_virtual_machine" "api" {\n'
    '  allow_extension_operations = true\n}',
)(_agent_rule_check("extension_operations", "extension operations are disabled"))


@rule(
    "BKP-COV-004", "policy-in-other-vault", Severity.ERROR, ("SC1",), Target.PROTECTION,
    summary="A protected item uses a backup policy of the vault it is registered in.",
    why="A backup policy belongs to one Recovery Services vault; a protected item in vault A "
    "cannot use a policy of vault B. The deployment fails.",
    fix="Point the item at a policy of its own vault (or register it in the policy's vault).",
    before='resource "azurerm_backup_protected_vm" "web" {\n'
    '  recovery_vault_name = azurerm_recovery_services_vault.app.name\n'
    '  backup_policy_id    = azurerm_backup_policy_vm.other_vault_daily.id\n}',
    after='resource "azurerm_backup_protected_vm" "web" {\n'
    '  recovery_vault_name = azurerm_recovery_services_vault.app.name\n'
    '  backup_policy_id    = azurerm_backup_policy_vm.daily.id\n}',
)
def policy_in_other_vault(item: Protection, ctx: RuleContext) -> Iterator[Observation]:
    policy = ctx.estate.policy_of(item)
    vault = ctx.estate.vault_of(item)
    if policy is None or vault is None:
        return
    policy_vault = ctx.estate.vault_of_policy(policy)
    if policy_vault is None:
        yield from _compare_vault_names(item, policy, vault, ctx)
        return
    if policy_vault.address != vault.address:
        yield observe(item, f"{item_label(item, ctx)} is registered in vault {label(vault)} "
                      f"but uses policy {label(policy)} of vault {label(policy_vault)}", "policy",
                      vm_of(item, ctx))


def _compare_vault_names(item: Protection, policy: BackupPolicy, vault: Vault,
                         ctx: RuleContext) -> Iterator[Observation]:
    yield from review(ctx, item, policy.vault_name, f"the vault of policy {label(policy)}",
                      "policy")
    if isinstance(policy.vault_name, str) and isinstance(vault.name, str) \
            and policy.vault_name.lower() != vault.name.lower():
        yield observe(item, f"{item_label(item, ctx)} is registered in vault {vault.name} "
                      f"but uses policy {label(policy)} of vault {policy.vault_name}", "policy",
                      vm_of(item, ctx))


def _luns(item: Protection) -> tuple[str, Maybe[tuple[int, ...]] | None]:
    if item.include_luns is not None:
        return "include_luns", item.include_luns
    return "exclude_luns", item.exclude_luns


@rule(
    "BKP-COV-005", "selective-backup-unknown-lun", Severity.WARNING, ("EP15", "ST10"),
    Target.PROTECTION,
    summary="Include/exclude LUN lists of selective disk backup name only LUNs the VM has.",
    why="Selective disk backup (`include_disk_luns` / `exclude_disk_luns`, "
    "`diskExclusionProperties.diskLunList`) refers to data disks by LUN. A LUN the VM does not "
    "have is a typo: an exclusion then silently backs up a disk you meant to skip, and an "
    "inclusion leaves out the disk you meant to protect. Backup still runs, so this is a "
    "warning. When the VM's disks are attached by separate resources (Terraform "
    "`azurerm_virtual_machine_data_disk_attachment`), a LUN may be attached outside the "
    "scanned unit: it is then unknown (a review under `--strict`), not wrong.",
    fix="List the LUNs of the VM's data disk attachments.",
    before='resource "azurerm_backup_protected_vm" "db" {\n  exclude_disk_luns = [3]\n}',
    after='resource "azurerm_backup_protected_vm" "db" {\n  exclude_disk_luns = [0]\n}',
)
def selective_backup_unknown_lun(item: Protection, ctx: RuleContext) -> Iterator[Observation]:
    vm = ctx.estate.lookup(item.vm)
    field, luns = _luns(item)
    if not isinstance(vm, VirtualMachine) or luns is None:
        return
    if isinstance(luns, Unknown):
        yield from review(ctx, item, luns, f"{field} of {item_label(item, ctx)}", field, vm)
        return
    present = [d.lun for d in vm.data_disks]
    unknown = next((lun for lun in present if isinstance(lun, Unknown)), None)
    if unknown is not None:
        yield from review(ctx, item, unknown, f"the data disk LUNs of {label(vm)}", field, vm)
        return
    if vm.data_disks_complete:
        yield from _missing_luns(item, vm, field, tuple(luns), present)
        return
    missing = [lun for lun in luns if lun not in present]
    if missing:
        yield from review(ctx, item, Unknown(f"data disks of {label(vm)} attached elsewhere"),
                          f"LUN(s) {', '.join(map(str, missing))} of {item_label(item, ctx)}",
                          field, vm)


def _missing_luns(item: Protection, vm: VirtualMachine, field: str, luns: Sequence[object],
                  present: Sequence[object]) -> Iterator[Observation]:
    missing = sorted(lun for lun in luns if isinstance(lun, int) and lun not in present)
    if missing:
        have = ", ".join(str(lun) for lun in sorted(p for p in present if isinstance(p, int)))
        yield observe(item, f"{field} of the protected item of VM {label(vm)} names LUN(s) "
                      f"{', '.join(map(str, missing))} but VM {label(vm)} has data disk LUNs "
                      f"[{have}]", field, vm)


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [vm_not_protected, vm_agent_disabled, extensions_disabled, policy_in_other_vault,
            selective_backup_unknown_lun, configuration_not_read]
