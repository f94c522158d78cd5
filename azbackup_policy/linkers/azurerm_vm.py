"""azurerm VMs (Linux, Windows, legacy ``azurerm_virtual_machine``) with their parts.

Follows IAC.md §1.1-§1.3: the security type is derived (``security_encryption_type``
-> ConfidentialVM; secure boot or vTPM -> TrustedLaunch; else Standard), ``null`` means
the provider default, the legacy VM has its own defaults (Windows agent off unless
``provision_vm_agent``), and both accelerated-networking attribute names are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from azbackup_policy.document import Resource, value_at
from azbackup_policy.linkers.azurerm_common import Reader
from azbackup_policy.model import (
    AttrSpans,
    Disk,
    Extension,
    Image,
    IpConfiguration,
    MarketplacePlan,
    NetworkInterface,
    Unknown,
    VirtualMachine,
)


def security_type(values: Mapping[str, Any] | None) -> Any:
    """The security type the provider sends for these VM values (None without values)."""
    if not isinstance(values, Mapping):
        return None
    encryption = value_at(values, "os_disk.0.security_encryption_type")
    if isinstance(encryption, Unknown):
        return encryption
    if encryption:
        return "ConfidentialVM"
    flags = [values.get("secure_boot_enabled"), values.get("vtpm_enabled")]
    if any(flag is True for flag in flags):
        return "TrustedLaunch"
    unknown = next((flag for flag in flags if isinstance(flag, Unknown)), None)
    return unknown if unknown is not None else "Standard"


def network_interface(resource: Resource) -> NetworkInterface:
    reader = Reader(resource)
    accelerated = reader.get("accelerated_networking", "accelerated_networking_enabled")
    if accelerated is None:
        accelerated = reader.get("accelerated_networking", "enable_accelerated_networking")
    configs = []
    blocks = resource.properties.get("ip_configuration")
    for index, _block in enumerate(blocks if isinstance(blocks, list) else ()):
        configs.append(ip_configuration(resource, f"ip_configuration.{index}"))
    return NetworkInterface(
        address=resource.address, resource_type=resource.type,
        name=reader.get("name", "name"), span=resource.span,
        ip_configurations=tuple(configs),
        accelerated_networking=False if accelerated is None else accelerated,
        attr_spans=reader.attr_spans(),
    )


def ip_configuration(resource: Resource, base: str) -> IpConfiguration:
    reader = Reader(resource, base)
    return IpConfiguration(
        address=f"{resource.address}.{base}", resource_type=resource.type,
        name=reader.get("name", "name"), span=resource.span_of(base),
        allocation=reader.get("allocation", "private_ip_address_allocation"),
        version=reader.get("version", "private_ip_address_version", "IPv4"),
        primary=reader.get("primary", "primary"),
        public_ip_id=reader.get("public_ip_id", "public_ip_address_id"),
        attr_spans=reader.attr_spans(),
    )


def managed_disk(resource: Resource) -> Disk:
    """A standalone ``azurerm_managed_disk`` (the lun and caching come from its attachment)."""
    reader = Reader(resource)
    public = reader.get("public_network_access", "public_network_access_enabled", True)
    return Disk(
        address=resource.address, resource_type=resource.type, span=resource.span,
        name=reader.get("name", "name"), role="data",
        storage_type=reader.get("storage_type", "storage_account_type"),
        size_gb=reader.get("size_gb", "disk_size_gb"),
        max_shares=reader.get("max_shares", "max_shares"),
        disk_encryption_set_id=reader.get("disk_encryption_set_id", "disk_encryption_set_id"),
        security_type=_disk_security_type(reader),
        network_access_policy=reader.get("network_access_policy", "network_access_policy"),
        public_network_access=("Enabled" if public is True else "Disabled"
                               if public is False else public),
        data_access_auth_mode=reader.get("data_access_auth_mode", "data_access_auth_mode"),
        performance_plus=reader.get("performance_plus", "performance_plus_enabled", False),
        attr_spans=reader.attr_spans(),
    )


def _disk_security_type(reader: Reader) -> Any:
    """``security_type``, or TrustedLaunch for ``trusted_launch_enabled = true`` (the older
    argument for a disk made from a Trusted Launch OS disk)."""
    kind = reader.get("security_type", "security_type")
    if kind is not None:
        return kind
    trusted = reader.get("trusted_launch", "trusted_launch_enabled", False)
    if trusted is True:
        reader.mark("security_type", "trusted_launch_enabled")
        return "TrustedLaunch"
    return trusted if isinstance(trusted, Unknown) else None


def attached(disk: Disk, attachment: Resource) -> Disk:
    """``disk`` as attached by an ``azurerm_virtual_machine_data_disk_attachment``."""
    reader = Reader(attachment)
    spans = dict(disk.attr_spans)
    lun = reader.get("lun", "lun")
    caching = reader.get("caching", "caching")
    write = reader.get("write_accelerator", "write_accelerator_enabled", False)
    spans.update(reader.spans)
    return replace(disk, lun=lun, caching=caching, write_accelerator=write,
                   attr_spans=AttrSpans(spans))


def os_disk(resource: Resource, reader: Reader | None, *, legacy: bool) -> Disk | None:
    if reader is None:
        return None
    if legacy:
        return _legacy_disk(resource, reader, "os")
    diff = reader.block("diff_disk_settings")
    option = diff.get("ephemeral", "option") if diff else None
    encryption_set = reader.get("disk_encryption_set_id", "disk_encryption_set_id")
    if encryption_set is None:
        encryption_set = reader.get("disk_encryption_set_id", "secure_vm_disk_encryption_set_id")
    if diff is not None:
        reader.spans.update({k: v for k, v in diff.spans.items()})
    return Disk(
        address=f"{resource.address}.os_disk", resource_type=resource.type,
        span=resource.span_of(reader.base), name=reader.get("name", "name"), role="os",
        storage_type=reader.get("storage_type", "storage_account_type"),
        size_gb=reader.get("size_gb", "disk_size_gb"),
        ephemeral=option if isinstance(option, Unknown) else option == "Local",
        ephemeral_placement=diff.get("ephemeral_placement", "placement") if diff else None,
        write_accelerator=reader.get("write_accelerator", "write_accelerator_enabled", False),
        caching=reader.get("caching", "caching"),
        disk_encryption_set_id=encryption_set,
        security_encryption_type=reader.get("security_encryption_type",
                                            "security_encryption_type"),
        attr_spans=reader.attr_spans(),
    )


def _legacy_disk(resource: Resource, reader: Reader, role: str) -> Disk:
    vhd = reader.get("managed", "vhd_uri")
    managed: Any = vhd if isinstance(vhd, Unknown) else not vhd
    return Disk(
        address=f"{resource.address}.{reader.base}", resource_type=resource.type,
        span=resource.span_of(reader.base), name=reader.get("name", "name"), role=role,
        lun=reader.get("lun", "lun") if role == "data" else None, managed=managed,
        storage_type=reader.get("storage_type", "managed_disk_type"),
        size_gb=reader.get("size_gb", "disk_size_gb"),
        write_accelerator=reader.get("write_accelerator", "write_accelerator_enabled", False),
        caching=reader.get("caching", "caching"),
        attr_spans=reader.attr_spans(),
    )


def legacy_data_disks(resource: Resource) -> tuple[Disk, ...]:
    blocks = resource.properties.get("storage_data_disk")
    return tuple(
        _legacy_disk(resource, Reader(resource, f"storage_data_disk.{index}"), "data")
        for index, _ in enumerate(blocks if isinstance(blocks, list) else ())
    )


def extension(resource: Resource) -> Extension:
    reader = Reader(resource)
    return Extension(
        address=resource.address, resource_type=resource.type, span=resource.span,
        name=reader.get("name", "name"), publisher=reader.get("publisher", "publisher"),
        extension_type=reader.get("extension_type", "type"),
        version=reader.get("version", "type_handler_version"),
        attr_spans=reader.attr_spans(),
    )


def image(reader: Reader, block: str, id_path: str) -> Image | None:
    ref = reader.block(block)
    ident = reader.get("image.id", id_path)
    if ref is None:
        return Image(id=ident) if ident is not None else None
    found = Image(publisher=ref.get("publisher", "publisher"), offer=ref.get("offer", "offer"),
                  sku=ref.get("sku", "sku"), version=ref.get("version", "version"),
                  id=ref.get("id", "id") if block == "storage_image_reference" else ident)
    reader.spans.update({f"image.{k}": v for k, v in ref.spans.items()})
    reader.mark("image", block)
    return found


def marketplace_plan(reader: Reader) -> MarketplacePlan | None:
    plan = reader.block("plan")
    if plan is None:
        return None
    reader.mark("plan", "plan")
    found = MarketplacePlan(name=plan.get("name", "name"), product=plan.get("product", "product"),
                            publisher=plan.get("publisher", "publisher"))
    reader.spans.update({f"plan.{k}": v for k, v in plan.spans.items()})
    return found


def identity_type(reader: Reader) -> Any:
    """``identity.type``; its span is recorded as the VM's ``identity``."""
    identity = reader.block("identity")
    if identity is None:
        return None
    value = identity.get("identity", "type")
    reader.spans["identity"] = identity.spans["identity"]
    return value


