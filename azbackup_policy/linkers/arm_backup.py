"""ARM backup bodies -> model: vaults, backup policies, protected items, locks.

Pure converters over evaluated ARM bodies (reusable for ``azapi_resource`` bodies);
the links between them (which vault, which VM) are passed in by the caller.
"""

from __future__ import annotations

from typing import Any

from azbackup_policy.document import Resource
from azbackup_policy.linkers.arm_common import (
    Fields,
    as_bool,
    as_int,
    as_text,
    first_segment,
    first_set,
    hh_mm,
    last_segment,
    resource_group_of,
    subscription_of,
)
from azbackup_policy.model import BackupPolicy, Lock, Protection, Unknown, Vault

VAULT = "Microsoft.RecoveryServices/vaults"
POLICY = "Microsoft.RecoveryServices/vaults/backupPolicies"
PROTECTED_ITEM = "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/" \
    "protectedItems"
STORAGE_CONFIG = "Microsoft.RecoveryServices/vaults/backupstorageconfig"
BACKUP_CONFIG = "Microsoft.RecoveryServices/vaults/backupconfig"
ENCRYPTION_CONFIG = "Microsoft.RecoveryServices/vaults/backupEncryptionConfigs"
LOCK = "Microsoft.Authorization/locks"


def _enabled(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower() == "enabled"
    return as_bool(value)


def vault_from_arm(resource: Resource, storage_config: Resource | None = None,
                   backup_config: Resource | None = None,
                   encryption_config: Resource | None = None) -> Vault:
    """A vault; the old child resources may carry redundancy, soft delete and CMK."""
    fields = Fields(resource)
    redundancy = fields.get("redundancy",
                            "properties.redundancySettings.standardTierStorageRedundancy")
    crr = _enabled(fields.get("cross_region_restore",
                              "properties.redundancySettings.crossRegionRestore"))
    soft = fields.get("soft_delete",
                      "properties.securitySettings.softDeleteSettings.softDeleteState")
    if storage_config is not None:
        old = Fields(storage_config, "properties")
        redundancy = first_set(redundancy, old.get("redundancy", "storageModelType"),
                               old.get("redundancy", "storageType"))
        crr = crr if crr is not None else as_bool(old.get("cross_region_restore",
                                                          "crossRegionRestoreFlag"))
        fields.spans.update(old.spans)
    if backup_config is not None and soft is None:
        soft = Fields(backup_config, "properties").get(None, "softDeleteFeatureState")
    key_uri = fields.get("cmk", "properties.encryption.keyVaultProperties.keyUri")
    return Vault(
        address=resource.address, resource_type=resource.type,
        name=as_text(resource.properties.get("name")), id=resource.id,
        resource_group=resource_group_of(resource), subscription_id=subscription_of(resource),
        location=fields.get("location", "location"), sku=fields.get("sku", "sku.name"),
        redundancy=redundancy, cross_region_restore=False if crr is None else crr,
        cross_subscription_restore=fields.get(
            "cross_subscription_restore", "properties.restoreSettings."
            "crossSubscriptionRestoreSettings.crossSubscriptionRestoreState"),
        soft_delete="Enabled" if soft is None else soft,  # the service default
        immutability=fields.get("immutability",
                                "properties.securitySettings.immutabilitySettings.state"),
        cmk=key_uri is not None or encryption_config is not None,
        public_network_access=fields.get("public_network_access",
                                         "properties.publicNetworkAccess", "Enabled"),
        span=resource.span, attr_spans=fields.attr_spans(),
    )


def is_vm_policy(resource: Resource) -> bool:
    """True for policies of Azure VMs (``backupManagementType`` AzureIaasVM or unset)."""
    kind = Fields(resource).get(None, "properties.backupManagementType")
    return not isinstance(kind, str) or kind.lower() == "azureiaasvm"


def _policy_type(fields: Fields) -> tuple[Any, Any]:
    declared = fields.get("policy_type", "properties.policyType")
    schedule = fields.get("schedule_policy_type", "properties.schedulePolicy.schedulePolicyType")
    if declared is None:
        is_v2 = isinstance(schedule, str) and schedule.lower() == "simpleschedulepolicyv2"
        declared = "V2" if is_v2 else "V1"
    return declared, schedule


def _schedule(fields: Fields) -> dict[str, Any]:
    """Frequency, time, weekdays and the hourly window (V1 and V2 shapes)."""
    s = fields.at("properties.schedulePolicy")
    times = first_set(s.get("time", "scheduleRunTimes"),
                      s.get("time", "dailySchedule.scheduleRunTimes"),
                      s.get("time", "weeklySchedule.scheduleRunTimes"))
    days = first_set(s.get("weekdays", "scheduleRunDays"),
                     s.get("weekdays", "weeklySchedule.scheduleRunDays"))
    start = hh_mm(s.get("hourly_start", "hourlySchedule.scheduleWindowStartTime"))
    time = times[0] if isinstance(times, list) and times else times
    if time is None and start is not None:
        time = start
        fields.spans["time"] = fields.spans["hourly_start"]
    return {
        "frequency": s.get("frequency", "scheduleRunFrequency"),
        "time": hh_mm(time),
        "weekdays": tuple(days) if isinstance(days, list) else (() if days is None else days),
        "hourly_interval": as_int(s.get("hourly_interval", "hourlySchedule.interval")),
        "hourly_window_hours": as_int(s.get("hourly_window_hours",
                                            "hourlySchedule.scheduleWindowDuration")),
        "hourly_start": start,
    }


def _retention(fields: Fields) -> dict[str, Any]:
    r = fields.at("properties.retentionPolicy")
    return {
        f"retention_{kind}": as_int(r.get(f"retention_{kind}",
                                          f"{kind}Schedule.retentionDuration.count"))
        for kind in ("daily", "weekly", "monthly", "yearly")
    }


def policy_from_arm(resource: Resource, vault: str | None = None) -> BackupPolicy:
    """A VM backup policy; ``vault`` is the address of its vault when known."""
    fields = Fields(resource)
    policy_type, schedule_type = _policy_type(fields)
    name = resource.properties.get("name")
    return BackupPolicy(
        address=resource.address, resource_type=resource.type,
        name=as_text(last_segment(name)), id=resource.id, vault=vault,
        vault_name=as_text(first_segment(name)),
        policy_type=policy_type, schedule_policy_type=schedule_type,
        **_schedule(fields), **_retention(fields),
        instant_restore_days=as_int(fields.get("instant_restore_days",
                                               "properties.instantRpRetentionRangeInDays")),
        instant_restore_rg_prefix=fields.get(
            "instant_restore_rg_prefix", "properties.instantRPDetails.azureBackupRGNamePrefix"),
        time_zone=fields.get("time_zone", "properties.timeZone"),
        consistency_type=fields.get("consistency_type", "properties.snapshotConsistencyType"),
        tiering_mode=fields.get("tiering_mode",
                                "properties.tieringPolicy.ArchivedRP.tieringMode"),
        span=resource.span, attr_spans=fields.attr_spans(),
    )


def _luns(fields: Fields) -> tuple[Any, Any]:
    exclusion = fields.at("properties.extendedProperties.diskExclusionProperties")
    luns = exclusion.get(None, "diskLunList")
    if not isinstance(luns, (list, Unknown)):
        return None, None  # not set, or not a list (read as not set, as the azurerm linker does)
    inclusion = as_bool(exclusion.get(None, "isInclusionList", False))
    value = luns if isinstance(luns, Unknown) else tuple(as_int(x) for x in luns)
    if isinstance(inclusion, Unknown):
        return inclusion, inclusion
    field = "include_luns" if inclusion else "exclude_luns"
    fields.spans[field] = fields.resource.span_of(
        "properties.extendedProperties.diskExclusionProperties")
    return (value, None) if inclusion else (None, value)


def protection_from_arm(resource: Resource, vm: str | None, policy: str | None,
                        vault: str | None) -> Protection:
    """A VM protected item; the addresses of its VM, policy and vault are passed in."""
    fields = Fields(resource)
    include, exclude = _luns(fields)
    return Protection(
        address=resource.address, resource_type=resource.type,
        name=as_text(last_segment(resource.properties.get("name"))),
        vm=vm, vm_id=fields.get("vm", "properties.sourceResourceId"),
        policy=policy, policy_id=fields.get("policy", "properties.policyId"), vault=vault,
        include_luns=include, exclude_luns=exclude,
        protection_state=fields.get("protection_state", "properties.protectionState"),
        api_version=resource.api_version,
        span=resource.span, attr_spans=fields.attr_spans(),
    )


def is_vm_protected_item(resource: Resource) -> bool:
    kind = Fields(resource).get(None, "properties.protectedItemType")
    return not isinstance(kind, str) or kind.lower() == "microsoft.compute/virtualmachines"


def lock_from_arm(resource: Resource, scope: Any, scope_address: str | None) -> Lock:
    fields = Fields(resource)
    if fields.get("scope", "scope") is None and scope is None:
        scope = Unknown("resourceGroup().id")
    return Lock(
        address=resource.address, resource_type=resource.type,
        name=as_text(last_segment(resource.properties.get("name"))),
        scope=scope, scope_address=scope_address,
        level=fields.get("level", "properties.level"),
        span=resource.span, attr_spans=fields.attr_spans(),
    )
