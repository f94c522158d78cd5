"""The common VM model: every input format becomes these frozen dataclasses.

Nothing here does I/O and nothing here knows a file format. Parsers produce
:class:`~azbackup_policy.document.Document` records; linkers turn those into an
:class:`Estate`; rules read only the Estate.

Conventions
-----------
* ``None`` means *not set* (the platform default applies).
* :class:`Unknown` means *cannot be known before deployment*; it remembers the
  expression it came from. It never equals a real value, and no rule reports a
  violation from it.
* Every object keeps the :class:`SourceSpan` it came from (``span``) and, where
  known, the span of the attribute behind each model field (``attr_spans``).
  Spans and addresses are excluded from equality, so the same infrastructure
  written in different formats gives equal objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SourceSpan:
    """Where something was declared: a file (as given to the tool) and 1-based lines."""

    file: str
    line: int
    end_line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value that cannot be known statically; ``expression`` is its source text.

    ``partial`` is set for a JSON text only some of whose parts are unknown (Terraform's
    ``jsonencode({...})`` of an object that refers to other resources): the decoded value, with
    ``Unknown`` where the text is not known. Linkers read it through
    ``linkers.azurerm_common.json_value``; it never takes part in comparisons."""

    expression: str
    partial: Any = field(default=None, compare=False, repr=False, kw_only=True)

    def __str__(self) -> str:
        return f"<unknown: {self.expression}>"

    def __bool__(self) -> bool:
        raise TypeError(
            f"the truth of an unknown value ({self.expression}) was asked; "
            "check is_known() first"
        )


Maybe: TypeAlias = T | Unknown
"""``Maybe[int]`` is an ``int`` or an :class:`Unknown`."""


def is_known(value: object) -> bool:
    """True when ``value`` holds no :class:`Unknown` (recursively through containers)."""
    if isinstance(value, Unknown):
        return False
    if isinstance(value, (tuple, list, frozenset, set)):
        return all(is_known(item) for item in value)
    if isinstance(value, Mapping):
        return all(is_known(item) for item in value.values())
    return True


class AttrSpans(Mapping[str, SourceSpan]):
    """An immutable map from model field path (``"os_disk.ephemeral"``) to its span."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, SourceSpan] | None = None) -> None:
        self._data: dict[str, SourceSpan] = dict(data or {})

    def __getitem__(self, key: str) -> SourceSpan:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"AttrSpans({self._data!r})"

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._data.items(), key=lambda kv: kv[0])))


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelObject:
    """Fields shared by every declared thing: where it is and what it is called.

    ``address`` is the stable address in its vocabulary (a Terraform address such as
    ``module.web.azurerm_linux_virtual_machine.vm[0]``, or an ARM/Bicep symbolic name).
    ``resource_type`` is the declared type. ``name`` is the Azure name.
    """

    address: str = field(default="", compare=False)
    resource_type: str = field(default="", compare=False)
    name: Maybe[str] | None = None
    span: SourceSpan | None = field(default=None, compare=False, repr=False)
    attr_spans: AttrSpans = field(default_factory=AttrSpans, compare=False, repr=False)

    def span_of(self, attribute: str | None) -> SourceSpan | None:
        """The span of ``attribute`` when known, else the object's own span."""
        if attribute is not None:
            found = self.attr_spans.get(attribute)
            if found is not None:
                return found
        return self.span


@dataclass(frozen=True, slots=True, kw_only=True)
class Disk(ModelObject):
    """An OS or data disk as the VM sees it (inline or a standalone managed disk)."""

    role: str = "data"  # "os" or "data"
    lun: Maybe[int] | None = None
    managed: Maybe[bool] = True
    storage_type: Maybe[str] | None = None
    size_gb: Maybe[int] | None = None
    ephemeral: Maybe[bool] = False
    ephemeral_placement: Maybe[str] | None = None
    max_shares: Maybe[int] | None = None
    write_accelerator: Maybe[bool] = False
    caching: Maybe[str] | None = None
    disk_encryption_set_id: Maybe[str] | None = None
    security_type: Maybe[str] | None = None
    security_encryption_type: Maybe[str] | None = None
    network_access_policy: Maybe[str] | None = None
    public_network_access: Maybe[str] | None = None
    data_access_auth_mode: Maybe[str] | None = None
    performance_plus: Maybe[bool] = False


