"""azurerm vaults, VM backup policies, protected VMs, locks and scale sets (IAC §1.4-§1.6)."""

from __future__ import annotations

from typing import Any

from azbackup_policy.document import Resource
from azbackup_policy.linkers.azurerm_common import (
    VM_TYPES,
    Index,
    Reader,
    enabled_word,
    int_tuple,
    parse_arm_id,
    sorted_strings,
)
from azbackup_policy.model import BackupPolicy, Lock, Protection, ScaleSet, Unknown, Vault

VAULT = "azurerm_recovery_services_vault"
POLICY = "azurerm_backup_policy_vm"
PROTECTED = "azurerm_backup_protected_vm"
LOCK = "azurerm_management_lock"
SCALE_SETS = {
    "azurerm_linux_virtual_machine_scale_set": "Uniform",
    "azurerm_windows_virtual_machine_scale_set": "Uniform",
    "azurerm_virtual_machine_scale_set": "Uniform",
    "azurerm_orchestrated_virtual_machine_scale_set": "Flexible",
}


def vault(resource: Resource) -> Vault:
    reader = Reader(resource)
    # v5 removed the switch: soft delete is always on; v3/v4 default to on.
    soft = reader.get("soft_delete", "soft_delete_enabled", True)
    ident = parse_arm_id(resource.id)
    encryption = reader.block("encryption")
    reader.mark("cmk", "encryption")
    return Vault(
        address=resource.address, resource_type=resource.type, span=resource.span,
        id=resource.id, name=reader.get("name", "name"),
        resource_group=reader.get("resource_group", "resource_group_name"),
        subscription_id=ident.subscription if ident else
        resource.id if isinstance(resource.id, Unknown) else None,
        location=reader.get("location", "location"), sku=reader.get("sku", "sku"),
        redundancy=reader.get("redundancy", "storage_mode_type", "GeoRedundant"),
        cross_region_restore=reader.get("cross_region_restore",
                                        "cross_region_restore_enabled", False),
        soft_delete=enabled_word(soft),
        immutability=reader.get("immutability", "immutability"),
        cmk=encryption is not None,
        public_network_access=enabled_word(
            reader.get("public_network_access", "public_network_access_enabled", True)),
        attr_spans=reader.attr_spans(),
    )


_SCHEDULE_TYPES = {"V1": "SimpleSchedulePolicy", "V2": "SimpleSchedulePolicyV2"}


def policy(resource: Resource, index: Index) -> BackupPolicy:
    reader = Reader(resource)
    backup = reader.block("backup") or Reader(resource, "backup.0")
    frequency = backup.get("frequency", "frequency")
    time = backup.get("time", "time")
    hourly = frequency == "Hourly"  # then backup.time is the start of the window
    if hourly:
        backup.mark("hourly_start", "time")
    fields: dict[str, Any] = {
        "frequency": frequency, "time": time, "hourly_start": time if hourly else None,
        "hourly_interval": backup.get("hourly_interval", "hour_interval"),
        "hourly_window_hours": backup.get("hourly_window_hours", "hour_duration"),
        "weekdays": backup.get("weekdays", "weekdays", (), sorted_strings),
    }
    reader.spans.update(backup.spans)
    for model_field, block in (("retention_daily", "retention_daily"),
                               ("retention_weekly", "retention_weekly"),
                               ("retention_monthly", "retention_monthly"),
                               ("retention_yearly", "retention_yearly")):
        inner = reader.block(block)
        fields[model_field] = inner.get(model_field, "count") if inner else None
        reader.spans.update(inner.spans if inner else {})
    prefix = reader.block("instant_restore_resource_group")
    tier = reader.block("tiering_policy")
    archived = tier.block("archived_restore_point") if tier else None
    policy_type = reader.get("policy_type", "policy_type", "V1")
    return BackupPolicy(
        address=resource.address, resource_type=resource.type, span=resource.span,
        id=resource.id, name=reader.get("name", "name"),
        vault=index.one(resource, "recovery_vault_name", (VAULT,), "vault", required=False)
        or _vault_by_name(resource, index),
        vault_name=reader.get("vault_name", "recovery_vault_name"),
        policy_type=policy_type,
        # The provider sends the schedule type that matches the policy type.
        schedule_policy_type=_SCHEDULE_TYPES.get(policy_type)
        if isinstance(policy_type, str) else policy_type,
        instant_restore_days=reader.get("instant_restore_days", "instant_restore_retention_days"),
        instant_restore_rg_prefix=prefix.get("instant_restore_rg_prefix", "prefix")
        if prefix else None,
        time_zone=reader.get("time_zone", "timezone", "UTC"),
        consistency_type=reader.get("consistency_type", "consistency_type"),
        tiering_mode=archived.get("tiering_mode", "mode") if archived else None,
        client_validation="azurerm",  # the provider validates hour_interval/hour_duration
        **fields, attr_spans=reader.attr_spans(),
    )


