"""Area *restore_methods* (R rows): what restore options a VM's setup rules out."""

from __future__ import annotations

from collections.abc import Iterator

from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import VirtualMachine
from azbackup_policy.rules import Observation, Rule, RuleContext, Severity, Target

from ._helpers import (
    disks_with_path,
    has_ade,
    label,
    observe,
    present,
    review,
    rule_factory,
    same,
    vault_of_vm,
)

rule = rule_factory("restore_methods")


@rule(
    "BKP-RST-001", "ade-restore-limits", Severity.NOTE, ("FL2", "ST5", "R3", "R5", "R6", "SE3"),
    Target.VM,
    summary="Know the restore limits of VMs encrypted with Azure Disk Encryption.",
    why="ADE VMs are backed up, but can't be restored at file/folder level, can't use "
    "'Replace existing', can't be restored to another subscription, and can't be restored "
    "directly to another zone.",
    fix="Plan whole-VM or disk restores; consider encryption at host or CMK-SSE instead of ADE.",
    tags=("security",),  # a row about encryption or access
    before='resource "azurerm_virtual_machine_extension" "ade" {\n'
    '  publisher = "Microsoft.Azure.Security"\n  type      = "AzureDiskEncryptionForLinux"\n}',
    after='resource "azurerm_linux_virtual_machine" "web" {\n'
    '  encryption_at_host_enabled = true\n}',
    protected_only=True,
)
def ade_restore_limits(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    ade = has_ade(vm, ctx)
    yield from review(ctx, vm, ade, f"ADE extension of {label(vm)}", "extensions", vm)
    if ade is True:
        yield observe(vm, f"VM {label(vm)} uses Azure Disk Encryption; file-level, "
                      "replace-existing, cross-subscription and direct cross-zonal restore are "
                      "unavailable", "extensions", vm)


@rule(
    "BKP-RST-002", "cmk-restore-limits", Severity.NOTE, ("ST5", "R5", "R6"), Target.VM,
    summary="Know the restore limits of disks encrypted with customer-managed keys.",
    why="Disks using a disk encryption set (CMK) can't be restored to another subscription; the "
    "DES can't be assigned during Cross Region Restore (assign it afterwards), and CMK must be "
    "re-applied after a cross-zonal restore.",
    fix="Document the post-restore step of re-applying the disk encryption set.",
    tags=("security",),  # a row about encryption or access
    before="disk_encryption_set_id = azurerm_disk_encryption_set.cmk.id",
    after="disk_encryption_set_id = azurerm_disk_encryption_set.cmk.id  "
    "# runbook: re-apply after CRR / cross-zonal restore",
    protected_only=True,
)
def cmk_restore_limits(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    for path, disk in disks_with_path(vm):
        des = disk.disk_encryption_set_id
        verdict = present(des)
        yield from review(ctx, disk, verdict, f"disk encryption set of {path}",
                          f"{path}.disk_encryption_set_id", vm)
        if verdict is True:
            yield observe(disk, f"{path} of VM {label(vm)} uses disk encryption set {des}; no "
                          "cross-subscription restore, DES re-applied after CRR",
                          f"{path}.disk_encryption_set_id", vm)
            return


@rule(
    "BKP-RST-003", "crr-managed-identity", Severity.NOTE, ("C17", "R4"), Target.VM,
    summary="Know that Cross Region Restore does not restore managed identities.",
    why="Restore with managed identities is supported, except with Cross Region Restore.",
    fix="Re-assign the identity after a cross-region restore.",
    before='identity {\n  type = "SystemAssigned"\n}  # vault: cross_region_restore_enabled',
    after="# runbook: re-assign the identity after CRR",
)
def crr_managed_identity(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    if not isinstance(vm.identity, str) or same(vm.identity, "None") is True:
        return
    for _, vault in vault_of_vm(vm, ctx):
        yield from review(ctx, vault, vault.cross_region_restore,
                          f"Cross Region Restore of {label(vault)}", "cross_region_restore", vm)
        if vault.cross_region_restore is True:
            yield observe(vm, f"VM {label(vm)} has a {vm.identity} managed identity and vault "
                          f"{label(vault)} has Cross Region Restore; CRR does not restore the "
                          "identity", "identity", vm)


@rule(
    "BKP-RST-004", "cross-zonal-restore-unavailable", Severity.NOTE, ("C9", "R6", "VM3"),
    Target.VM,
    summary="Zone-pinned VMs are protected by a vault that allows cross-zonal restore.",
    why="Zone-pinned VMs can be restored into another zone (e.g. during a zone outage) when the "
    "vault is zone-redundant or has Cross Region Restore (R6, FAQ); a locally redundant vault, "
    "or a geo-redundant one without Cross Region Restore, can't.",
    fix="Use a ZoneRedundant vault (or GeoRedundant with Cross Region Restore).",
    before='resource "azurerm_recovery_services_vault" "app" {\n'
    '  storage_mode_type = "LocallyRedundant"\n}',
    after='resource "azurerm_recovery_services_vault" "app" {\n'
    '  storage_mode_type = "ZoneRedundant"\n}',
)
def cross_zonal(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    if not isinstance(vm.zone, str):
        return
    for _, vault in vault_of_vm(vm, ctx):
        yield from review(ctx, vault, vault.redundancy, f"redundancy of {label(vault)}",
                          "redundancy", vm)
        if same(vault.redundancy, "LocallyRedundant") is True:
            yield observe(vault, f"VM {label(vm)} is pinned to zone {vm.zone} but vault "
                          f"{label(vault)} is LocallyRedundant; cross-zonal restore is "
                          "unavailable", "redundancy", vm)
        elif same(vault.redundancy, "GeoRedundant") is True:
            crr = vault.cross_region_restore
            yield from review(ctx, vault, crr, f"cross_region_restore of {label(vault)}",
                              "cross_region_restore", vm)
            if crr is False:
                yield observe(vault, f"VM {label(vm)} is pinned to zone {vm.zone} but vault "
                              f"{label(vault)} is GeoRedundant without Cross Region Restore; "
                              "cross-zonal restore needs a ZRS or CRR vault",
                              "cross_region_restore", vm)


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [ade_restore_limits, cmk_restore_limits, crr_managed_identity, cross_zonal]