@dataclass(frozen=True, slots=True, kw_only=True)
class IpConfiguration(ModelObject):
    allocation: Maybe[str] | None = None  # "Dynamic" or "Static"
    version: Maybe[str] | None = None  # "IPv4" or "IPv6"
    primary: Maybe[bool] | None = None
    public_ip_id: Maybe[str] | None = None
    load_balancer_backend: Maybe[bool] = False


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkInterface(ModelObject):
    ip_configurations: tuple[IpConfiguration, ...] = ()
    accelerated_networking: Maybe[bool] = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Extension(ModelObject):
    publisher: Maybe[str] | None = None
    extension_type: Maybe[str] | None = None
    version: Maybe[str] | None = None

    @property
    def is_azure_disk_encryption(self) -> bool:
        """True for the ADE extension (Windows or Linux), compared case-insensitively."""
        publisher, kind = self.publisher, self.extension_type
        if not isinstance(publisher, str) or not isinstance(kind, str):
            return False
        return publisher.lower() == "microsoft.azure.security" and kind.lower() in {
            "azurediskencryption",
            "azurediskencryptionforlinux",
        }


@dataclass(frozen=True, slots=True)
class Image:
    """A marketplace image (publisher/offer/sku/version) or a custom/gallery image id."""

    publisher: Maybe[str] | None = None
    offer: Maybe[str] | None = None
    sku: Maybe[str] | None = None
    version: Maybe[str] | None = None
    id: Maybe[str] | None = None


