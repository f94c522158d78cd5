"""ARM compute bodies -> model: VMs, disks, NICs, extensions, scale sets.

Each converter is a small pure function over an evaluated ARM resource body, so the
Terraform linker can reuse it for ``azapi_resource`` bodies.
"""

from __future__ import annotations

from typing import Any

from azbackup_policy.document import Resource
from azbackup_policy.linkers.arm_common import (
    Fields,
    ResourceIndex,
    as_bool,
    as_int,
    as_text,
    first_set,
    last_segment,
)
from azbackup_policy.model import (
    AttrSpans,
    Disk,
    Extension,
    Image,
    IpConfiguration,
    MarketplacePlan,
    NetworkInterface,
    ScaleSet,
    Unknown,
    VirtualMachine,
)

VM = "Microsoft.Compute/virtualMachines"
VMSS = "Microsoft.Compute/virtualMachineScaleSets"
DISK = "Microsoft.Compute/disks"
NIC = "Microsoft.Network/networkInterfaces"
EXTENSION = "Microsoft.Compute/virtualMachines/extensions"
_WINDOWS_PUBLISHERS = ("microsoftwindowsserver", "microsoftwindowsdesktop", "microsoftsqlserver")


def disk_from_inline(fields: Fields, role: str, disk: Resource | None) -> Disk:
    """An OS disk or a ``dataDisks[]`` entry; ``disk`` is the attached disk resource.

    Values the inline entry leaves out come from the attached disk resource, and their
    spans point at the disk resource's lines.
    """
    from_disk = Fields(disk) if disk is not None else None
    storage = fields.get("storage_type", "managedDisk.storageAccountType")
    if storage is None and from_disk is not None:
        storage = from_disk.get("storage_type", "sku.name")
    size = fields.get("size_gb", "diskSizeGB")
    if size is None and from_disk is not None:
        size = from_disk.get("size_gb", "properties.diskSizeGB")
    option = fields.get("ephemeral", "diffDiskSettings.option")
    name = fields.get("name", "name")
    if disk is not None:
        name = last_segment(disk.properties.get("name"))
    des = fields.get("disk_encryption_set_id", "managedDisk.diskEncryptionSet.id")
    if des is None:
        des = _disk_des(from_disk)
    values: dict[str, Any] = {
        "lun": as_int(fields.get("lun", "lun")),
        "managed": fields.get("managed", "vhd.uri") is None,
        "ephemeral": _ephemeral(option),
        "ephemeral_placement": fields.get("ephemeral_placement", "diffDiskSettings.placement"),
        "write_accelerator": as_bool(fields.get("write_accelerator", "writeAcceleratorEnabled",
                                                False)),
        "caching": fields.get("caching", "caching"),
        "security_encryption_type": fields.get(
            "security_encryption_type", "managedDisk.securityProfile.securityEncryptionType"),
        **(_disk_resource_fields(from_disk) if from_disk is not None else {}),
    }
    spans = dict(fields.attr_spans(fields.prefix))
    if from_disk is not None:
        spans = {**from_disk.attr_spans(), **spans}
    return Disk(
        address=disk.address if disk is not None else "",
        resource_type=disk.type if disk is not None else "",
        name=as_text(name), role=role, storage_type=storage, size_gb=as_int(size),
        disk_encryption_set_id=des, **values,
        span=fields.resource.span_of(fields.base),
        attr_spans=AttrSpans(spans),
    )


def _ephemeral(option: Any) -> Any:
    if isinstance(option, Unknown):
        return option
    return isinstance(option, str) and option.lower() == "local"


def _disk_des(fields: Fields | None) -> Any:
    if fields is None:
        return None
    return fields.get("disk_encryption_set_id", "properties.encryption.diskEncryptionSetId")


def _disk_resource_fields(fields: Fields) -> dict[str, Any]:
    """Fields only a standalone ``Microsoft.Compute/disks`` resource has."""
    return {
        "max_shares": as_int(fields.get("max_shares", "properties.maxShares")),
        "network_access_policy": fields.get("network_access_policy",
                                            "properties.networkAccessPolicy"),
        "public_network_access": fields.get("public_network_access",
                                            "properties.publicNetworkAccess", "Enabled"),
        "data_access_auth_mode": fields.get("data_access_auth_mode",
                                            "properties.dataAccessAuthMode"),
        "performance_plus": as_bool(fields.get(
            "performance_plus", "properties.creationData.performancePlus", False)),
        "security_type": fields.get("security_type", "properties.securityProfile.securityType"),
    }


def ip_configuration_from_arm(fields: Fields) -> IpConfiguration:
    return IpConfiguration(
        name=as_text(fields.get("name", "name")),
        allocation=fields.get("allocation", "properties.privateIPAllocationMethod"),
        version=fields.get("version", "properties.privateIPAddressVersion", "IPv4"),
        primary=as_bool(fields.get("primary", "properties.primary")),
        public_ip_id=fields.get("public_ip_id", "properties.publicIPAddress.id"),
        load_balancer_backend=_non_empty(
            fields.get(None, "properties.loadBalancerBackendAddressPools", [])),
        span=fields.resource.span_of(fields.base),
        attr_spans=fields.attr_spans(fields.prefix),
    )


def _non_empty(value: Any) -> Any:
    return value if isinstance(value, Unknown) else bool(value)