def lun_disks(disks: list[Disk]) -> tuple[Disk, ...]:
    def key(disk: Disk) -> tuple[int, str]:
        return (disk.lun if isinstance(disk.lun, int) else 1 << 30, disk.address)
    return tuple(sorted(disks, key=key))


def virtual_machine(resource: Resource, parts: VmParts) -> VirtualMachine:
    legacy = resource.type == "azurerm_virtual_machine"
    reader = Reader(resource)
    fields = _legacy_fields(resource, reader) if legacy else _vm_fields(resource, reader)
    os_reader = reader.block("storage_os_disk" if legacy else "os_disk")
    disk = os_disk(resource, os_reader, legacy=legacy)
    if disk is not None and os_reader is not None:
        reader.spans.update({f"os_disk.{k}": v for k, v in os_reader.spans.items()})
        reader.mark("os_disk", os_reader.base)
    data = list(legacy_data_disks(resource)) if legacy else []
    return VirtualMachine(
        address=resource.address, resource_type=resource.type, span=resource.span,
        id=resource.id, name=reader.get("name", "name"),
        resource_group=reader.get("resource_group", "resource_group_name"),
        location=reader.get("location", "location"),
        availability_set_id=reader.get("availability_set_id", "availability_set_id"),
        license_type=reader.get("license_type", "license_type"),
        tags=reader.get("tags", "tags", {}),
        identity=identity_type(reader),
        plan=marketplace_plan(reader),
        os_disk=disk, data_disks=lun_disks(data + list(parts.data_disks)), nics=parts.nics,
        extensions=parts.extensions, has_diagnostic_settings=parts.diagnostics,
        action=resource.action, previous_security_type=_previous(resource, legacy),
        scale_set_orchestration=parts.scale_set_mode, **fields,
        # Attachment resources may live in another module or state; inline blocks do not.
        data_disks_complete=bool(data), unknown_disk_count=parts.unknown_disk_count,
        attr_spans=reader.attr_spans(),
    )


