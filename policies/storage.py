"""Area *storage* (ST rows): disk types, counts, sizes, shared and special disks."""

from __future__ import annotations

from collections.abc import Iterator

from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import Unknown, VirtualMachine
from azbackup_policy.rules import Check, Observation, Rule, RuleContext, Severity, Target

from ._helpers import (
    DiskHit,
    disk_label,
    disks_with_path,
    each_enhanced_gap,
    excluded,
    has_ade,
    item_label,
    known_int,
    label,
    matching_disks,
    observe,
    protected_only,
    region,
    review,
    rule_factory,
    same,
    selective,
    sku_in,
    sku_test,
    vault_of_vm,
)

rule = rule_factory("storage")

_V2_AFTER = 'resource "azurerm_backup_policy_vm" "enhanced" {\n  policy_type = "V2"\n}'
_V1_BEFORE = 'resource "azurerm_backup_policy_vm" "daily" {\n  policy_type = "V1"\n}'


def _type_needs_enhanced(key: str, kind: str) -> Check:
    def check(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
        sku = getattr(ctx.matrix.disks, key)
        hits, reviews = matching_disks(vm, ctx, "storage_type", sku_test(sku))
        yield from reviews
        if not hits:
            return
        path, disk, value = hits[0]
        for item in each_enhanced_gap(vm, ctx, f"{kind} disks", f"{path}.storage_type"):
            if isinstance(item, Observation):
                yield item
                continue
            _, policy = item
            yield observe(disk, f"{disk_label(path, disk, vm)} is {kind} (storage type = {value}) "
                          f"but policy {label(policy)} is Standard "
                          f"(policy_type = {policy.policy_type}); {kind} disks need Enhanced",
                          f"{path}.storage_type", vm)

    return check


ultra = rule(
    "BKP-STO-001", "ultra-disk-needs-enhanced", Severity.ERROR, ("ST14", "EP2", "EP3"), Target.VM,
    summary="A VM with an Ultra Disk is protected with an Enhanced (V2) policy.",
    why="Azure Backup protects Ultra Disks only with the Enhanced policy; Standard policy "
    "cannot protect them and configuring protection fails.",
    fix="Protect the VM with a `policy_type = \"V2\"` policy.", before=_V1_BEFORE, after=_V2_AFTER,
)(_type_needs_enhanced("ultra_type", "Ultra"))

premium_v2 = rule(
    "BKP-STO-002", "premium-v2-needs-enhanced", Severity.ERROR, ("ST15", "EP2", "EP3"),
    Target.VM,
    summary="A VM with a Premium SSD v2 disk is protected with an Enhanced (V2) policy.",
    why="Premium SSD v2 disks can be backed up only with the Enhanced policy.",
    fix="Protect the VM with a `policy_type = \"V2\"` policy.", before=_V1_BEFORE, after=_V2_AFTER,
)(_type_needs_enhanced("premium_v2_type", "Premium SSD v2"))


@rule(
    "BKP-STO-003", "ephemeral-os-disk", Severity.NOTE, ("ST17",), Target.VM,
    summary="Know that an ephemeral OS disk rules out agentless crash-consistent backup.",
    why="The {matrix.article.date} revision of the {matrix.article.title} ('VM storage "
    "support') supports NVMe/ephemeral disks for standard VM backup (older revisions did "
    "not), but its agentless multi-disk crash-consistent scenarios "
    "still excludes VMs with ephemeral OS disks, and the OS disk content is rebuilt from the "
    "image on reimage. We follow the newest text: this is a note, not an error.",
    fix="Keep agent-based (app-consistent) backup for this VM, or use a managed OS disk.",
    before='os_disk {\n  diff_disk_settings {\n    option = "Local"\n  }\n}',
    after='os_disk {\n  caching              = "ReadWrite"\n'
    '  storage_account_type = "Premium_LRS"\n}',
)
def ephemeral_os_disk(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    disk = vm.os_disk
    if disk is None or not ctx.estate.protections_of(vm):
        return
    yield from review(ctx, disk, disk.ephemeral, f"ephemeral OS disk of {label(vm)}",
                      "os_disk.ephemeral", vm)
    if disk.ephemeral is True:
        option = f", placement = {disk.ephemeral_placement}" if isinstance(
            disk.ephemeral_placement, str) else ""
        yield observe(disk, f"OS disk of {label(vm)} is ephemeral (diff_disk_settings.option = "
                      f"Local{option}); agentless crash-consistent backup cannot protect it",
                      "os_disk.ephemeral", vm)


@rule(
    "BKP-STO-004", "too-many-disks", Severity.ERROR, ("ST1",), Target.VM,
    summary="A protected VM backs up at most {matrix.disks.max_disks_per_vm} data disks (the "
    "matrix limit).",
    why="Azure Backup supports VMs with up to {matrix.disks.max_disks_per_vm} disks "
    "({matrix.article.title}, 'VM storage support': the row is titled 'data disks'; we count "
    "data disks, as the newest text does). Disks left out by selective disk backup are not "
    "backed up, so they do not count. Whether the OS disk counts is ambiguous in the text: "
    "{matrix.disks.max_disks_per_vm} backed-up data disks plus the OS disk is a warning that "
    "says so, not an error.",
    fix="Move data to fewer, larger disks, or exclude disks you do not need with selective "
    "disk backup.",
    before='resource "azurerm_managed_disk" "data" {\n  count = 40\n}',
    after='resource "azurerm_managed_disk" "data" {\n  count = 8\n}',
)
def too_many_disks(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    maximum = ctx.matrix.disks.max_disks_per_vm
    for item in ctx.estate.protections_of(vm)[:1]:
        yield from review(ctx, vm, vm.unknown_disk_count, f"number of data disks of {label(vm)}",
                          "data_disks", vm)
        verdicts = [excluded(item, disk.lun) for disk in vm.data_disks]
        count = sum(1 for v in verdicts if v is False)
        maybe = next((v for v in verdicts if isinstance(v, Unknown)), None)
        left_out = len(verdicts) - count
        kept = f" ({left_out} more excluded from backup)" if left_out else ""
        if count > maximum:
            yield observe(vm, f"VM {label(vm)} backs up {count} data disks{kept}; Azure Backup "
                          f"supports at most {maximum}", "data_disks", vm)
        elif maybe is not None and len(verdicts) > maximum:
            yield from review(ctx, vm, maybe, f"how many of the {len(verdicts)} data disks of "
                              f"{label(vm)} are backed up", "data_disks", vm)
        elif count == maximum and vm.os_disk is not None:
            yield observe(vm, f"VM {label(vm)} backs up {count} data disks and its OS disk "
                          f"({count + 1} disks){kept}; the matrix says 'up to {maximum} disks' "
                          "and does not say whether the OS disk counts", "data_disks", vm,
                          Severity.WARNING)


@rule(
    "BKP-STO-005", "disk-too-large", Severity.ERROR, ("ST2",), Target.VM,
    summary="Every disk of a protected VM is at most {matrix.disks.max_disk_size_gb|tib} TiB "
    "({matrix.disks.max_disk_size_gb} GiB).",
    why="Azure Backup supports disks up to {matrix.disks.max_disk_size_gb|tib} TB each "
    "({matrix.article.title}, 'VM storage support'; older texts said 32 TB, we follow the "
    "newest).",
    fix="Split the data over several disks of at most {matrix.disks.max_disk_size_gb|tib} TiB.",
    before='resource "azurerm_managed_disk" "data" {\n  disk_size_gb = 70000\n}',
    after='resource "azurerm_managed_disk" "data" {\n  disk_size_gb = 65536\n}',
    protected_only=True,
)
def disk_too_large(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    maximum = ctx.matrix.disks.max_disk_size_gb
    hits, reviews = matching_disks(vm, ctx, "size_gb",
                                   lambda v: v if isinstance(v, Unknown) else
                                   (known_int(v) or 0) > maximum)
    yield from reviews
    for path, disk, size in hits:
        yield observe(disk, f"{disk_label(path, disk, vm)} is {size} GiB (disk_size_gb); Azure "
                      f"Backup supports disks up to {maximum} GiB", f"{path}.size_gb", vm)


@rule(
    "BKP-STO-006", "vm-disks-too-large", Severity.ERROR, ("ST2",), Target.VM,
    summary="The disks of a protected VM total at most {matrix.disks.max_vm_total_size_gb|tib} "
    "TiB ({matrix.disks.max_vm_total_size_gb} GiB).",
    why="Azure Backup supports a combined disk size of up to "
    "{matrix.disks.max_vm_total_size_gb|tib} TB per VM.",
    fix="Move data to another VM or storage service so the VM stays under the limit.",
    before='resource "azurerm_managed_disk" "data" {\n  count        = 9\n'
    '  disk_size_gb = 65536\n}',
    after='resource "azurerm_managed_disk" "data" {\n  count        = 8\n'
    '  disk_size_gb = 65536\n}',
    protected_only=True,
)
def vm_disks_too_large(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    maximum = ctx.matrix.disks.max_vm_total_size_gb
    sizes = [known_int(d.size_gb) or 0 for d in vm.disks]
    total = sum(sizes)
    if total > maximum:
        yield observe(vm, f"disks of VM {label(vm)} total {total} GiB; Azure Backup supports at "
                      f"most {maximum} GiB per VM", "data_disks", vm)
        return
    for path, disk in disks_with_path(vm):
        yield from review(ctx, disk, disk.size_gb, f"size of {disk_label(path, disk, vm)}",
                          f"{path}.size_gb", vm)


@rule(
    "BKP-STO-007", "unmanaged-disk", Severity.ERROR, ("ST1", "ST4", "C11"), Target.VM,
    summary="A protected VM uses managed disks only (no unmanaged VHD disks).",
    why="VMs on unmanaged disks (`vhd_uri` / `vhd.uri`) can no longer be backed up "
    "({matrix.article.title}, 'VM storage support': older texts called it deprecated; the "
    "{matrix.article.date} revision says not supported).",
    fix="Convert the VM to managed disks.",
    before='storage_os_disk {\n  vhd_uri = "https://st.blob.core.windows.net/vhds/os.vhd"\n}',
    after='storage_os_disk {\n  managed_disk_type = "Premium_LRS"\n}',
    protected_only=True,
)
def unmanaged_disk(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    hits, reviews = matching_disks(vm, ctx, "managed",
                                   lambda v: v if isinstance(v, Unknown) else v is False)
    yield from reviews
    for path, disk, _ in hits:
        yield observe(disk, f"{disk_label(path, disk, vm)} is an unmanaged VHD disk "
                      "(managed = false); VMs on unmanaged disks cannot be backed up",
                      f"{path}.managed", vm)


@rule(
    "BKP-STO-008", "classic-vm", Severity.ERROR, ("ST1",), Target.VM,
    summary="VMs to back up are Azure Resource Manager VMs, not classic VMs.",
    why="Classic VM backup is no longer available ({matrix.article.title}, 'VM storage "
    "support').",
    fix="Migrate the VM to Azure Resource Manager.",
    before='{ "type": "Microsoft.ClassicCompute/virtualMachines" }',
    after='{ "type": "Microsoft.Compute/virtualMachines" }', lang="json",
)
def classic_vm(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    if vm.deployment_model == "Classic":
        yield observe(vm, f"VM {label(vm)} is a classic VM; classic VM backup is no longer "
                      "available", None, vm)


def _shared_disks(vm: VirtualMachine, ctx: RuleContext) -> tuple[list[DiskHit], list[Observation]]:
    return matching_disks(vm, ctx, "max_shares",
                          lambda v: v if isinstance(v, Unknown) else (known_int(v) or 0) > 1)


@rule(
    "BKP-STO-009", "shared-disk-not-excluded", Severity.ERROR, ("ST13", "EP7"), Target.VM,
    summary="Shared disks (max_shares > 1) of a protected VM are excluded from backup.",
    why="Shared disks are not supported by Azure Backup; with the Enhanced policy a shared "
    "disk can be excluded and the other disks backed up.",
    fix="Exclude the shared disk's LUN with selective disk backup (Enhanced policy).",
    before='resource "azurerm_backup_protected_vm" "db" {\n  backup_policy_id = '
    'azurerm_backup_policy_vm.enhanced.id\n}',
    after='resource "azurerm_backup_protected_vm" "db" {\n  backup_policy_id  = '
    'azurerm_backup_policy_vm.enhanced.id\n  exclude_disk_luns = [1]\n}',
)
def shared_disk_not_excluded(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    hits, reviews = _shared_disks(vm, ctx)
    items = ctx.estate.protections_of(vm)
    if items:
        yield from reviews
    for (path, disk, shares), item in ((h, i) for h in hits for i in items):
        if path == "os_disk":
            continue
        out = excluded(item, disk.lun)
        yield from review(ctx, item, out, f"exclusion of {disk_label(path, disk, vm)}",
                          "exclude_luns", vm)
        if out is False:
            yield observe(disk, f"{disk_label(path, disk, vm)} is shared (max_shares = {shares}) "
                          f"and {item_label(item, ctx)} does not exclude it",
                          f"{path}.max_shares", vm)


@rule(
    "BKP-STO-010", "shared-disk-exclusion-needs-enhanced", Severity.ERROR,
    ("ST13", "EP3", "EP7"), Target.VM,
    summary="A VM with a shared disk is protected with an Enhanced (V2) policy.",
    why="Only the Enhanced policy can exclude a shared disk and back up the rest of the VM.",
    fix="Protect the VM with a `policy_type = \"V2\"` policy and exclude the shared disk.",
    before=_V1_BEFORE, after=_V2_AFTER,
)
def shared_disk_needs_enhanced(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    hits, _ = _shared_disks(vm, ctx)
    if not hits:
        return
    path, disk, shares = hits[0]
    for item in each_enhanced_gap(vm, ctx, "shared disks", f"{path}.max_shares"):
        if isinstance(item, Observation):
            yield item
        else:
            yield observe(disk, f"{disk_label(path, disk, vm)} is shared (max_shares = {shares}) "
                          f"but policy {label(item[1])} is Standard; only Enhanced can exclude "
                          "shared disks", f"{path}.max_shares", vm)


def _disk_field_rule(field: str, expected: object, text: str, os_text: str = "") -> Check:
    """Disks whose ``field`` is ``expected``; ``os_text``: the OS disk case is an error."""
    def check(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
        test = (lambda v: same(v, expected)) if isinstance(expected, str) else (
            lambda v: v if isinstance(v, Unknown) else v == expected)
        hits, reviews = matching_disks(vm, ctx, field, test)
        yield from reviews
        for path, disk, value in hits:
            on_os = bool(os_text) and path == "os_disk"
            yield observe(disk, f"{disk_label(path, disk, vm)} has {field} = {value}; "
                          f"{os_text if on_os else text}", f"{path}.{field}", vm,
                          Severity.ERROR if on_os else None)

    return protected_only(check)


entra_disk = rule(
    "BKP-STO-011", "entra-data-access-disk", Severity.ERROR, ("ST21", "EP4"), Target.VM,
    summary="Disks of a protected VM do not use Microsoft Entra data-access authentication.",
    why="Backups fail for disks with data access authentication mode `AzureActiveDirectory`.",
    fix="Remove `data_access_auth_mode` (or set `dataAccessAuthMode: None`).",
    tags=("security",),  # a row about encryption or access
    before='resource "azurerm_managed_disk" "data" {\n'
    '  data_access_auth_mode = "AzureActiveDirectory"\n}',
    after='resource "azurerm_managed_disk" "data" {\n  # data_access_auth_mode not set\n}',
)(_disk_field_rule("data_access_auth_mode", "AzureActiveDirectory",
                   "Azure Backup does not support disks with Entra data-access authentication"))

write_accelerator = rule(
    "BKP-STO-012", "write-accelerator-disk", Severity.WARNING, ("ST6",), Target.VM,
    summary="Know the limits of backing up write-accelerated disks.",
    why="Write-accelerator data disks can be backed up (all public regions since May 2022), "
    "but the VM needs internet connectivity even when those disks are excluded, and "
    "file-level restore does not work from them (a warning). Snapshots are taken only of "
    "write-accelerated data disks, not OS disks (VM backup FAQ): write acceleration on the OS "
    "disk is an error.",
    fix="Make sure the VM has outbound connectivity, or disable write acceleration.",
    before='resource "azurerm_virtual_machine_data_disk_attachment" "log" {\n'
    '  write_accelerator_enabled = true\n}',
    after='resource "azurerm_virtual_machine_data_disk_attachment" "log" {\n'
    '  write_accelerator_enabled = false\n}',
)(_disk_field_rule("write_accelerator", True,
                   "backup needs internet connectivity and file-level restore is unavailable",
                   "Azure Backup snapshots write-accelerated data disks only, not OS disks"))

performance_plus = rule(
    "BKP-STO-013", "performance-plus-disk", Severity.NOTE, ("ST23",), Target.VM,
    summary="Know that a vault-tier restore drops performance-plus.",
    why="Restores from the snapshot tier keep performance-plus; restores from the vault tier "
    "create normal disks.",
    fix="Restore from the snapshot tier, or re-create performance-plus disks after restore.",
    before='resource "azurerm_managed_disk" "data" {\n  performance_plus_enabled = true\n}',
    after='resource "azurerm_managed_disk" "data" {\n  performance_plus_enabled = false\n}',
)(_disk_field_rule("performance_plus", True,
                   "a restore from the vault tier creates a disk without performance-plus"))


@rule(
    "BKP-STO-014", "ultra-premium-v2-grs-crr-region", Severity.WARNING, ("ST14", "ST15"),
    Target.VM,
    summary="Ultra / Premium SSD v2 VMs use a geo-redundant vault only in the regions that "
    "support it.",
    why="GRS vaults and Cross Region Restore support Ultra Disks and Premium SSD v2 only in "
    "the regions the matrix lists (kept in matrix.yaml); the FAQ adds that GRS works only when "
    "both paired regions support these disks, with or without Cross Region Restore.",
    fix="Use a locally or zone-redundant vault for these VMs.",
    before='resource "azurerm_recovery_services_vault" "app" {\n'
    '  storage_mode_type            = "GeoRedundant"\n  cross_region_restore_enabled = true\n}',
    after='resource "azurerm_recovery_services_vault" "app" {\n'
    '  storage_mode_type = "ZoneRedundant"\n}',
)
def special_disk_crr_region(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    for key, regions_key, kind in (("ultra_type", "ultra_grs_crr_regions", "Ultra"),
                                   ("premium_v2_type", "premium_v2_grs_crr_regions",
                                    "Premium SSD v2")):
        sku: str = getattr(ctx.matrix.disks, key)
        hits, _ = matching_disks(vm, ctx, "storage_type", sku_test(sku))
        if hits:
            yield from _crr_region(vm, ctx, kind, getattr(ctx.matrix.disks, regions_key))


def _crr_region(vm: VirtualMachine, ctx: RuleContext, kind: str,
                regions: list[str]) -> Iterator[Observation]:
    for _, vault in vault_of_vm(vm, ctx):
        geo = same(vault.redundancy, "GeoRedundant")
        crr = vault.cross_region_restore
        where = region(vault.location)
        for value, what in ((geo, "redundancy"), (crr, "cross_region_restore"),
                            (where, "location")):
            yield from review(ctx, vault, value, f"{what} of vault {label(vault)}", what, vm)
        if geo is True and isinstance(where, str) and where not in regions:
            with_crr = " with Cross Region Restore" if crr is True else ""
            yield observe(vault, f"vault {label(vault)} is GeoRedundant{with_crr} in {where}, "
                          f"where {kind} disks of VM {label(vm)} are not supported for GRS/CRR "
                          "(GRS works only when both paired regions support them)",
                          "cross_region_restore" if crr is True else "redundancy", vm)


@rule(
    "BKP-STO-015", "selective-backup-encrypted-vm", Severity.ERROR, ("ST5", "EP15"), Target.VM,
    summary="Selective disk backup is not configured on a VM encrypted with Azure Disk "
    "Encryption.",
    why="Disk exclusion is not supported for encrypted (ADE) VMs ('Troubleshoot backup of "
    "encrypted Azure VMs').",
    fix="Back up all disks of the ADE-encrypted VM.",
    tags=("security",),  # a row about encryption or access
    before='resource "azurerm_backup_protected_vm" "db" {\n  exclude_disk_luns = [1]\n}',
    after='resource "azurerm_backup_protected_vm" "db" {\n  # all disks\n}',
)
def selective_backup_encrypted(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    for item in ctx.estate.protections_of(vm):
        chosen = selective(item)
        if chosen is False:
            continue
        ade = has_ade(vm, ctx)
        for value, what in ((chosen, "selective disk backup"), (ade, "ADE extension")):
            yield from review(ctx, item, value, f"{what} of {label(vm)}", "exclude_luns", vm)
        if chosen is True and ade is True:
            yield observe(item, f"{item_label(item, ctx)} configures selective disk backup "
                          f"but VM {label(vm)} uses Azure Disk Encryption", "exclude_luns", vm)


@rule(
    "BKP-STO-016", "selective-backup-dynamic-volumes", Severity.NOTE, ("ST19",), Target.VM,
    summary="Selective disk backup is not used on Windows VMs with dynamic spanned/striped "
    "volumes.",
    why="Dynamic disks with spanned or striped volumes are supported unless selective disk "
    "backup is enabled. The volume layout lives in the guest and IaC cannot show it, so this "
    "is a note on every Windows VM with selective disk backup (the candidate rule asked for a "
    "warning; a note avoids noise on VMs with basic disks).",
    fix="Back up all disks of VMs that use dynamic spanned/striped volumes.",
    before='resource "azurerm_backup_protected_vm" "fs" {\n  include_disk_luns = [0]\n}',
    after='resource "azurerm_backup_protected_vm" "fs" {\n  # all disks\n}',
)
def selective_backup_dynamic(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    if same(vm.os_type, "Windows") is not True:
        return
    for item in ctx.estate.protections_of(vm):
        if selective(item) is True:
            yield observe(item, f"{item_label(item, ctx)} uses selective disk backup on "
                          f"Windows VM {label(vm)}; this fails if the guest uses dynamic "
                          "spanned or striped volumes", "include_luns", vm)


@rule(
    "BKP-STO-017", "unsupported-disk-type", Severity.ERROR, ("ST3",), Target.VM,
    summary="Disks of a protected VM use a storage type Azure Backup supports.",
    why="Supported: Standard HDD, Standard SSD (LRS/ZRS), Premium SSD (LRS/ZRS), Premium SSD "
    "v2 and Ultra Disk (list in matrix.yaml).",
    fix="Use one of the supported storage account types.",
    before='os_disk {\n  storage_account_type = "Premium_GRS"\n}',
    after='os_disk {\n  storage_account_type = "Premium_ZRS"\n}',
    protected_only=True,
)
def unsupported_disk_type(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    types = ctx.matrix.disks.supported_types
    hits, reviews = matching_disks(
        vm, ctx, "storage_type",
        lambda v: v if isinstance(v, Unknown) else isinstance(v, str) and not sku_in(v, *types))
    yield from reviews
    for path, disk, value in hits:
        yield observe(disk, f"{disk_label(path, disk, vm)} has storage type {value}, which Azure "
                      "Backup does not list as supported", f"{path}.storage_type", vm)


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [ultra, premium_v2, ephemeral_os_disk, too_many_disks, disk_too_large,
            vm_disks_too_large, unmanaged_disk, classic_vm, shared_disk_not_excluded,
            shared_disk_needs_enhanced, entra_disk, write_accelerator, performance_plus,
            special_disk_crr_region, selective_backup_encrypted, selective_backup_dynamic,
            unsupported_disk_type]
