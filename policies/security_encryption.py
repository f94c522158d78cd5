"""Area *security_encryption* (SE rows), including the Confidential VM backup preview."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import Estate, VirtualMachine
from azbackup_policy.rules import Check, Observation, Rule, RuleContext, Severity, Target

from ._helpers import (
    disks_with_path,
    each_enhanced_gap,
    label,
    observe,
    region,
    review,
    rule_factory,
    same,
    size_parts,
    subscription_of,
    vault_of_vm,
)

rule = rule_factory("security_encryption")
_CVM_BEFORE = ('resource "azurerm_linux_virtual_machine" "cvm" {\n'
               '  size     = "Standard_DC4as_v5"\n  location = "westeurope"\n}')
_CVM_AFTER = ('resource "azurerm_linux_virtual_machine" "cvm" {\n'
              '  size     = "Standard_DC4as_v6"\n  location = "koreacentral"\n}')


def _protected_cvm(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation | bool]:
    """Reviews, then True when ``vm`` is a protected Confidential VM."""
    if not ctx.estate.protections_of(vm):
        return
    cvm = same(vm.security_type, "ConfidentialVM")
    yield from review(ctx, vm, cvm, f"security type of {label(vm)}", "security_type", vm)
    if cvm is True:
        yield True


def _cvm_rule(body: Callable[[VirtualMachine, RuleContext], Iterator[Observation]]) -> Check:
    def check(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
        for item in _protected_cvm(vm, ctx):
            if isinstance(item, Observation):
                yield item
            else:
                yield from body(vm, ctx)

    return check


@rule(
    "BKP-SEC-001", "confidential-vm-preview", Severity.WARNING, ("C19", "SE12"), Target.VM,
    summary="Know that Confidential VM backup is a preview feature.",
    why="Confidential VM backup is 'Supported (in preview)' in the {matrix.article.date} "
    "revision of the {matrix.article.title} ('VM compute support'; older texts said "
    "unsupported). It needs the preview feature "
    "`RestorePointSupportForConfidentialVMV2` registered on `Microsoft.Compute`, and Microsoft "
    "says it is not for production.",
    fix="Register the preview feature and keep another recovery path for production CVMs.",
    before='resource "azurerm_linux_virtual_machine" "cvm" {\n  vtpm_enabled = true\n}',
    after='resource "azurerm_resource_provider_feature_registration" "cvm_backup" {\n'
    '  name          = "RestorePointSupportForConfidentialVMV2"\n'
    '  provider_name = "Microsoft.Compute"\n}',
)
def cvm_preview(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    for item in _protected_cvm(vm, ctx):
        yield item if isinstance(item, Observation) else observe(
            vm, f"VM {label(vm)} is a Confidential VM (security_type = ConfidentialVM); its "
            "backup is a preview feature", "security_type", vm)


def _region_body(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    allowed = ctx.matrix.compute.confidential.regions
    where = region(vm.location)
    yield from review(ctx, vm, where, f"location of {label(vm)}", "location", vm)
    if isinstance(where, str) and where not in allowed:
        yield observe(vm, f"Confidential VM {label(vm)} is in {where}; CVM backup preview is "
                      f"available only in {', '.join(allowed)}", "location", vm)


cvm_region = rule(
    "BKP-SEC-002", "confidential-vm-region", Severity.ERROR, ("SE9",), Target.VM,
    summary="A protected Confidential VM is in a region of the CVM backup preview.",
    why="The Confidential VM backup section of the {matrix.article.title} lists UAE North and "
    "Korea Central (an older inline table also listed Switzerland North, West Central US, "
    "South Africa North and UK South; we follow the newest; the list is in matrix.yaml).",
    fix="Deploy the CVM in a supported region.", before=_CVM_BEFORE, after=_CVM_AFTER,
)(_cvm_rule(_region_body))


def _size_body(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    minimum = ctx.matrix.compute.confidential.min_size_version
    yield from review(ctx, vm, vm.size, f"size of {label(vm)}", "size", vm)
    parts = size_parts(vm.size) if isinstance(vm.size, str) else None
    if parts is not None and (parts[2] or 0) < minimum:
        yield observe(vm, f"Confidential VM {label(vm)} has size {vm.size}; CVM backup supports "
                      f"v{minimum} sizes only (v5-series not supported)", "size", vm)


cvm_size = rule(
    "BKP-SEC-003", "confidential-vm-size", Severity.ERROR, ("SE8",), Target.VM,
    summary="A protected Confidential VM uses a v6 size (DC/EC ... v6).",
    why="CVM backup supports DC-series v6; v5-series sizes (DCasv5, ECasv5 ...) are not "
    "supported.",
    fix="Resize the CVM to a v6 size.", before=_CVM_BEFORE, after=_CVM_AFTER,
)(_cvm_rule(_size_body))


def _os_disk_body(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    wanted = ctx.matrix.compute.confidential.os_disk_encryption_type
    kind = vm.os_disk.security_encryption_type if vm.os_disk is not None else None
    yield from review(ctx, vm, kind, f"OS disk encryption of {label(vm)}",
                      "os_disk.security_encryption_type", vm)
    if same(kind, wanted) is False:
        yield observe(vm.os_disk or vm, f"Confidential VM {label(vm)} has OS disk security "
                      f"encryption type {kind}; CVM backup needs {wanted}",
                      "os_disk.security_encryption_type", vm)


cvm_os_disk = rule(
    "BKP-SEC-004", "confidential-vm-os-disk-encryption", Severity.ERROR, ("SE11",), Target.VM,
    summary="A protected Confidential VM uses confidential OS disk encryption "
    "(DiskWithVMGuestState).",
    why="Only CVMs with confidential OS disk encryption can be backed up.",
    fix="Set the OS disk security encryption type to `DiskWithVMGuestState`.",
    tags=("security",),  # a row about encryption or access
    before='os_disk {\n  security_encryption_type = "VMGuestStateOnly"\n}',
    after='os_disk {\n  security_encryption_type = "DiskWithVMGuestState"\n}',
)(_cvm_rule(_os_disk_body))


def _crr_body(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    for _, vault in vault_of_vm(vm, ctx):
        crr = vault.cross_region_restore
        yield from review(ctx, vault, crr, f"Cross Region Restore of {label(vault)}",
                          "cross_region_restore", vm)
        if crr is True:
            yield observe(vault, f"Confidential VM {label(vm)} is protected in vault "
                          f"{label(vault)} with Cross Region Restore enabled; CRR is not "
                          "supported for CVMs", "cross_region_restore", vm)


cvm_crr = rule(
    "BKP-SEC-005", "confidential-vm-cross-region-restore", Severity.WARNING, ("SE11",),
    Target.VM,
    summary="Know that Cross Region Restore does not cover Confidential VMs.",
    why="CRR is not supported for CVMs (CVM v6 sizes are not GA in the paired regions).",
    fix="Protect CVMs in a vault without Cross Region Restore.",
    before='resource "azurerm_recovery_services_vault" "app" {\n'
    '  cross_region_restore_enabled = true\n}',
    after='resource "azurerm_recovery_services_vault" "cvm" {\n'
    '  cross_region_restore_enabled = false\n}',
)(_cvm_rule(_crr_body))


def _cross_sub_body(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    mine = subscription_of(vm)
    for _, vault in vault_of_vm(vm, ctx):
        theirs = subscription_of(vault)
        for value in (mine, theirs):
            yield from review(ctx, vm, value, f"subscriptions of {label(vm)} and "
                              f"{label(vault)}", None, vm)
        if isinstance(mine, str) and isinstance(theirs, str) and mine.lower() != theirs.lower():
            yield observe(vm, f"Confidential VM {label(vm)} (subscription {mine}) is protected "
                          f"by vault {label(vault)} in subscription {theirs}; cross-subscription "
                          "backup excludes CVMs", None, vm)


cvm_cross_sub = rule(
    "BKP-SEC-006", "confidential-vm-cross-subscription", Severity.ERROR, ("A7",), Target.VM,
    summary="A Confidential VM is protected by a vault in its own subscription.",
    why="Backup to a vault in another subscription (same tenant and region) is supported as "
    "of 03/26/2026, but not for Confidential VMs (including ADE-encrypted CVMs).",
    fix="Use a vault in the CVM's subscription.",
    before='provider "azurerm" {\n  alias           = "backup"\n'
    '  subscription_id = "00000000-0000-0000-0000-000000000002"\n}',
    after='provider "azurerm" {\n  subscription_id = "00000000-0000-0000-0000-000000000001"\n}',
)(_cvm_rule(_cross_sub_body))


@rule(
    "BKP-SEC-007", "confidential-vm-disks-per-des", Severity.WARNING, ("SE10",), Target.ESTATE,
    summary="At most {matrix.disks.max_disks_per_des_cvm} Confidential VM disks share one disk "
    "encryption set.",
    why="On key rotation the keys of CVM disks, restore points and snapshots are updated; with "
    "more than {matrix.disks.max_disks_per_des_cvm} disks per disk encryption set rotation can "
    "fail or be slow (fewer with snapshots too).",
    fix="Spread CVM disks over several disk encryption sets.",
    tags=("security",),  # a row about encryption or access
    before='disk_encryption_set_id = azurerm_disk_encryption_set.shared.id  # 60 disks',
    after='disk_encryption_set_id = azurerm_disk_encryption_set.cvm[count.index % 2].id',
)
def disks_per_des(estate: Estate, ctx: RuleContext) -> Iterator[Observation]:
    maximum = ctx.matrix.disks.max_disks_per_des_cvm
    counts: Counter[str] = Counter()
    first: dict[str, VirtualMachine] = {}
    for vm in estate.vms:
        if same(vm.security_type, "ConfidentialVM") is not True:
            continue
        for _, disk in disks_with_path(vm):
            des = disk.disk_encryption_set_id
            if isinstance(des, str):
                counts[des.lower()] += 1
                first.setdefault(des.lower(), vm)
    for des, count in sorted(counts.items()):
        if count > maximum:
            vm = first[des]
            yield observe(vm, f"{count} Confidential VM disks use disk encryption set {des}; key "
                          f"rotation may fail above {maximum}", "os_disk.disk_encryption_set_id",
                          vm)


def _cvm_standard(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    for item in each_enhanced_gap(vm, ctx, "a Confidential VM", "security_type"):
        if isinstance(item, Observation):
            yield item
            continue
        _, policy = item
        yield observe(vm, f"Confidential VM {label(vm)} is protected by Standard policy "
                      f"{label(policy)} (policy_type = {policy.policy_type}); the Confidential VM "
                      "backup docs configure it through the Enhanced policy", "security_type", vm)


cvm_standard = rule(
    "BKP-SEC-008", "confidential-vm-standard-policy", Severity.WARNING, ("EP3", "C19"),
    Target.VM,
    summary="A Confidential VM is protected with an Enhanced (V2) policy.",
    why="The 2023 Enhanced-policy text lists Confidential VMs as Enhanced-only; the 2026 CVM "
    "backup article routes configuration through the Enhanced-policy article but does not "
    "say a Standard policy fails (matrix row EP3). The evidence is indirect, hence a warning.",
    fix="Protect the Confidential VM with a `policy_type = \"V2\"` policy.",
    before='backup_policy_id = azurerm_backup_policy_vm.daily.id  # V1',
    after='backup_policy_id = azurerm_backup_policy_vm.enhanced.id  # V2',
)(_cvm_rule(_cvm_standard))


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [cvm_preview, cvm_region, cvm_size, cvm_os_disk, cvm_crr, cvm_cross_sub,
            disks_per_des, cvm_standard]