def _previous(resource: Resource, legacy: bool) -> Any:
    if resource.before is None:
        return None
    return "Standard" if legacy else security_type(resource.before)


def _vm_fields(resource: Resource, reader: Reader) -> dict[str, Any]:
    windows = resource.type == "azurerm_windows_virtual_machine"
    secure = reader.get("secure_boot", "secure_boot_enabled", False)
    vtpm = reader.get("vtpm", "vtpm_enabled", False)
    sec_type = security_type(resource.properties)
    reader.spans["security_type"] = reader.spans["secure_boot" if secure is True else "vtpm"]
    if sec_type == "ConfidentialVM":
        reader.mark("security_type", "os_disk.0.security_encryption_type")
    capabilities = reader.block("additional_capabilities")
    return {
        "os_type": "Windows" if windows else "Linux",
        "image": image(reader, "source_image_reference", "source_image_id"),
        "size": reader.get("size", "size"), "zone": reader.get("zone", "zone"),
        "scale_set_id": reader.get("scale_set_id", "virtual_machine_scale_set_id"),
        "dedicated_host_id": reader.get("dedicated_host_id", "dedicated_host_id"),
        "dedicated_host_group_id": reader.get("dedicated_host_group_id",
                                              "dedicated_host_group_id"),
        "priority": reader.get("priority", "priority", "Regular"),
        "security_type": sec_type, "secure_boot": secure, "vtpm": vtpm,
        "encryption_at_host": reader.get("encryption_at_host", "encryption_at_host_enabled",
                                         False),
        "ultra_ssd_enabled": capabilities.get("ultra_ssd_enabled", "ultra_ssd_enabled", False)
        if capabilities else False,
        "vm_agent": reader.get("vm_agent", "provision_vm_agent", True),
        "extension_operations": reader.get("extension_operations",
                                           "allow_extension_operations", True),
        "extended_location": reader.get("extended_location", "edge_zone"),
        "custom_data": reader.get("custom_data", "custom_data"),
    }


def _legacy_fields(resource: Resource, reader: Reader) -> dict[str, Any]:
    windows = reader.block("os_profile_windows_config")
    linux = reader.block("os_profile_linux_config")
    os_type: Any = "Windows" if windows else "Linux" if linux else None
    if os_type is None:
        os_type = reader.get("os_type", "storage_os_disk.0.os_type")
    agent = windows.get("vm_agent", "provision_vm_agent", False) if windows else True
    reader.spans.update(windows.spans if windows else {})
    zones = reader.get("zone", "zones")
    capabilities = reader.block("additional_capabilities")
    return {
        "os_type": os_type,
        "image": image(reader, "storage_image_reference", "storage_image_reference.0.id"),
        "size": reader.get("size", "vm_size"),
        "zone": zones[0] if isinstance(zones, list) and zones else
        zones if isinstance(zones, Unknown) else None,
        "vm_agent": agent,
        "ultra_ssd_enabled": capabilities.get("ultra_ssd_enabled", "ultra_ssd_enabled", False)
        if capabilities else False,
        "dedicated_host_id": None,
        "custom_data": reader.get("custom_data", "os_profile.0.custom_data"),
    }


class VmParts:
    """What other resources contribute to one VM."""

    __slots__ = ("data_disks", "diagnostics", "extensions", "nics", "scale_set_mode",
                 "unknown_disk_count")

    def __init__(self) -> None:
        self.nics: tuple[NetworkInterface, ...] = ()
        self.data_disks: list[Disk] = []
        self.extensions: tuple[Extension, ...] = ()
        self.diagnostics = False
        self.scale_set_mode: Any = None
        self.unknown_disk_count: Unknown | None = None

