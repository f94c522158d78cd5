"""The azurerm linker: a Document of azurerm (and azapi) resources -> an Estate.

Links go by the parser's ``references`` first, then by known ARM ids (case-insensitive),
then by ``(resource group, name)`` taken from an id; whatever cannot be tied together
is listed in ``Estate.unresolved`` and never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from azbackup_policy.document import Document, Resource
from azbackup_policy.linkers import (
    azurerm_authz,
    azurerm_azapi,
    azurerm_backup,
    azurerm_storage,
    azurerm_vm,
)
from azbackup_policy.linkers.azurerm_common import VM_TYPES, Index
from azbackup_policy.linkers.traffic_manager import with_endpoints
from azbackup_policy.model import (
    Disk,
    Estate,
    Extension,
    NetworkInterface,
    Unknown,
    VirtualMachine,
)

NIC = "azurerm_network_interface"
DISK = "azurerm_managed_disk"
ATTACHMENT = "azurerm_virtual_machine_data_disk_attachment"
EXTENSION = "azurerm_virtual_machine_extension"
DIAGNOSTICS = "azurerm_monitor_diagnostic_setting"

TM_ENDPOINT = "azurerm_traffic_manager_azure_endpoint"


def link(document: Document) -> Estate:
    """The Estate of a Terraform plan or HCL Document (vocabulary ``azurerm``)."""
    index = Index(document)
    managed = [r for r in document.resources if r.mode == "managed"]
    parts = _vm_parts(managed, index)
    vms = tuple(with_endpoints(
        (_with_gallery_image(azurerm_vm.virtual_machine(r, parts.get(r.address,
                                                                     azurerm_vm.VmParts())),
                             r, index)
         for r in managed if r.type in VM_TYPES),
        ((_name_or_address(r), r.properties.get("target_resource_id"))
         for r in managed if r.type == TM_ENDPOINT)))
    vaults = [azurerm_backup.vault(r) for r in managed if r.type == azurerm_backup.VAULT]
    policies = {r.address: azurerm_backup.policy(r, index)
                for r in managed if r.type == azurerm_backup.POLICY}
    protections = [azurerm_backup.protection(r, index, policies)
                   for r in managed if r.type == azurerm_backup.PROTECTED]
    locks = [azurerm_backup.lock(r, index) for r in managed if r.type == azurerm_backup.LOCK]
    azapi = azurerm_azapi.convert(managed, index)
    all_policies = list(policies.values()) + list(azapi.policies)
    return Estate(
        vms=vms, vaults=tuple(vaults + list(azapi.vaults)),
        policies=tuple(all_policies),
        protections=tuple(protections + list(azapi.protections)),
        locks=tuple(locks + list(azapi.locks)),
        scale_sets=tuple(azurerm_backup.scale_set(r) for r in managed
                         if r.type in azurerm_backup.SCALE_SETS),
        storage_accounts=tuple(azurerm_storage.accounts(managed, index)),
        role_assignments=tuple(azurerm_authz.role_assignment(r, index) for r in managed
                               if r.type == azurerm_authz.ROLE_ASSIGNMENT),
        policy_assignments=tuple(azurerm_authz.policy_assignment(r) for r in managed
                                 if r.type in azurerm_authz.POLICY_ASSIGNMENTS),
        unresolved=tuple(index.unresolved),
    )


def _name_or_address(resource: Resource) -> str:
    name = resource.properties.get("name")
    return name if isinstance(name, str) and name else resource.address


GALLERY_IMAGE = "azurerm_shared_image"
GALLERY_VERSION = "azurerm_shared_image_version"


def _with_gallery_image(vm: VirtualMachine, resource: Resource, index: Index) -> VirtualMachine:
    """A VM made from a declared gallery image (C5): the image definition's identifier
    (publisher/offer/sku) stands for the marketplace image, so the OS rules can check it."""
    if vm.image is None or vm.image.publisher is not None:
        return vm
    path = "storage_image_reference.0.id" if resource.type == "azurerm_virtual_machine" \
        else "source_image_id"
    found = index.targets(resource, path, (GALLERY_IMAGE,))
    for version in index.targets(resource, path, (GALLERY_VERSION,)):
        found += index.targets(index.by_address[version], "image_name", (GALLERY_IMAGE,))
    if len(found) != 1:
        return vm
    definition = index.by_address[found[0]].properties
    ident = definition.get("identifier")
    ident = ident[0] if isinstance(ident, list) and ident else ident
    if not isinstance(ident, dict):
        return vm
    image = replace(vm.image, publisher=ident.get("publisher"), offer=ident.get("offer"),
                    sku=ident.get("sku"))
    os_type = definition.get("os_type")
    return replace(vm, image=image, os_type=os_type if isinstance(os_type, str) else vm.os_type)


def _vm_parts(resources: list[Resource], index: Index) -> dict[str, azurerm_vm.VmParts]:
    parts: dict[str, azurerm_vm.VmParts] = {}

    def of(address: str) -> azurerm_vm.VmParts:
        return parts.setdefault(address, azurerm_vm.VmParts())

    nics = {r.address: azurerm_vm.network_interface(r) for r in resources if r.type == NIC}
    disks = {r.address: azurerm_vm.managed_disk(r) for r in resources if r.type == DISK}
    for vm in (r for r in resources if r.type in VM_TYPES):
        of(vm.address).nics = _nics_of(vm, index, nics)
        of(vm.address).scale_set_mode = _scale_set_mode(vm, index)
    for item in (r for r in resources if r.type == ATTACHMENT):
        _attach(item, index, disks, of)
    extensions: dict[str, list[Extension]] = {}
    for item in (r for r in resources if r.type == EXTENSION):
        target = index.one(item, "virtual_machine_id", VM_TYPES, "VM")
        if target is not None:
            extensions.setdefault(target, []).append(azurerm_vm.extension(item))
    for address, found in extensions.items():
        of(address).extensions = tuple(found)
    for item in (r for r in resources if r.type == DIAGNOSTICS):
        for target in index.targets(item, "target_resource_id", VM_TYPES):
            of(target).diagnostics = True
    return parts


def _nics_of(vm: Resource, index: Index, nics: dict[str, NetworkInterface]
             ) -> tuple[NetworkInterface, ...]:
    ids = vm.properties.get("network_interface_ids")
    targets = index.targets(vm, "network_interface_ids", (NIC,))
    found = [nics[a] for a in targets if a in nics]
    expected = len(ids) if isinstance(ids, list) else 0
    if len(found) < expected:
        for value in ids[len(found):]:  # type: ignore[index]
            index.report(vm, "network_interface_ids",
                         f"network interface {value} is not in this plan")
            found.append(NetworkInterface(
                address=str(value), resource_type=NIC,
                name=value.rsplit("/", 1)[-1] if isinstance(value, str) else None,
                accelerated_networking=Unknown(f"{value} (not in this plan)")))
    return tuple(found)


def _scale_set_mode(vm: Resource, index: Index) -> object:
    target = vm.properties.get("virtual_machine_scale_set_id")
    if target is None:
        return None
    found = index.targets(vm, "virtual_machine_scale_set_id", tuple(azurerm_backup.SCALE_SETS))
    if len(found) == 1:
        return azurerm_backup.SCALE_SETS[index.by_address[found[0]].type]
    return "Flexible"  # azurerm VMs can only join Flexible scale sets


def _attach(item: Resource, index: Index, disks: dict[str, Disk],
            of: Callable[[str], azurerm_vm.VmParts]) -> None:
    vm = index.one(item, "virtual_machine_id", VM_TYPES, "VM")
    disk_address = index.one(item, "managed_disk_id", (DISK,), "managed disk")
    if vm is None:
        return
    disk = disks.get(disk_address or "") or Disk(
        address=item.address, resource_type=item.type, span=item.span,
        storage_type=Unknown(f"{item.properties.get('managed_disk_id')} (not in this plan)"))
    of(vm).data_disks.append(azurerm_vm.attached(disk, item))
    if isinstance(item.condition, Unknown):  # count = var.n: one stand-in of many
        of(vm).unknown_disk_count = item.condition

