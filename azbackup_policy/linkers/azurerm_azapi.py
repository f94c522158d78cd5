"""``azapi_resource`` bodies of backup-related ARM types (IAC §2.3, the AVM pattern).

The AVM modules create vaults and policies as ``azapi_resource`` and protect VMs with a
``.../protectionContainers/protectedItems`` body: as an ``azapi_resource``, or (the VM
module's ``modules/backup``) as an ``azapi_update_resource`` and an ``azapi_resource_action``
with ``method = "PUT"`` that name the item by its ``resource_id``. ``values.type`` is
``<ARM type>@<api>``; ``body`` is an object (azapi v2) or a JSON string (azapi v1). The
body is shown to the ARM linker's converters as an ARM resource (same field map, same
defaults); the links (VM, policy, vault, lock scope) are found here, by references, ids
and names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any, TypeVar

from azbackup_policy.document import Resource
from azbackup_policy.linkers.azurerm_common import VM_TYPES, Index, json_value, parse_arm_id
from azbackup_policy.model import BackupPolicy, Lock, Protection, Unknown, Vault

_Converted = TypeVar("_Converted", Vault, BackupPolicy, Protection, Lock)

AZAPI_TYPES = ("azapi_resource", "azapi_update_resource", "azapi_resource_action")
_ITEM_WRITERS = AZAPI_TYPES[1:]  # write a protected item named by its resource_id
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


def _arm() -> ModuleType:
    """The ARM linker's converters, imported only when a plan has azapi resources (they
    bring the ARM parser along, which a scan of plain azurerm resources does not need)."""
    from azbackup_policy.linkers import arm_backup

    return arm_backup


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


def arm_view(resource: Resource) -> Resource:
    """The azapi resource as the ARM resource it creates (body + name/location)."""
    body = json_value(resource.properties.get("body"))  # azapi v1: jsonencode(...)
    properties: dict[str, Any] = dict(body) if isinstance(body, dict) else {}
    spans = {path[5:]: span for path, span in resource.property_spans.items()
             if path.startswith("body.")}
    for key in ("name", "location"):
        if resource.properties.get(key) is not None:
            properties[key] = resource.properties[key]
        if key in resource.property_spans:
            spans[key] = resource.property_spans[key]
    declared = resource.properties.get("type")
    arm_type = declared.split("@", 1)[0] if isinstance(declared, str) else resource.type
    return Resource(arm_type, resource.address, resource.span, properties,
                    property_spans=spans, id=resource.id, mode=resource.mode,
                    action=resource.action, api_version=api_version(resource),
                    sensitive_paths=resource.sensitive_paths)


def convert(resources: Iterable[Resource], index: Index) -> Converted:
    found = Converted()
    azapi = [r for r in resources if r.type in AZAPI_TYPES]
    for resource in azapi:
        if kind(resource) == VAULT_KINDS[1]:
            found.vaults.append(vault(resource))
    for resource in azapi:
        if kind(resource) == POLICY_KINDS[1] and _arm().is_vm_policy(arm_view(resource)):
            found.policies.append(policy(resource, index))
    for resource in _protected_items(azapi):
        found.protections.append(protection(resource, index))
    for resource in azapi:
        if kind(resource) == LOCK_KIND and resource.type == AZAPI_TYPES[0]:
            found.locks.append(lock(resource, index))
    return found


def _protected_items(azapi: list[Resource]) -> list[Resource]:
    """The resources that put a VM protected item, as ``azapi_resource``s: an update and a
    PUT action of the same item (in the same module) count once, as the update."""
    items = [_as_declared(r) for r in azapi if kind(r) == PROTECTED_KIND and _writes(r)]
    updates = {_item_key(r) for r in items if r.type == "azapi_update_resource"}
    return [r for r in items if _arm().is_vm_protected_item(arm_view(r))
            and not (r.type == "azapi_resource_action" and _item_key(r) in updates)]


def _writes(resource: Resource) -> bool:
    if resource.type != "azapi_resource_action":
        return True
    method, when = resource.properties.get("method"), resource.properties.get("when")
    return str(method).upper() == "PUT" and when != "destroy"


def _item_key(resource: Resource) -> tuple[str, str]:
    module = resource.address.rpartition(resource.type)[0]
    return module, str(resource.properties.get("resource_id"))


def _as_declared(resource: Resource) -> Resource:
    """An item named by ``resource_id`` shown with the ``parent_id`` and ``name`` it has."""
    if resource.type not in _ITEM_WRITERS:
        return resource
    item_id = resource.properties.get("resource_id")
    parent: Any = item_id
    name: Any = item_id
    if isinstance(item_id, str) and item_id.count("/") >= 2:
        parent, _, name = item_id.rstrip("/").rpartition("/")
        parent = parent.rpartition("/")[0]
    properties = {**resource.properties, "parent_id": parent, "name": name}
    references = {**resource.references, "parent_id": resource.references.get("resource_id", ())}
    return replace(resource, properties=properties, references=references)


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


def _located(resource: Resource, converted: _Converted) -> _Converted:
    """An ARM converter's result, named as the azapi resource and placed where it is."""
    extra: dict[str, Any] = {"resource_type": resource.type}
    if hasattr(converted, "action"):
        extra["action"] = resource.action
    return replace(converted, **extra)


