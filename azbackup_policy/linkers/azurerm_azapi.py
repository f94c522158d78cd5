"""``azapi_resource`` bodies of backup-related ARM types (IAC §2.3, the AVM pattern).

The AVM modules create vaults and policies as ``azapi_resource`` and protect VMs with a
``.../protectionContainers/protectedItems`` body. ``values.type`` is ``<ARM type>@<api>``;
``body`` is an object (azapi v2) or a JSON string (azapi v1). Only the fields the model
needs are read, from the same ARM paths as the ARM linker uses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from azbackup_policy.document import Resource
from azbackup_policy.linkers.azurerm_common import (
    VM_TYPES,
    Index,
    Reader,
    parse_arm_id,
    sorted_strings,
)
from azbackup_policy.model import (
    AttrSpans,
    BackupPolicy,
    Lock,
    Protection,
    SourceSpan,
    Unknown,
    Vault,
)

AZAPI_TYPES = ("azapi_resource",)
VAULT_KINDS = ("azurerm_recovery_services_vault", "microsoft.recoveryservices/vaults")
POLICY_KINDS = ("azurerm_backup_policy_vm", "microsoft.recoveryservices/vaults/backuppolicies")
PROTECTED_KIND = ("microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/"
                  "protecteditems")
LOCK_KIND = "microsoft.authorization/locks"


@dataclass(slots=True)
class Converted:
    vaults: list[Vault] = field(default_factory=list)
    policies: list[BackupPolicy] = field(default_factory=list)
    protections: list[Protection] = field(default_factory=list)
    locks: list[Lock] = field(default_factory=list)


def kind(resource: Resource) -> str:
    """The azurerm type, or for azapi resources the lower-cased ARM type without version."""
    if resource.type not in AZAPI_TYPES:
        return resource.type
    declared = resource.properties.get("type")
    return declared.split("@", 1)[0].lower() if isinstance(declared, str) else ""


def api_version(resource: Resource) -> str | None:
    declared = resource.properties.get("type")
    if isinstance(declared, str) and "@" in declared:
        return declared.split("@", 1)[1]
    return None


def _body_reader(resource: Resource) -> Reader:
    body = resource.properties.get("body")
    if isinstance(body, str):  # azapi v1: jsonencode(...)
        try:
            decoded = json.loads(body)
        except ValueError:
            decoded = {}
        return Reader(resource, "body", {"body": decoded})
    return Reader(resource, "body")


def convert(resources: Iterable[Resource], index: Index) -> Converted:
    found = Converted()
    azapi = [r for r in resources if r.type in AZAPI_TYPES]
    for resource in azapi:
        if kind(resource) == VAULT_KINDS[1]:
            found.vaults.append(vault(resource))
    for resource in azapi:
        if kind(resource) == POLICY_KINDS[1]:
            found.policies.append(policy(resource, index))
    for resource in azapi:
        if kind(resource) == PROTECTED_KIND:
            found.protections.append(protection(resource, index))
        elif kind(resource) == LOCK_KIND:
            found.locks.append(lock(resource, index))
    return found


def find(index: Index, resource: Resource, ref_path: str, value: Any,
         kinds: Iterable[str]) -> list[str]:
    """Targets of ``kinds``: by references at ``ref_path``, else by id, else by name."""
    wanted = tuple(kinds)
    refs = [a for a in resource.references.get(ref_path, ())
            if a in index.by_address and kind(index.by_address[a]) in wanted]
    if refs or not isinstance(value, str):
        return list(dict.fromkeys(refs))
    address = index.by_id.get(value.lower())
    if address is not None and kind(index.by_address[address]) in wanted:
        return [address]
    parsed = parse_arm_id(value)
    if parsed is None or parsed.name is None:
        return []
    return [r.address for r in index.document.resources
            if kind(r) in wanted and _name(r).lower() == parsed.name.lower()]


def _name(resource: Resource) -> str:
    name = resource.properties.get("name")
    return name if isinstance(name, str) else ""


def _subscription(resource: Resource) -> Any:
    parsed = parse_arm_id(resource.id)
    if parsed is not None:
        return parsed.subscription
    return resource.id if isinstance(resource.id, Unknown) else None


def _resource_group(parent_id: Any) -> Any:
    parsed = parse_arm_id(parent_id)
    return parsed.resource_group if parsed else parent_id if isinstance(parent_id, Unknown) \
        else None


def vault(resource: Resource) -> Vault:
    body = _body_reader(resource)
    top = Reader(resource)
    settings = "properties.securitySettings"
    crr = body.get("cross_region_restore",
                   "properties.redundancySettings.crossRegionRestore", False)
    return Vault(
        address=resource.address, resource_type=resource.type, span=resource.span,
        id=resource.id, name=top.get("name", "name"),
        resource_group=_resource_group(resource.properties.get("parent_id")),
        subscription_id=_subscription(resource),
        location=top.get("location", "location"), sku=body.get("sku", "sku.name"),
        redundancy=body.get("redundancy",
                            "properties.redundancySettings.standardTierStorageRedundancy"),
        cross_region_restore=crr if isinstance(crr, (bool, Unknown)) else crr == "Enabled",
        soft_delete=body.get("soft_delete", f"{settings}.softDeleteSettings.softDeleteState"),
        immutability=body.get("immutability", f"{settings}.immutabilitySettings.state"),
        cmk=body.raw("properties.encryption") is not None,
        public_network_access=body.get("public_network_access",
                                       "properties.publicNetworkAccess"),
        attr_spans=merged_spans(top, body),
    )


def merged_spans(*readers: Reader) -> AttrSpans:
    spans: dict[str, SourceSpan] = {}
    for reader in readers:
        spans.update(reader.spans)
    return AttrSpans(spans)


def _hhmm(value: Any) -> Any:
    """``2021-12-17T08:00:00Z`` -> ``08:00``."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str) and "T" in value:
        return value.split("T", 1)[1][:5]
    return value


