"""The ARM linker: a Document of ARM resources (from ARM JSON or Bicep) -> Estate.

Links come from ids: an evaluated id (a string or an ``UnknownId``) names a resource
of the same document by type and name segments, case-insensitively. Resources inside
nested deployments are in the same Document and link with the outer ones.
Per-type converters live in :mod:`.arm_compute` and :mod:`.arm_backup`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from azbackup_policy.arm_values import id_key, name_key, split_name
from azbackup_policy.document import Document, Resource
from azbackup_policy.linkers.arm_backup import (
    BACKUP_CONFIG,
    ENCRYPTION_CONFIG,
    LOCK,
    POLICY,
    PROTECTED_ITEM,
    STORAGE_CONFIG,
    VAULT,
    is_vm_policy,
    is_vm_protected_item,
    lock_from_arm,
    policy_from_arm,
    protection_from_arm,
    vault_from_arm,
)
from azbackup_policy.linkers.arm_common import (
    MISSING,
    Fields,
    ResourceIndex,
    as_bool,
    as_text,
    dig,
    first_segment,
    resource_group_of,
    same_name,
    text_tail,
)
from azbackup_policy.linkers.arm_compute import (
    CLASSIC_VM,
    DISK,
    EXTENSION,
    VM,
    VMSS,
    classic_vm_from_arm,
    disk_from_inline,
    extension_from_arm,
    image_from_arm,
    marketplace_plan,
    nics_of,
    os_type_of,
    scale_set_from_arm,
)
from azbackup_policy.linkers.arm_storage import accounts
from azbackup_policy.linkers.traffic_manager import with_endpoints
from azbackup_policy.model import (
    Disk,
    Estate,
    Protection,
    Unknown,
    Unresolved,
    VirtualMachine,
)

DIAGNOSTICS = "Microsoft.Insights/diagnosticSettings"


def link(document: Document) -> Estate:
    """The Estate of one ARM/Bicep document."""
    index = ResourceIndex(document.resources)
    unresolved: list[Unresolved] = []
    vaults = {r.address: _vault(r, index) for r in index.of_type(VAULT)}
    policies = [policy_from_arm(r, _parent_address(r, index)) for r in index.of_type(POLICY)
                if is_vm_policy(r)]
    scale_sets = [scale_set_from_arm(r) for r in index.of_type(VMSS)]
    vms = [_with_gallery_image(vm_from_arm(r, index), r, index) for r in index.of_type(VM)]
    vms += [classic_vm_from_arm(r) for r in index.of_type(CLASSIC_VM)]
    vms = with_endpoints([_with_scale_set(vm, scale_sets) for vm in vms], _tm_endpoints(index))
    vms_by_name: dict[object, list[str]] = {}
    for vm in vms:
        vms_by_name.setdefault(name_key(vm.name), []).append(vm.address)
    protections = [_protection(r, index, vms_by_name, unresolved)
                   for r in index.of_type(PROTECTED_ITEM) if is_vm_protected_item(r)]
    locks = [_lock(r, index) for r in index.resources if _is_lock(r)]
    return Estate(vms=tuple(vms), vaults=tuple(vaults.values()), policies=tuple(policies),
                  protections=tuple(protections), locks=tuple(locks),
                  scale_sets=tuple(scale_sets), storage_accounts=tuple(accounts(index)),
                  unresolved=tuple(unresolved))


GALLERY_IMAGE = "Microsoft.Compute/galleries/images"
GALLERY_VERSION = "Microsoft.Compute/galleries/images/versions"


def _with_gallery_image(vm: VirtualMachine, resource: Resource,
                        index: ResourceIndex) -> VirtualMachine:
    """A VM made from a declared gallery image (C5): the definition's identifier
    (publisher/offer/sku) and osType stand for a marketplace image, for the OS rules."""
    if vm.image is None or vm.image.publisher is not None:
        return vm
    path = "properties.storageProfile.imageReference.id"
    target = index.referenced(resource, path, GALLERY_IMAGE, GALLERY_VERSION) or index.by_id(
        vm.image.id)
    if target is not None and target.type.lower() == GALLERY_VERSION.lower():
        target = index.parent(target)
    if target is None or target.type.lower() != GALLERY_IMAGE.lower():
        return vm
    ident = dig(target.properties, "properties.identifier")
    if not isinstance(ident, dict):
        return vm
    image = replace(vm.image, publisher=ident.get("publisher"), offer=ident.get("offer"),
                    sku=ident.get("sku"))
    os_type = dig(target.properties, "properties.osType")
    return replace(vm, image=image, os_type=os_type if isinstance(os_type, str) else vm.os_type)


TM_PROFILE = "Microsoft.Network/trafficManagerProfiles"
TM_ENDPOINT = "Microsoft.Network/trafficManagerProfiles/azureEndpoints"


def _tm_endpoints(index: ResourceIndex) -> list[tuple[str, object]]:
    """(name, targetResourceId) of Azure endpoints: inline in a profile, or child resources."""
    found: list[tuple[str, object]] = []
    for profile in index.of_type(TM_PROFILE):
        endpoints = dig(profile.properties, "properties.endpoints")
        for endpoint in endpoints if isinstance(endpoints, list) else ():
            if isinstance(endpoint, dict):
                found.append((str(endpoint.get("name")),
                              dig(endpoint, "properties.targetResourceId")))
    for endpoint in index.of_type(TM_ENDPOINT):
        found.append((str(endpoint.properties.get("name")),
                      dig(endpoint.properties, "properties.targetResourceId")))
    return [(name, None if target is MISSING else target) for name, target in found]


def _vault(resource: Resource, index: ResourceIndex) -> Any:
    def child(kind: str) -> Resource | None:
        found = index.children(resource, kind)
        return found[0] if found else None
    return vault_from_arm(resource, child(STORAGE_CONFIG), child(BACKUP_CONFIG),
                          child(ENCRYPTION_CONFIG))


def _parent_address(resource: Resource, index: ResourceIndex) -> str | None:
    parent = index.parent(resource)
    return parent.address if parent is not None else None


def _os_disk(fields: Fields, index: ResourceIndex) -> Disk | None:
    resource = fields.resource
    base = "properties.storageProfile.osDisk"
    if fields.get(None, base) is None:
        return None
    attached = index.referenced(resource, f"{base}.managedDisk.id", DISK)
    return disk_from_inline(fields.at(base, "os_disk."), "os", attached)


def _data_disks(fields: Fields, index: ResourceIndex) -> tuple[Disk, ...]:
    resource = fields.resource
    base = "properties.storageProfile.dataDisks"
    entries = fields.get(None, base, [])
    disks = []
    for i in range(len(entries) if isinstance(entries, list) else 0):
        attached = index.referenced(resource, f"{base}.{i}.managedDisk.id", DISK)
        disks.append(disk_from_inline(fields.at(f"{base}.{i}", f"data_disks.{i}."), "data",
                                      attached))
    return tuple(disks)


def _security(fields: Fields) -> dict[str, Any]:
    s = fields.at("properties.securityProfile")
    security_type = s.get("security_type", "securityType", "Standard")
    return {
        "security_type": "Standard" if security_type == "" else security_type,
        "secure_boot": as_bool(s.get("secure_boot", "uefiSettings.secureBootEnabled", False)),
        "vtpm": as_bool(s.get("vtpm", "uefiSettings.vTpmEnabled", False)),
        "encryption_at_host": as_bool(s.get("encryption_at_host", "encryptionAtHost", False)),
    }


def _agent(fields: Fields) -> Any:
    o = fields.at("properties.osProfile")
    linux = o.get("vm_agent", "linuxConfiguration.provisionVMAgent")
    windows = o.get("vm_agent", "windowsConfiguration.provisionVMAgent")
    chosen = windows if windows is not None else linux
    return True if chosen is None else as_bool(chosen)


def _zone(fields: Fields) -> Any:
    zones = fields.get("zone", "zones")
    if isinstance(zones, list):
        return as_text(zones[0]) if len(zones) == 1 else None
    return zones


def vm_from_arm(resource: Resource, index: ResourceIndex) -> VirtualMachine:
    """A VM with its disks, NICs and extensions found in ``index``."""
    fields = Fields(resource)
    image = image_from_arm(fields)
    identity = fields.get("identity", "identity.type")
    return VirtualMachine(
        address=resource.address, resource_type=resource.type,
        name=as_text(resource.properties.get("name")), id=resource.id,
        resource_group=resource_group_of(resource), location=fields.get("location", "location"),
        os_type=os_type_of(fields, image), image=image,
        size=fields.get("size", "properties.hardwareProfile.vmSize"), zone=_zone(fields),
        availability_set_id=fields.get("availability_set_id", "properties.availabilitySet.id"),
        scale_set_id=fields.get("scale_set_id", "properties.virtualMachineScaleSet.id"),
        dedicated_host_id=fields.get("dedicated_host_id", "properties.host.id"),
        dedicated_host_group_id=fields.get("dedicated_host_group_id",
                                           "properties.hostGroup.id"),
        priority=fields.get("priority", "properties.priority", "Regular"), **_security(fields),
        ultra_ssd_enabled=as_bool(fields.get(
            "ultra_ssd_enabled", "properties.additionalCapabilities.ultraSSDEnabled", False)),
        vm_agent=_agent(fields),
        extension_operations=as_bool(fields.get(
            "extension_operations", "properties.osProfile.allowExtensionOperations", True)),
        os_disk=_os_disk(fields, index), data_disks=_data_disks(fields, index),
        nics=nics_of(resource, index), extensions=_extensions(resource, index),
        identity=identity, plan=marketplace_plan(fields),
        extended_location=fields.get("extended_location", "extendedLocation.name"),
        license_type=fields.get("license_type", "properties.licenseType"),
        has_diagnostic_settings=_has_diagnostics(resource, index),
        tags=fields.get("tags", "tags", {}),
        custom_data=fields.get("custom_data", "properties.osProfile.customData"),
        condition=resource.condition, span=resource.span, attr_spans=fields.attr_spans(),
    )


def _extensions(vm: Resource, index: ResourceIndex) -> tuple[Any, ...]:
    return tuple(extension_from_arm(r) for r in index.children(vm, EXTENSION))


def _with_scale_set(vm: VirtualMachine, scale_sets: list[Any]) -> VirtualMachine:
    target = vm.scale_set_id
    for scale_set in scale_sets:
        if target is not None and _same_id(target, scale_set.id):
            return replace(vm, scale_set_orchestration=scale_set.orchestration_mode)
    return vm


def _same_id(left: Any, right: Any) -> bool:
    key = id_key(left)
    return key is not None and key == id_key(right)


def _has_diagnostics(vm: Resource, index: ResourceIndex) -> bool:
    scopes, vm_names = index.memo("diagnostics", _diagnostic_targets)
    return vm.address in scopes or name_key(vm.properties.get("name")) in vm_names


def _diagnostic_targets(index: ResourceIndex) -> tuple[set[str], set[object]]:
    """Addresses in ``scope`` of diagnostic settings; name keys of VM-nested settings."""
    scopes: set[str] = set()
    vm_names: set[object] = set()
    for setting in index.resources:
        kind = setting.type.lower()
        if kind == DIAGNOSTICS.lower():
            scopes.update(setting.references.get("scope", ()))
        elif kind == f"{VM}/providers/diagnosticSettings".lower():
            vm_names.add(name_key(first_segment(setting.properties.get("name"))))
    return scopes, vm_names


def _protection(resource: Resource, index: ResourceIndex, vms: dict[object, list[str]],
                unresolved: list[Unresolved]) -> Protection:
    vm = index.referenced(resource, "properties.sourceResourceId", VM)
    vm_address = vm.address if vm is not None else _vm_by_item_name(resource, vms)
    policy = index.referenced(resource, "properties.policyId", POLICY)
    vault = _vault_of_item(resource, index, policy)
    if vm_address is None:
        unresolved.append(Unresolved(resource.address,
                                     "protected item names no VM declared in this template",
                                     resource.span))
    return protection_from_arm(resource, vm_address, policy.address if policy else None,
                               vault)


def _vm_by_item_name(resource: Resource, vms: dict[object, list[str]]) -> str | None:
    """The VM named by ``iaasvmcontainerv2;{rg};{vm}`` in the protected item's name."""
    segments = split_name(resource.properties.get("name"))
    if len(segments) < 4:
        return None
    vm_name = text_tail(segments[-1], ";")
    if isinstance(vm_name, Unknown) and not isinstance(segments[-1], Unknown):
        vm_name = text_tail(segments[-2], ";")
    matches = vms.get(name_key(vm_name), [])  # VM addresses by name key
    return matches[0] if len(matches) == 1 else None


def _vault_of_item(resource: Resource, index: ResourceIndex, policy: Resource | None
                   ) -> str | None:
    first = first_segment(resource.properties.get("name"))
    found = [r for r in index.of_type(VAULT) if same_name(r.properties.get("name"), first)]
    if len(found) == 1:
        return found[0].address
    if policy is not None:
        return _parent_address(policy, index)
    return None


def _is_lock(resource: Resource) -> bool:
    kind = resource.type.lower()
    return kind == LOCK.lower() or kind.endswith("/providers/locks")


def _lock(resource: Resource, index: ResourceIndex) -> Any:
    if resource.type.lower() == LOCK.lower():
        scope = resource.properties.get("scope")
        targets = resource.references.get("scope", ())
        return lock_from_arm(resource, scope, targets[0] if targets else None)
    parent_type = resource.type[: resource.type.lower().rfind("/providers/locks")]
    depth = parent_type.count("/")
    names = split_name(resource.properties.get("name"))[:depth]
    found = index.named(names, parent_type)
    target = found[0] if found else None
    return lock_from_arm(resource, target.id if target else Unknown(parent_type),
                         target.address if target else None)