@dataclass(frozen=True, slots=True)
class MarketplacePlan:
    name: Maybe[str] | None = None
    product: Maybe[str] | None = None
    publisher: Maybe[str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualMachine(ModelObject):
    """A virtual machine with everything Azure Backup cares about."""

    id: Maybe[str] | None = field(default=None, compare=False)
    resource_group: Maybe[str] | None = None
    # The VM's subscription when the input states it (else rules fall back to ``id``).
    subscription_id: Maybe[str] | None = None
    location: Maybe[str] | None = None
    os_type: Maybe[str] | None = None  # "Linux" or "Windows"
    image: Image | None = None
    size: Maybe[str] | None = None
    zone: Maybe[str] | None = None
    availability_set_id: Maybe[str] | None = None
    scale_set_id: Maybe[str] | None = None
    scale_set_orchestration: Maybe[str] | None = None  # "Uniform" / "Flexible"
    dedicated_host_id: Maybe[str] | None = None
    priority: Maybe[str] = "Regular"
    security_type: Maybe[str] = "Standard"  # "Standard" / "TrustedLaunch" / "ConfidentialVM"
    secure_boot: Maybe[bool] = False
    vtpm: Maybe[bool] = False
    encryption_at_host: Maybe[bool] = False
    ultra_ssd_enabled: Maybe[bool] = False
    vm_agent: Maybe[bool] = True
    extension_operations: Maybe[bool] = True
    os_disk: Disk | None = None
    data_disks: tuple[Disk, ...] = ()
    nics: tuple[NetworkInterface, ...] = ()
    extensions: tuple[Extension, ...] = ()
    identity: Maybe[str] | None = None  # "SystemAssigned", "UserAssigned", ...
    plan: MarketplacePlan | None = None
    extended_location: Maybe[str] | None = None  # Edge Zone name
    license_type: Maybe[str] | None = None
    has_diagnostic_settings: bool = False
    tags: Maybe[Mapping[str, Any]] = field(default_factory=dict)
    custom_data: Maybe[str] | None = field(default=None, compare=False, repr=False)
    # What the deployment does: "create", "update", "no-op", "replace" (plan) or
    # "deploy" (templates). ``condition`` is set when an ARM/Bicep condition is unknown.
    action: str = field(default="deploy", compare=False)
    condition: Unknown | None = None
    previous_security_type: Maybe[str] | None = field(default=None, compare=False)
    # True when ``data_disks`` is the VM's whole list (ARM ``dataDisks``, inline blocks); False
    # when disks are attached by separate resources that may live outside the scanned unit.
    data_disks_complete: bool = field(default=True, compare=False)
    # Set when data disks are attached by a resource whose instance count is unknown
    # (``count = var.n``): the number of data disks is then unknown.
    unknown_disk_count: Unknown | None = field(default=None, compare=False)
    # "Classic" for a classic (Azure Service Manager) VM, which Azure Backup no longer protects.
    deployment_model: str = "ResourceManager"
    # A dedicated host group the VM is placed in (the platform picks the host).
    dedicated_host_group_id: Maybe[str] | None = None
    # A Traffic Manager endpoint that targets one of the VM's public IPs (its name).
    traffic_manager_endpoint: str | None = None

    @property
    def disks(self) -> tuple[Disk, ...]:
        """OS disk first, then data disks."""
        return ((self.os_disk,) if self.os_disk is not None else ()) + self.data_disks


@dataclass(frozen=True, slots=True, kw_only=True)
class ScaleSet(ModelObject):
    id: Maybe[str] | None = field(default=None, compare=False)
    location: Maybe[str] | None = None
    orchestration_mode: Maybe[str] = "Uniform"
    size: Maybe[str] | None = None
    tags: Maybe[Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Vault(ModelObject):
    id: Maybe[str] | None = field(default=None, compare=False)
    resource_group: Maybe[str] | None = None
    subscription_id: Maybe[str] | None = None
    location: Maybe[str] | None = None
    sku: Maybe[str] | None = None
    redundancy: Maybe[str] | None = None  # GeoRedundant / LocallyRedundant / ZoneRedundant
    cross_region_restore: Maybe[bool] = False
    cross_subscription_restore: Maybe[str] | None = None
    soft_delete: Maybe[str] | None = None  # Enabled / Disabled / AlwaysON
    immutability: Maybe[str] | None = None  # Disabled / Unlocked / Locked
    cmk: Maybe[bool] = False
    public_network_access: Maybe[str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BackupPolicy(ModelObject):
    id: Maybe[str] | None = field(default=None, compare=False)
    vault: str | None = field(default=None, compare=False)  # address of the vault
    vault_name: Maybe[str] | None = None
    policy_type: Maybe[str] = "V1"  # "V1" standard, "V2" enhanced
    schedule_policy_type: Maybe[str] | None = None  # ARM schedulePolicyType, when given
    frequency: Maybe[str] | None = None  # Hourly / Daily / Weekly
    time: Maybe[str] | None = None  # "HH:MM"
    hourly_interval: Maybe[int] | None = None
    hourly_window_hours: Maybe[int] | None = None
    hourly_start: Maybe[str] | None = None
    weekdays: Maybe[tuple[str, ...]] = ()
    retention_daily: Maybe[int] | None = None
    retention_weekly: Maybe[int] | None = None
    retention_monthly: Maybe[int] | None = None
    retention_yearly: Maybe[int] | None = None
    instant_restore_days: Maybe[int] | None = None
    instant_restore_rg_prefix: Maybe[str] | None = None
    time_zone: Maybe[str] | None = None
    consistency_type: Maybe[str] | None = None  # e.g. "OnlyCrashConsistent"
    tiering_mode: Maybe[str] | None = None
    # The client whose own validation applies on top of the service's (matrix.yaml
    # ``policy.client_validation``): "azurerm" for the Terraform provider, else None (EP17).
    client_validation: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Protection(ModelObject):
    """A protected item: VM -> policy -> vault."""

    vm: str | None = field(default=None, compare=False)  # address of the VM, when linked
    vm_id: Maybe[str] | None = field(default=None, compare=False)  # raw source VM id
    policy: str | None = field(default=None, compare=False)  # address of the policy
    policy_id: Maybe[str] | None = field(default=None, compare=False)
    vault: str | None = field(default=None, compare=False)  # address of the vault
    include_luns: Maybe[tuple[int, ...]] | None = None
    exclude_luns: Maybe[tuple[int, ...]] | None = None
    protection_state: Maybe[str] | None = None
    api_version: str | None = None
    previous_policy: str | None = field(default=None, compare=False)
    previous_policy_type: Maybe[str] | None = None
    action: str = field(default="deploy", compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Lock(ModelObject):
    scope: Maybe[str] | None = None  # the ARM id of what is locked, when known
    scope_address: str | None = field(default=None, compare=False)
    level: Maybe[str] | None = None  # CanNotDelete / ReadOnly


@dataclass(frozen=True, slots=True, kw_only=True)
class StorageAccount(ModelObject):
    """A storage account's firewall (N13, FL3) and what ties it to Azure VM backup.

    ``default_action`` is the action for traffic no firewall rule matches (``None``: not set,
    the platform default ``Allow``); ``bypass`` the services let through anyway (``None``: not
    set, the default ``AzureServices``). ``vhd_of`` holds the addresses of VMs whose unmanaged
    disks (VHD blobs) live in the account, ``restore_staging_of`` those of declared VM restores
    that stage in it; both empty when the unit ties the account to no backup or restore.
    """

    id: Maybe[str] | None = field(default=None, compare=False)
    default_action: Maybe[str] | None = None  # "Allow" / "Deny"
    bypass: Maybe[tuple[str, ...]] | None = None  # of "AzureServices", "Logging", "Metrics"
    public_network_access: Maybe[str] | None = None  # "Enabled" / "Disabled" / ...
    vhd_of: tuple[str, ...] = field(default=(), compare=False)
    restore_staging_of: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleAssignment(ModelObject):
    """An Azure RBAC role assignment: a role granted to a principal at a scope."""

    scope: Maybe[str] | None = None  # the ARM id of the scope, when known
    # "resource", "resourceGroup", "subscription", "managementGroup" or "tenant"
    scope_level: Maybe[str] | None = None
    role_definition_id: Maybe[str] | None = None  # the role's GUID (last id segment)
    role_definition_name: Maybe[str] | None = None
    principal_id: Maybe[str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyAssignment(ModelObject):
    """An Azure Policy assignment: a definition (or initiative) assigned at a scope."""

    scope: Maybe[str] | None = None
    definition_id: Maybe[str] | None = None  # the definition's GUID or name (last segment)
    parameters: Maybe[Mapping[str, Any]] = field(default_factory=dict)  # name -> value


@dataclass(frozen=True, slots=True)
class Unresolved:
    """Something the linker could not tie together (reported, never guessed)."""

    address: str
    message: str
    span: SourceSpan | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Unread(ModelObject):
    """A part of the deployment that was not read: a module or linked template that was
    not followed (``resource_type`` ``"module"``), or a file that could not be parsed
    (``"file"``). What it declares is missing, so an absence is not known."""

    reason: str = ""
    hint: str = ""
    # A module: the addresses of the resources it is given (it may protect those VMs).
    given: tuple[str, ...] = ()


def _index(objects: tuple[ModelObject, ...]) -> dict[str, Any]:
    return {obj.address: obj for obj in objects}


def _group(items: tuple[Protection, ...], key: Callable[[Protection], str | None]
           ) -> dict[str | None, tuple[Protection, ...]]:
    groups: dict[str | None, list[Protection]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return {k: tuple(v) for k, v in groups.items()}


@dataclass(frozen=True, slots=True)
class Estate:
    """Everything one deployment unit declares, linked together."""

    vms: tuple[VirtualMachine, ...] = ()
    vaults: tuple[Vault, ...] = ()
    policies: tuple[BackupPolicy, ...] = ()
    protections: tuple[Protection, ...] = ()
    locks: tuple[Lock, ...] = ()
    scale_sets: tuple[ScaleSet, ...] = ()
    storage_accounts: tuple[StorageAccount, ...] = ()
    role_assignments: tuple[RoleAssignment, ...] = ()
    policy_assignments: tuple[PolicyAssignment, ...] = ()
    unresolved: tuple[Unresolved, ...] = field(default=(), compare=False)
    unread: tuple[Unread, ...] = field(default=(), compare=False)
    _by_address: dict[str, Any] = field(
        init=False, default_factory=dict, compare=False, repr=False
    )
    _protections_by_vm: dict[str, tuple[Protection, ...]] = field(
        init=False, default_factory=dict, compare=False, repr=False
    )
    # Built once so that rules run per VM/policy/vault stay linear in the estate's size.
    _protections_by: dict[str, dict[str | None, tuple[Protection, ...]]] = field(
        init=False, default_factory=dict, compare=False, repr=False
    )
    _scale_set_keys: dict[tuple[str, str], int] = field(
        init=False, default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        by_address: dict[str, Any] = {}
        for group in (self.vms, self.vaults, self.policies, self.protections, self.locks,
                      self.scale_sets, self.storage_accounts):
            by_address.update(_index(group))
        by_vm: dict[str, list[Protection]] = {}
        for item in self.protections:
            if item.vm is not None:
                by_vm.setdefault(item.vm, []).append(item)
        object.__setattr__(self, "_by_address", by_address)
        object.__setattr__(
            self, "_protections_by_vm", {k: tuple(v) for k, v in by_vm.items()}
        )
        object.__setattr__(self, "_protections_by", {
            "policy": _group(self.protections, lambda p: p.policy),
            "vault": _group(self.protections, lambda p: p.vault),
            "vm": _group(self.protections, lambda p: p.vm),
        })
        keys: dict[tuple[str, str], int] = {}
        for position, scale_set in enumerate(self.scale_sets):
            if isinstance(scale_set.id, str):
                keys.setdefault(("id", scale_set.id.lower()), position)
            keys.setdefault(("address", scale_set.address), position)
        object.__setattr__(self, "_scale_set_keys", keys)

    def lookup(self, address: str | None) -> Any:
        """The object declared at ``address``, or None."""
        return None if address is None else self._by_address.get(address)

    def protections_of(self, vm: VirtualMachine) -> tuple[Protection, ...]:
        """Every protected item that points at ``vm``."""
        return self._protections_by_vm.get(vm.address, ())

    def policy_of(self, protection: Protection) -> BackupPolicy | None:
        found = self.lookup(protection.policy)
        return found if isinstance(found, BackupPolicy) else None

    def vault_of(self, protection: Protection) -> Vault | None:
        found = self.lookup(protection.vault)
        return found if isinstance(found, Vault) else None

    def vault_of_policy(self, policy: BackupPolicy) -> Vault | None:
        found = self.lookup(policy.vault)
        return found if isinstance(found, Vault) else None

    def protections_with_policy(self, policy: BackupPolicy) -> tuple[Protection, ...]:
        return self._protections_by["policy"].get(policy.address, ())

    def protections_in_vault(self, vault: Vault) -> tuple[Protection, ...]:
        return self._protections_by["vault"].get(vault.address, ())

    def unread_for(self, address: str) -> tuple[Unread, ...]:
        """The unread parts that may declare something for ``address``: every file that
        could not be parsed, and the modules not followed that are given it."""
        return tuple(part for part in self.unread
                     if part.resource_type == "file" or address in part.given)

    def unlinked_protections(self) -> tuple[Protection, ...]:
        """Protected items whose VM is not declared in this estate (``vm`` is None)."""
        return self._protections_by["vm"].get(None, ())

    def scale_set_of(self, vm: VirtualMachine) -> ScaleSet | None:
        """The first scale set whose id (case-insensitively) or address is the VM's."""
        vm_set = vm.scale_set_id
        if not isinstance(vm_set, str):
            return None
        keys = self._scale_set_keys
        found = [p for p in (keys.get(("id", vm_set.lower())), keys.get(("address", vm_set)))
                 if p is not None]
        return self.scale_sets[min(found)] if found else None