def vault(resource: Resource) -> Vault:
    found: Vault = _arm().vault_from_arm(arm_view(resource))
    if not isinstance(resource.id, str):  # the group and subscription are in parent_id
        parent = parse_arm_id(resource.properties.get("parent_id"))
        found = replace(found, resource_group=parent.resource_group if parent else None,
                        subscription_id=parent.subscription if parent else None)
    return _located(resource, found)


def policy(resource: Resource, index: Index) -> BackupPolicy:
    parent = resource.properties.get("parent_id")
    vaults = find(index, resource, "parent_id", parent, VAULT_KINDS)
    found: BackupPolicy = _arm().policy_from_arm(arm_view(resource), vaults[0]
                                                 if len(vaults) == 1 else None)
    return _located(resource, replace(found, vault_name=_vault_name(parent)))


def _vault_name(parent_id: Any) -> Any:
    parsed = parse_arm_id(parent_id)
    if parsed is None:
        return parent_id if isinstance(parent_id, Unknown) else None
    segments = [s.lower() for s in parsed.segments]
    if "vaults" in segments and segments.index("vaults") + 1 < len(segments):
        return parsed.segments[segments.index("vaults") + 1]
    return None


def protection(resource: Resource, index: Index) -> Protection:
    view = arm_view(resource)
    body = view.properties.get("properties")
    body = body if isinstance(body, dict) else {}
    source, policy_id = body.get("sourceResourceId"), body.get("policyId")
    vms = find(index, resource, "body", source, VM_TYPES) or _vm_by_item_name(resource, index)
    policies = find(index, resource, "body", policy_id, POLICY_KINDS)
    vaults = find(index, resource, "parent_id", _vault_id(resource.properties.get("parent_id")),
                  VAULT_KINDS)
    if len(vms) != 1:
        index.report(resource, "body", "the protected VM cannot be determined"
                     if not vms else f"several VMs match: {', '.join(vms)}")
    if len(policies) != 1:
        index.report(resource, "body", "the backup policy cannot be determined")
    found: Protection = _arm().protection_from_arm(
        view, vms[0] if len(vms) == 1 else None, policies[0] if len(policies) == 1 else None,
        vaults[0] if len(vaults) == 1 else None)
    return _located(resource, found)


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
    scope = resource.properties.get("parent_id")
    targets = [a for a in resource.references.get("parent_id", ()) if a in index.by_address]
    if not targets and isinstance(scope, str):
        address = index.by_id.get(scope.lower())
        targets = [address] if address else []
    found: Lock = _arm().lock_from_arm(arm_view(resource), scope,
                                       targets[0] if len(targets) == 1 else None)
    return _located(resource, found)
