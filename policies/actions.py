"""Area *actions* (A rows): where the vault is, locks, and policy changes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import Estate, Lock, Protection, VirtualMachine
from azbackup_policy.rules import Observation, Rule, RuleContext, Severity, Target

from ._helpers import (
    item_label,
    label,
    observe,
    region,
    review,
    rule_factory,
    same,
    subscription_of,
    vault_of_vm,
    vm_of,
)

rule = rule_factory("actions")


@rule(
    "BKP-ACT-001", "vault-in-other-region", Severity.ERROR, ("A6",), Target.VM,
    summary="A VM is protected by a Recovery Services vault in the VM's own region.",
    why="Backing up to a vault in a different region is not supported: the VM and the vault "
    "must be in the same region.",
    fix="Protect the VM with a vault in its region (one vault per region).",
    before='resource "azurerm_recovery_services_vault" "app" {\n  location = "northeurope"\n}',
    after='resource "azurerm_recovery_services_vault" "app" {\n'
    '  location = azurerm_resource_group.app.location  # westeurope, like the VMs\n}',
)
def vault_in_other_region(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    mine = region(vm.location)
    for _, vault in vault_of_vm(vm, ctx):
        theirs = region(vault.location)
        for value, who in ((mine, vm), (theirs, vault)):
            yield from review(ctx, vm, value, f"location of {label(who)}", "location", vm)
        if isinstance(mine, str) and isinstance(theirs, str) and mine != theirs:
            yield observe(vm, f"VM {label(vm)} is in {mine} but its vault {label(vault)} is in "
                          f"{theirs}; VM and vault must be in the same region", "location", vm)


@rule(
    "BKP-ACT-002", "vault-in-other-subscription", Severity.WARNING, ("A7",), Target.VM,
    summary="A VM is protected by a vault in its own subscription (or a deliberate "
    "cross-subscription setup in the same tenant and region).",
    why="Cross-subscription backup is supported only as of the {matrix.article.date} revision "
    "of the {matrix.article.title} ('Supported backup actions': same tenant and region; not "
    "for Confidential VMs); older revisions said unsupported (we follow the newest). Backup "
    "data can't later be moved between vaults, and a vault holding cross-subscription VMs "
    "can't be moved to another subscription or resource group.",
    fix="Prefer a vault in the VM's subscription; otherwise keep tenant and region equal.",
    before='provider "azurerm" {\n  alias           = "backup"\n'
    '  subscription_id = "00000000-0000-0000-0000-000000000002"\n}',
    after='provider "azurerm" {\n  subscription_id = "00000000-0000-0000-0000-000000000001"\n}',
)
def vault_in_other_subscription(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    mine = subscription_of(vm)
    for _, vault in vault_of_vm(vm, ctx):
        theirs = subscription_of(vault)
        for value, who in ((mine, vm), (theirs, vault)):
            yield from review(ctx, vm, value, f"subscription of {label(who)}", None, vm)
        if isinstance(mine, str) and isinstance(theirs, str) and mine.lower() != theirs.lower():
            yield observe(vm, f"VM {label(vm)} is in subscription {mine} but its vault "
                          f"{label(vault)} is in subscription {theirs}; supported only in the "
                          "same tenant and region, and the vault can no longer be moved", None,
                          vm)


_GROUP_SCOPE = re.compile(r"^/subscriptions/[^/]+/resourcegroups/([^/]+)/?$", re.IGNORECASE)
_SUBSCRIPTION_SCOPE = re.compile(r"^/subscriptions/[^/]+/?$", re.IGNORECASE)


def _locked_group(lock: Lock) -> str | None:
    scope = lock.scope
    match = _GROUP_SCOPE.match(scope) if isinstance(scope, str) else None
    return match.group(1) if match else None


def instant_restore_group_names(estate: Estate, ctx: RuleContext) -> list[re.Pattern[str]]:
    """The names Azure gives instant-restore resource groups: ``AzureBackupRG_<geo>_<n>`` by
    default, ``<prefix><n><suffix>`` for a policy's own prefix (A3, FAQ)."""
    default = re.escape(str(ctx.matrix.policy.instant_restore_rg_prefix))
    names = [re.compile(rf"^{default}_[a-z0-9]+_\d+$", re.IGNORECASE)]
    names += [re.compile(rf"^{re.escape(p.instant_restore_rg_prefix)}\d+", re.IGNORECASE)
              for p in estate.policies if isinstance(p.instant_restore_rg_prefix, str)]
    return names


