"""Area *network* (N rows): network settings a restore does not bring back, and storage
firewalls in the way of backup (N13, with FL3)."""

from __future__ import annotations

from collections.abc import Iterator

from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import (
    IpConfiguration,
    ModelObject,
    NetworkInterface,
    StorageAccount,
    Unknown,
    VirtualMachine,
)
from azbackup_policy.rules import Observation, Rule, RuleContext, Severity, Target

from ._helpers import Tri, label, locate, observe, review, rule_factory, same

rule = rule_factory("network")


@rule(
    "BKP-NET-001", "static-private-ip", Severity.WARNING, ("N7", "N8"), Target.VM,
    summary="Know that a VM restored with 'Create new' gets a dynamic private IP.",
    why="Static IPs are not preserved: a VM created from a restore point gets a dynamic IP.",
    fix="Reserve the address again after restore, or rely on DNS names instead of fixed IPs.",
    before='ip_configuration {\n  private_ip_address_allocation = "Static"\n'
    '  private_ip_address            = "10.0.1.10"\n}',
    after='ip_configuration {\n  private_ip_address_allocation = "Dynamic"\n}',
    protected_only=True,
)
def static_private_ip(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    for n, nic in enumerate(vm.nics):
        for i, config in enumerate(nic.ip_configurations):
            subject, path = _where(vm, n, nic, i, config, "allocation")
            yield from review(ctx, subject, config.allocation, f"IP allocation of {label(nic)}",
                              path, vm)
            if same(config.allocation, "Static") is True:
                yield Observation(subject, f"NIC {label(nic)} of VM {label(vm)} has a static "
                                  "private IP (allocation = Static); a restored VM gets a "
                                  "dynamic IP", path, vm)


def _where(vm: VirtualMachine, n: int, nic: NetworkInterface, i: int, config: IpConfiguration,
           field: str) -> tuple[ModelObject, str]:
    """Where an IP configuration field is declared (linkers record it at different levels)."""
    return locate((config, field), (nic, f"ip_configurations.{i}.{field}"),
                  (vm, f"nics.{n}.ip_configurations.{i}.{field}"))


def _special(vm: VirtualMachine) -> list[str]:
    reasons = []
    if len(vm.nics) > 1:
        reasons.append(f"{len(vm.nics)} network interfaces")
    if any(len(nic.ip_configurations) > 1 for nic in vm.nics):
        reasons.append("several IP configurations on one NIC")
    if any(c.load_balancer_backend is True for nic in vm.nics for c in nic.ip_configurations):
        reasons.append("a load balancer backend pool")
    return reasons


@rule(
    "BKP-NET-002", "special-network-restore", Severity.NOTE, ("N2", "N3", "N4", "FL6"),
    Target.VM,
    summary="Know that VMs with special network settings need the special restore steps.",
    why="Load balancers, multiple reserved IPs and multiple NICs are supported, but 'Create "
    "new' restore does not rebuild them: restore disks and deploy from the template. File-level "
    "restore must run on another (compatible) VM.",
    fix="Keep a template to re-create the network configuration; run file recovery elsewhere.",
    before="network_interface_ids = [\n  azurerm_network_interface.front.id,\n"
    "  azurerm_network_interface.back.id,\n]",
    after="network_interface_ids = [azurerm_network_interface.front.id]",
)
def special_network(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    reasons = _special(vm)
    if reasons and ctx.estate.protections_of(vm):
        yield observe(vm, f"VM {label(vm)} has {' and '.join(reasons)}; 'Create new' restore "
                      "does not rebuild them and file-level restore needs another VM", "nics", vm)


@rule(
    "BKP-NET-003", "public-ip-not-restored", Severity.NOTE, ("N5",), Target.VM,
    summary="Know that public IPs are not re-attached after a restore.",
    why="Public IPs are supported, but after a restore you attach an existing public IP to "
    "the NIC or create a new one.",
    fix="Add the public IP re-association to the restore runbook.",
    before="public_ip_address_id = azurerm_public_ip.web.id",
    after="public_ip_address_id = azurerm_public_ip.web.id  # runbook: re-attach after restore",
    protected_only=True,
)
def public_ip(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    for n, nic in enumerate(vm.nics):
        for i, config in enumerate(nic.ip_configurations):
            if config.public_ip_id is not None:
                subject, path = _where(vm, n, nic, i, config, "public_ip_id")
                yield Observation(subject, f"NIC {label(nic)} of VM {label(vm)} has a public "
                                  "IP; it is not re-attached after restore", path, vm)
                return


@rule(
    "BKP-NET-004", "traffic-manager-endpoint", Severity.NOTE, ("N9",), Target.VM,
    summary="Know that a restored VM must be added to its Traffic Manager profile again.",
    why="VMs behind Azure Traffic Manager are supported, but a restored VM is not in the "
    "profile: re-add it (its public IP) as an endpoint by hand (N9).",
    fix="Add re-creating the Traffic Manager endpoint to the restore runbook.",
    before='resource "azurerm_traffic_manager_azure_endpoint" "web" {\n'
    '  target_resource_id = azurerm_public_ip.web.id\n}',
    after='resource "azurerm_traffic_manager_azure_endpoint" "web" {\n'
    '  target_resource_id = azurerm_public_ip.web.id  # runbook: re-add after restore\n}',
)
def traffic_manager(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    endpoint = vm.traffic_manager_endpoint
    if endpoint is not None and ctx.estate.protections_of(vm):
        yield observe(vm, f"Traffic Manager endpoint {endpoint} targets the public IP of VM "
                      f"{label(vm)}; a restored VM must be added to the profile again",
                      "traffic_manager_endpoint", vm)


def _backup_uses(account: StorageAccount, ctx: RuleContext) -> list[str]:
    """What ties ``account`` to VM backup: VHDs of protected VMs, declared restores."""
    uses = []
    for address in account.vhd_of:
        vm = ctx.estate.lookup(address)
        if isinstance(vm, VirtualMachine) and ctx.estate.protections_of(vm):
            uses.append(f"the unmanaged disks (VHDs) of protected VM {label(vm)}")
    uses += [f"the staging data of the restore {address}" for address in account.restore_staging_of]
    return uses


def _trusted_services(bypass: tuple[str, ...] | Unknown | None) -> Tri:
    """Does the firewall let trusted Azure services (Azure Backup among them) through?"""
    if bypass is None:  # not set: the platform default is AzureServices
        return True
    if isinstance(bypass, Unknown):
        return bypass
    return any(word.lower() == "azureservices" for word in bypass)


MATRIX_TEXT = ("the support matrix asks that storage firewall settings allow access from all "
               "networks (N13) and lists file-level restore from network-restricted accounts "
               "as unsupported (FL3)")


@rule(
    "BKP-NET-005", "network-restricted-backup-storage", Severity.WARNING, ("N13", "FL3"),
    Target.STORAGE_ACCOUNT,
    summary="Let storage accounts that hold backed-up VHDs or restore staging data accept "
    "traffic from all networks.",
    why="The support matrix says a storage account's firewall and virtual network settings "
    "should permit access from all networks (N13), and file-level restore from "
    "network-restricted storage accounts is not supported (FL3). This applies to accounts the "
    "deployment ties to VM backup: the account holding the VHDs of a protected VM with "
    "unmanaged disks, and the staging account of a declared restore. Other locked-down "
    "accounts are not concerned. The matrix does not say whether the trusted-services "
    "exception (bypass = AzureServices; Azure Backup is a trusted Microsoft service) is "
    "enough; Microsoft's storage firewall article says it lets VMs with unmanaged disks be "
    "backed up and restored. So an account that denies by default but lets trusted services "
    "through is reported as a note; one without that exception, or with public network "
    "access disabled, as a warning.",
    fix="Allow access from all networks on the account, or at least keep the trusted Azure "
    "services exception; move the VM to managed disks, which the storage firewall does not "
    "concern.",
    before='network_rules {\n  default_action = "Deny"\n  bypass         = ["None"]\n}',
    after='network_rules {\n  default_action = "Allow"\n}',
)
def restricted_backup_storage(account: StorageAccount, ctx: RuleContext
                              ) -> Iterator[Observation]:
    uses = _backup_uses(account, ctx)
    if not uses:
        return
    what = f"storage account {label(account)} holds {'; '.join(uses)}"
    disabled = same(account.public_network_access, "Disabled")
    if disabled is True:
        yield observe(account, f"{what} and has public network access disabled "
                      f"(public_network_access = Disabled); {MATRIX_TEXT}",
                      "public_network_access")
        return
    yield from review(ctx, account, disabled, f"public network access of {label(account)}",
                      "public_network_access")
    denied = same(account.default_action, "Deny")
    yield from review(ctx, account, denied, f"firewall default action of {label(account)}",
                      "default_action")
    if denied is True:
        yield from _default_deny(account, what, ctx)


def _default_deny(account: StorageAccount, what: str, ctx: RuleContext
                  ) -> Iterator[Observation]:
    """A warning without the trusted-services exception; a note with it (see ``why``)."""
    trusted = _trusted_services(account.bypass)
    yield from review(ctx, account, trusted, f"firewall bypass of {label(account)}", "bypass")
    given = ", ".join(account.bypass) if isinstance(account.bypass, tuple) \
        else "not set: AzureServices"
    if trusted is False:
        yield observe(account, f"{what} and denies other networks (default_action = Deny) "
                      f"without the trusted Azure services exception (bypass = "
                      f"{given}); {MATRIX_TEXT}", "default_action")
    elif trusted is True:
        yield observe(account, f"{what} and denies other networks (default_action = Deny) but "
                      f"lets trusted Azure services through (bypass = {given}), which the "
                      "storage firewall article says is enough for backup and restore of "
                      f"unmanaged disks; the matrix does not say so: {MATRIX_TEXT}",
                      "default_action", severity=Severity.NOTE)


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [static_private_ip, special_network, public_ip, traffic_manager,
            restricted_backup_storage]