def policy(resource: Resource, index: Index) -> BackupPolicy:
    body = _body_reader(resource)
    top = Reader(resource)
    schedule = "properties.schedulePolicy"
    retention = "properties.retentionPolicy"
    sched_type = body.get("schedule_policy_type", f"{schedule}.schedulePolicyType")
    policy_type = body.get("policy_type", "properties.policyType")
    if policy_type is None:
        policy_type = "V2" if sched_type == "SimpleSchedulePolicyV2" else "V1"
    frequency = body.get("frequency", f"{schedule}.scheduleRunFrequency")
    hourly = f"{schedule}.hourlySchedule"
    time_path = (f"{schedule}.dailySchedule.scheduleRunTimes" if body.raw(
        f"{schedule}.dailySchedule") is not None else f"{schedule}.scheduleRunTimes")
    vaults = find(index, resource, "parent_id", resource.properties.get("parent_id"),
                  VAULT_KINDS)
    return BackupPolicy(
        address=resource.address, resource_type=resource.type, span=resource.span,
        id=resource.id, name=top.get("name", "name"),
        vault=vaults[0] if len(vaults) == 1 else None,
        vault_name=_vault_name(resource.properties.get("parent_id")),
        policy_type=policy_type, schedule_policy_type=sched_type, frequency=frequency,
        time=None if frequency == "Hourly" else body.get("time", time_path, None, _hhmm),
        hourly_interval=body.get("hourly_interval", f"{hourly}.interval"),
        hourly_window_hours=body.get("hourly_window_hours", f"{hourly}.scheduleWindowDuration"),
        hourly_start=body.get("hourly_start", f"{hourly}.scheduleWindowStartTime", None, _hhmm),
        weekdays=body.get("weekdays", f"{schedule}.scheduleRunDays", (), sorted_strings),
        retention_daily=body.get("retention_daily",
                                 f"{retention}.dailySchedule.retentionDuration.count"),
        retention_weekly=body.get("retention_weekly",
                                  f"{retention}.weeklySchedule.retentionDuration.count"),
        retention_monthly=body.get("retention_monthly",
                                   f"{retention}.monthlySchedule.retentionDuration.count"),
        retention_yearly=body.get("retention_yearly",
                                  f"{retention}.yearlySchedule.retentionDuration.count"),
        instant_restore_days=body.get("instant_restore_days",
                                      "properties.instantRpRetentionRangeInDays"),
        instant_restore_rg_prefix=body.get(
            "instant_restore_rg_prefix", "properties.instantRPDetails.azureBackupRGNamePrefix"),
        time_zone=body.get("time_zone", "properties.timeZone"),
        consistency_type=body.get("consistency_type", "properties.snapshotConsistencyType"),
        tiering_mode=body.get("tiering_mode", "properties.tieringPolicy.ArchivedRP.tieringMode"),
        attr_spans=merged_spans(top, body),
    )