@rule(
    "BKP-ACT-003", "instant-restore-rg-locked", Severity.ERROR, ("A3",), Target.ESTATE,
    summary="The resource group that holds instant-restore points is not locked, directly or "
    "through a subscription lock.",
    why="With a lock on the instant-restore resource group the service can't remove old restore "
    "points; once the restore-point limit is hit backups fail. Azure names the group "
    "`AzureBackupRG_<geo>_<n>`, or `<prefix><n><suffix>` with a policy's "
    "`instant_restore_resource_group` prefix; only groups named so match. A lock on the "
    "subscription is inherited by that group too.",
    fix="Remove the lock from the instant-restore resource group (or the subscription).",
    before='resource "azurerm_management_lock" "rp" {\n'
    '  scope      = "/subscriptions/.../resourceGroups/AzureBackupRG_westeurope_1"\n'
    '  lock_level = "CanNotDelete"\n}',
    after="# no lock on AzureBackupRG_* (lock the VM's own resource group instead)",
)
def instant_restore_rg_locked(estate: Estate, ctx: RuleContext) -> Iterator[Observation]:
    names = instant_restore_group_names(estate, ctx)
    for lock in estate.locks:
        yield from review(ctx, lock, lock.scope, f"scope of lock {label(lock)}", "scope")
        group = _locked_group(lock)
        if group is not None and any(name.match(group) for name in names):
            yield observe(lock, f"lock {label(lock)} ({lock.level}) is on resource group {group}, "
                          "which holds instant-restore points; old points can't be pruned",
                          "scope")
        elif isinstance(lock.scope, str) and _SUBSCRIPTION_SCOPE.match(lock.scope) \
                and estate.protections:
            yield observe(lock, f"lock {label(lock)} ({lock.level}) is on subscription "
                          f"{lock.scope}; the instant-restore resource groups inherit it, so "
                          "old restore points can't be pruned", "scope")


@rule(
    "BKP-ACT-004", "enhanced-to-standard-switch", Severity.ERROR, ("EP6", "A4"),
    Target.PROTECTION,
    summary="A protected item on an Enhanced (V2) policy is not moved to a Standard policy.",
    why="After a VM is protected with Enhanced policy it can't go back to Standard; the policy "
    "change fails (Standard to Enhanced migration is supported, GA June 2025).",
    fix="Keep the item on an Enhanced policy.",
    before='resource "azurerm_backup_protected_vm" "api" {\n'
    '  backup_policy_id = azurerm_backup_policy_vm.enhanced.id\n}',
    after='resource "azurerm_backup_protected_vm" "api" {\n'
    '  backup_policy_id = azurerm_backup_policy_vm.daily.id  # V1: not allowed\n}',
)
def enhanced_to_standard(item: Protection, ctx: RuleContext) -> Iterator[Observation]:
    before = item.previous_policy_type
    policy = ctx.estate.policy_of(item)
    if before is None or policy is None:
        return
    yield from review(ctx, item, before, f"previous policy of {item_label(item, ctx)}", "policy")
    yield from review(ctx, item, policy.policy_type, f"policy type of {label(policy)}", "policy")
    if same(before, "V2") is True and same(policy.policy_type, "V1") is True:
        yield observe(item, f"{item_label(item, ctx)} moves from an Enhanced (V2) policy to "
                      f"Standard policy {label(policy)} (V1); Enhanced to Standard is not "
                      "allowed", "policy", vm_of(item, ctx))


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [vault_in_other_region, vault_in_other_subscription, instant_restore_rg_locked,
            enhanced_to_standard]