def nic_from_arm(resource: Resource, base: str = "properties") -> NetworkInterface:
    """A NIC resource (``base`` = ``properties``) or an inline NIC configuration."""
    fields = Fields(resource, base)
    configs = fields.get(None, "ipConfigurations", [])
    ip_configs = tuple(
        ip_configuration_from_arm(fields.at(f"ipConfigurations.{i}", f"ip_configurations.{i}."))
        for i in range(len(configs) if isinstance(configs, list) else 0)
    )
    name_holder = resource.properties if base == "properties" else fields.get(None, "", {})
    return NetworkInterface(
        address=resource.address if base == "properties" else "",
        resource_type=resource.type if base == "properties" else "",
        name=as_text(last_segment(name_holder.get("name")) if isinstance(name_holder, dict)
                     else None),
        ip_configurations=ip_configs,
        accelerated_networking=as_bool(fields.get(
            "accelerated_networking", "enableAcceleratedNetworking", False)),
        span=resource.span_of(base),
        attr_spans=fields.attr_spans(),
    )


def inline_nic(resource: Resource, index: int) -> NetworkInterface:
    """``networkProfile.networkInterfaceConfigurations[index]`` of a VM."""
    base = f"properties.networkProfile.networkInterfaceConfigurations.{index}"
    fields = Fields(resource, base)
    nic = nic_from_arm(resource, f"{base}.properties")
    return NetworkInterface(
        name=as_text(fields.get("name", "name")), ip_configurations=nic.ip_configurations,
        accelerated_networking=nic.accelerated_networking,
        span=resource.span_of(base), attr_spans=nic.attr_spans,
    )


def external_nic(value: Any) -> NetworkInterface:
    """A NIC known only by its id (declared elsewhere)."""
    name = value.rsplit("/", 1)[-1] if isinstance(value, str) else value
    return NetworkInterface(name=as_text(name))


def extension_from_arm(resource: Resource) -> Extension:
    fields = Fields(resource, "properties")
    return Extension(
        address=resource.address, resource_type=resource.type,
        name=as_text(last_segment(resource.properties.get("name"))),
        publisher=fields.get("publisher", "publisher"),
        extension_type=fields.get("extension_type", "type"),
        version=as_text(fields.get("version", "typeHandlerVersion")),
        span=resource.span, attr_spans=fields.attr_spans(),
    )


def scale_set_from_arm(resource: Resource) -> ScaleSet:
    fields = Fields(resource)
    return ScaleSet(
        address=resource.address, resource_type=resource.type,
        name=as_text(resource.properties.get("name")), id=resource.id,
        location=fields.get("location", "location"),
        orchestration_mode=fields.get("orchestration_mode", "properties.orchestrationMode",
                                      "Uniform"),
        size=fields.get("size", "sku.name"), tags=fields.get("tags", "tags", {}),
        span=resource.span, attr_spans=fields.attr_spans(),
    )


CLASSIC_VM = "Microsoft.ClassicCompute/virtualMachines"


def classic_vm_from_arm(resource: Resource) -> VirtualMachine:
    """A classic VM: only what says what it is (Azure Backup no longer protects classic VMs)."""
    fields = Fields(resource)
    return VirtualMachine(
        address=resource.address, resource_type=resource.type, span=resource.span,
        id=resource.id, name=as_text(resource.properties.get("name")),
        location=fields.get("location", "location"),
        size=fields.get("size", "properties.hardwareProfile.size"),
        deployment_model="Classic", attr_spans=fields.attr_spans(),
    )


def image_from_arm(fields: Fields) -> Image | None:
    reference = fields.get(None, "properties.storageProfile.imageReference")
    if reference is None:
        return None
    if isinstance(reference, Unknown):
        return Image(publisher=reference, offer=reference, sku=reference, version=reference)
    image = fields.at("properties.storageProfile.imageReference", "image.")
    custom = first_set(image.get("id", "id"), image.get("id", "sharedGalleryImageId"),
                       image.get("id", "communityGalleryImageId"))
    return Image(publisher=image.get("publisher", "publisher"), offer=image.get("offer", "offer"),
                 sku=image.get("sku", "sku"), version=as_text(image.get("version", "version")),
                 id=custom)


def os_type_of(fields: Fields, image: Image | None) -> Any:
    declared = fields.get("os_type", "properties.storageProfile.osDisk.osType")
    if declared is not None:
        return declared
    if fields.get("os_type", "properties.osProfile.windowsConfiguration") is not None:
        return "Windows"
    if fields.get("os_type", "properties.osProfile.linuxConfiguration") is not None:
        return "Linux"
    publisher = image.publisher if image is not None else None
    if isinstance(publisher, str):
        return "Windows" if publisher.lower() in _WINDOWS_PUBLISHERS else "Linux"
    return None


def marketplace_plan(fields: Fields) -> MarketplacePlan | None:
    if fields.get(None, "plan") is None:
        return None
    return MarketplacePlan(name=fields.get("plan.name", "plan.name"),
                           product=fields.get("plan.product", "plan.product"),
                           publisher=fields.get("plan.publisher", "plan.publisher"))


def nics_of(resource: Resource, index: ResourceIndex) -> tuple[NetworkInterface, ...]:
    fields = Fields(resource, "properties.networkProfile")
    nics: list[NetworkInterface] = []
    refs = fields.get(None, "networkInterfaces", [])
    for i, ref in enumerate(refs if isinstance(refs, list) else []):
        path = f"properties.networkProfile.networkInterfaces.{i}.id"
        target = index.referenced(resource, path, NIC)
        value = ref.get("id") if isinstance(ref, dict) else ref
        nics.append(nic_from_arm(target) if target is not None else external_nic(value))
    configs = fields.get(None, "networkInterfaceConfigurations", [])
    nics.extend(inline_nic(resource, i) for i in range(len(configs) if isinstance(configs, list)
                                                        else 0))
    return tuple(nics)