def _vault_name(parent_id: Any) -> Any:
    parsed = parse_arm_id(parent_id)
    if parsed is None:
        return parent_id if isinstance(parent_id, Unknown) else None
    segments = [s.lower() for s in parsed.segments]
    if "vaults" in segments and segments.index("vaults") + 1 < len(segments):
        return parsed.segments[segments.index("vaults") + 1]
    return None


def protection(resource: Resource, index: Index) -> Protection:
    body = _body_reader(resource)
    props = "properties"
    source = body.get("vm", f"{props}.sourceResourceId")
    policy_id = body.get("policy", f"{props}.policyId")
    vms = find(index, resource, "body", source, VM_TYPES) or _vm_by_item_name(resource, index)
    policies = find(index, resource, "body", policy_id, POLICY_KINDS)
    parent = resource.properties.get("parent_id")
    vaults = find(index, resource, "parent_id", _vault_id(parent), VAULT_KINDS)
    if len(vms) != 1:
        index.report(resource, "body", "the protected VM cannot be determined"
                     if not vms else f"several VMs match: {', '.join(vms)}")
    if len(policies) != 1:
        index.report(resource, "body", "the backup policy cannot be determined")
    exclusion = f"{props}.extendedProperties.diskExclusionProperties"
    luns = body.get("luns", f"{exclusion}.diskLunList", None, _luns)
    inclusion = body.raw(f"{exclusion}.isInclusionList")
    return Protection(
        address=resource.address, resource_type=resource.type, span=resource.span,
        name=_name(resource) or None, vm=vms[0] if len(vms) == 1 else None, vm_id=source,
        policy=policies[0] if len(policies) == 1 else None, policy_id=policy_id,
        vault=vaults[0] if len(vaults) == 1 else None,
        include_luns=luns if inclusion is True else None,
        exclude_luns=luns if inclusion is False else None,
        protection_state=body.get("protection_state", f"{props}.protectionState"),
        api_version=api_version(resource), action=resource.action,
        attr_spans=merged_spans(body),
    )


def _luns(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(sorted(v for v in value if isinstance(v, int)))
    return value


def _vault_id(parent_id: Any) -> Any:
    if isinstance(parent_id, str) and "/backupfabrics/" in parent_id.lower():
        return parent_id[: parent_id.lower().index("/backupfabrics/")]
    return parent_id


def _vm_by_item_name(resource: Resource, index: Index) -> list[str]:
    """Fallback: ``VM;iaasvmcontainerv2;{rg};{vm}`` names the VM and its resource group."""
    parts = _name(resource).split(";")
    if len(parts) < 4:
        return []
    return index.by_name(parts[-1], parts[-2], VM_TYPES)


def lock(resource: Resource, index: Index) -> Lock:
    body = _body_reader(resource)
    top = Reader(resource)
    scope = top.get("scope", "parent_id")
    targets = [a for a in resource.references.get("parent_id", ()) if a in index.by_address]
    if not targets and isinstance(scope, str):
        address = index.by_id.get(scope.lower())
        targets = [address] if address else []
    return Lock(
        address=resource.address, resource_type=resource.type, span=resource.span,
        name=top.get("name", "name"), scope=scope,
        scope_address=targets[0] if len(targets) == 1 else None,
        level=body.get("level", "properties.level"), attr_spans=merged_spans(top, body),
    )

