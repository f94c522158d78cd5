"""Area *file_level_restore* (FL rows): disks that rule out item-level restore."""

from __future__ import annotations

from collections.abc import Iterator

from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import Disk, VirtualMachine
from azbackup_policy.rules import Observation, Rule, RuleContext, Severity, Target

from ._helpers import (
    disk_label,
    disks_with_path,
    known_int,
    label,
    observe,
    review,
    rule_factory,
    sku_in,
)

rule = rule_factory("file_level_restore")


def _why_not(disk: Disk, ctx: RuleContext) -> str | None:
    if sku_in(disk.storage_type, ctx.matrix.disks.ultra_type) is True:
        return f"an Ultra Disk (storage type = {disk.storage_type})"
    if sku_in(disk.storage_type, ctx.matrix.disks.premium_v2_type) is True:
        return f"a Premium SSD v2 disk (storage type = {disk.storage_type})"
    if (known_int(disk.max_shares) or 0) > 1:
        return f"a shared disk (max_shares = {disk.max_shares})"
    if disk.write_accelerator is True:
        return "write-accelerated (write_accelerator = true)"
    return None


@rule(
    "BKP-FLR-001", "file-restore-unsupported-disks", Severity.NOTE, ("FL7", "ST14", "ST15"),
    Target.VM,
    summary="Know that file-level restore is unavailable from Ultra, Premium SSD v2, shared and "
    "write-accelerated disks.",
    why="Item-level (file/folder) restore is not supported from shared disks, temporary "
    "drives, deduplicated disks, Ultra Disks, Premium SSD v2 and write-accelerator disks.",
    fix="Plan whole-disk restores for these disks.",
    before='resource "azurerm_managed_disk" "data" {\n  storage_account_type = "UltraSSD_LRS"\n}',
    after='resource "azurerm_managed_disk" "data" {\n  storage_account_type = "Premium_LRS"\n}',
    protected_only=True,
)
def file_restore_disks(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    for path, disk in disks_with_path(vm):
        yield from review(ctx, disk, disk.storage_type, f"storage type of {path}",
                          f"{path}.storage_type", vm)
        reason = _why_not(disk, ctx)
        if reason is not None:
            yield observe(disk, f"{disk_label(path, disk, vm)} is {reason}; files can't be "
                          f"restored from it (VM {label(vm)})", path, vm)


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [file_restore_disks]
