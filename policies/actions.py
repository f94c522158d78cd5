"""Area *actions* (A rows): where the vault is, locks, and policy changes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import (
    Estate,
    Lock,
    Protection,
    RoleAssignment,
    Unknown,
    VirtualMachine,
)
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


# Built-in roles that act on backups (Azure built-in roles, Storage category): GUID -> name.
# Backup Reader (a795c7a0-d4a2-40c1-ae25-d81f01202912) only views, so it is not one of them.
BACKUP_ROLES = {"5e467623-bb1f-42f4-a55d-6e525e11384b": "Backup Contributor",
                "00c29273-979b-4161-815c-10b084fb9324": "Backup Operator"}
_WIDE = ("subscription", "managementGroup", "tenant")


def _backup_role(assignment: RoleAssignment) -> str | Unknown | None:
    """The backup role an assignment grants (by GUID or name), Unknown when not known."""
    guid, name = assignment.role_definition_id, assignment.role_definition_name
    if isinstance(guid, str) and guid.lower() in BACKUP_ROLES:
        return BACKUP_ROLES[guid.lower()]
    if isinstance(name, str):
        return next((n for n in BACKUP_ROLES.values() if n.lower() == name.lower()), None)
    for value in (guid, name):
        if isinstance(value, Unknown):
            return value
    return None


def _principal_key(value: object) -> object:
    """Principals compare by id (any case), unknown ones by their expression."""
    if isinstance(value, Unknown):
        return ("?", " ".join(value.expression.split()))
    return str(value).lower()


def _shown(value: object) -> str:
    return value.expression if isinstance(value, Unknown) else str(value)


def _soft_delete_on(estate: Estate) -> bool:
    """A vault of the unit keeps soft delete on (Enabled or AlwaysON; the default is on)."""
    return any(v.soft_delete is None or (isinstance(v.soft_delete, str)
                                         and v.soft_delete.lower() != "disabled")
               for v in estate.vaults)


@rule(
    "BKP-ACT-005", "backup-role-resource-group-only", Severity.NOTE, ("A19",), Target.ESTATE,
    summary="A principal given an Azure Backup role at resource-group (or narrower) scope also "
    "has a role at subscription scope, which soft delete for backups needs.",
    why="Soft delete for backups is not supported when RBAC is granted only at resource-group "
    "level: subscription-level RBAC is needed, including "
    "`Microsoft.DataProtection/locations/checkFeatureSupport/action` (A19). The row does not "
    "say which operations fail, so this is information only: a principal of this unit is "
    "given Backup Contributor or Backup Operator at a resource group or a resource, and no role "
    "at subscription (or management-group) scope in this unit, while a vault of the unit keeps "
    "soft delete on. Assignments made outside the unit (another deployment, inherited ones) "
    "may well grant it, so this can be no more than a note.",
    fix="Also assign the principal a role at subscription scope (for example Backup Operator, "
    "which includes `checkFeatureSupport/action`), or confirm one is assigned elsewhere.",
    before='resource "azurerm_role_assignment" "ops" {\n'
    '  scope                = azurerm_resource_group.app.id\n'
    '  role_definition_name = "Backup Contributor"\n}',
    after='resource "azurerm_role_assignment" "ops_subscription" {\n'
    '  scope                = data.azurerm_subscription.current.id\n'
    '  role_definition_name = "Backup Operator"\n}',
)
def backup_role_resource_group_only(estate: Estate, ctx: RuleContext) -> Iterator[Observation]:
    if not _soft_delete_on(estate):
        return
    by_principal: dict[object, list[RoleAssignment]] = {}
    for assignment in estate.role_assignments:
        if assignment.principal_id is not None:
            by_principal.setdefault(_principal_key(assignment.principal_id), []).append(assignment)
    for assignments in by_principal.values():
        yield from _principal_findings(assignments, ctx)


def _principal_findings(assignments: list[RoleAssignment], ctx: RuleContext
                        ) -> Iterator[Observation]:
    levels = [a.scope_level for a in assignments]
    if any(level in _WIDE for level in levels):
        return
    unknown_level = any(isinstance(level, Unknown) for level in levels)
    for assignment in assignments:
        role = _backup_role(assignment)
        yield from review(ctx, assignment, role, f"the role of {label(assignment)}",
                          "role_definition_id")
        if not isinstance(role, str):
            continue
        yield from review(ctx, assignment, assignment.scope_level,
                          f"the scope of {label(assignment)}", "scope")
        if unknown_level or assignment.scope_level not in ("resource", "resourceGroup"):
            continue
        where = "a resource group" if assignment.scope_level == "resourceGroup" else "a resource"
        yield observe(assignment, f"role assignment {label(assignment)} gives {role} to "
                      f"principal {_shown(assignment.principal_id)} at {where} (scope = "
                      f"{_shown(assignment.scope)}), and this unit gives that principal no role at "
                      "subscription scope; soft delete for backups needs subscription-level "
                      "RBAC (including Microsoft.DataProtection/locations/checkFeatureSupport/"
                      "action), unless it is assigned outside this unit", "scope")


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [vault_in_other_region, vault_in_other_subscription, instant_restore_rg_locked,
            enhanced_to_standard, backup_role_resource_group_only]