def _vault_by_name(resource: Resource, index: Index) -> str | None:
    name = resource.properties.get("recovery_vault_name")
    if not isinstance(name, str):
        return None
    found = index.by_name(name, resource.properties.get("resource_group_name"), (VAULT,))
    if len(found) != 1:
        index.report(resource, "recovery_vault_name",
                     f"vault {name!r} of recovery_vault_name is not in this plan")
        return None
    return found[0]


def protection(resource: Resource, index: Index, policies: dict[str, BackupPolicy]) -> Protection:
    reader = Reader(resource)
    vm = index.one(resource, "source_vm_id", VM_TYPES, "VM")
    if vm is None and not isinstance(resource.properties.get("source_vm_id"), str) and \
            not resource.references.get("source_vm_id"):
        index.report(resource, "source_vm_id", "the protected VM cannot be determined")
    policy_address = index.one(resource, "backup_policy_id", (POLICY,), "backup policy")
    vault_address = index.one(resource, "recovery_vault_name", (VAULT,), "vault",
                              required=False) or _vault_by_name(resource, index)
    previous, previous_type = _previous_policy(resource, index, policies, policy_address)
    return Protection(
        address=resource.address, resource_type=resource.type, span=resource.span,
        vm=vm, vm_id=reader.get("vm", "source_vm_id"),
        policy=policy_address, policy_id=reader.get("policy", "backup_policy_id"),
        vault=vault_address,
        include_luns=reader.get("include_luns", "include_disk_luns", None, int_tuple),
        exclude_luns=reader.get("exclude_luns", "exclude_disk_luns", None, int_tuple),
        protection_state=reader.get("protection_state", "protection_state"),
        previous_policy=previous, previous_policy_type=previous_type,
        action=resource.action, attr_spans=reader.attr_spans(),
    )


def _previous_policy(resource: Resource, index: Index, policies: dict[str, BackupPolicy],
                     current: str | None) -> tuple[str | None, Any]:
    """The policy before this change, when the change switches policy."""
    before = resource.before or {}
    old_id = before.get("backup_policy_id")
    if not isinstance(old_id, str) or resource.action not in ("update", "replace"):
        return None, None
    new_id = resource.properties.get("backup_policy_id")
    if isinstance(new_id, str) and new_id.lower() == old_id.lower():
        return None, None
    found = index.by_value(old_id, (POLICY,))
    if len(found) != 1:
        return None, Unknown(f"policy {old_id}")
    if found[0] == current:
        return None, None
    old = policies.get(found[0])
    return found[0], old.policy_type if old is not None else None


def lock(resource: Resource, index: Index) -> Lock:
    reader = Reader(resource)
    scope = reader.get("scope", "scope")
    targets = [a for a in resource.references.get("scope", ()) if a in index.by_address]
    if not targets and isinstance(scope, str):
        address = index.by_id.get(scope.lower())
        targets = [address] if address else []
    return Lock(
        address=resource.address, resource_type=resource.type, span=resource.span,
        name=reader.get("name", "name"), scope=scope,
        scope_address=targets[0] if len(targets) == 1 else None,
        level=reader.get("level", "lock_level"), attr_spans=reader.attr_spans(),
    )


def scale_set(resource: Resource) -> ScaleSet:
    reader = Reader(resource)
    if resource.type == "azurerm_orchestrated_virtual_machine_scale_set":
        size = reader.get("size", "sku_name")
    elif resource.type == "azurerm_virtual_machine_scale_set":
        size = reader.get("size", "sku.0.name")
    else:
        size = reader.get("size", "sku")
    return ScaleSet(
        address=resource.address, resource_type=resource.type, span=resource.span,
        id=resource.id, name=reader.get("name", "name"),
        location=reader.get("location", "location"),
        orchestration_mode=SCALE_SETS[resource.type], size=size,
        tags=reader.get("tags", "tags", {}),
        attr_spans=reader.attr_spans(),
    )
