"""Storage accounts of the ARM vocabulary and what ties them to VM backup (N13, FL3).

A ``Microsoft.Storage/storageAccounts`` gives the firewall (``properties.networkAcls``) and
``properties.publicNetworkAccess``; the links are the ``vhd.uri`` of a VM's OS and data disks
(unmanaged disks): a blob URI whose host is the account's name, or built from
``reference(account).primaryEndpoints.blob`` (Bicep ``account.properties.primaryEndpoints``).
ARM and Bicep cannot declare a restore (a POST action), so only VHDs link here.
"""

from __future__ import annotations

from collections.abc import Iterator

from azbackup_policy.arm_values import PartialString, Reference
from azbackup_policy.document import Resource
from azbackup_policy.linkers.arm_common import MISSING, Fields, ResourceIndex, as_text, dig
from azbackup_policy.linkers.storage import Use, blob_host, firewall_words, with_uses
from azbackup_policy.model import StorageAccount

ACCOUNT = "Microsoft.Storage/storageAccounts"
VM = "Microsoft.Compute/virtualMachines"


def account(resource: Resource) -> StorageAccount:
    fields = Fields(resource, "properties")
    return StorageAccount(
        address=resource.address, resource_type=resource.type, span=resource.span,
        name=as_text(resource.properties.get("name")), id=resource.id,
        default_action=as_text(fields.get("default_action", "networkAcls.defaultAction")),
        bypass=firewall_words(fields.get("bypass", "networkAcls.bypass")),
        public_network_access=as_text(fields.get("public_network_access",
                                                 "publicNetworkAccess")),
        attr_spans=fields.attr_spans())


def accounts(index: ResourceIndex) -> list[StorageAccount]:
    """Every declared storage account with its firewall and the VMs whose VHDs it holds."""
    found = [account(r) for r in index.of_type(ACCOUNT)]
    return with_uses(found, _vhd_uses(index), ()) if found else found


def _vhd_uris(vm: Resource) -> Iterator[object]:
    profile = dig(vm.properties, "properties.storageProfile")
    yield dig(profile, "osDisk.vhd.uri")
    disks = dig(profile, "dataDisks")
    for disk in disks if isinstance(disks, list) else ():
        yield dig(disk, "vhd.uri")


def _vhd_uses(index: ResourceIndex) -> Iterator[Use]:
    for vm in index.of_type(VM):
        for uri in _vhd_uris(vm):
            for target in _accounts_of_uri(uri, index) if uri is not MISSING else ():
                yield target.address, vm.address


def _accounts_of_uri(uri: object, index: ResourceIndex) -> list[Resource]:
    """The accounts a VHD URI names: by a ``reference()`` in it, else by its host."""
    parts = uri.parts if isinstance(uri, PartialString) else (uri,)
    for part in parts:
        if isinstance(part, Reference):
            target = index.by_address.get(part.target) if isinstance(part.target, str) \
                else None
            target = target or index.by_id(part.target)
            if target is not None and target.type.lower() == ACCOUNT.lower():
                return [target]
    name = blob_host(uri)
    return index.named([name], ACCOUNT) if name is not None else []
