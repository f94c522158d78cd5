"""Area *compute* (C rows): VM size, Trusted Launch, scale sets, placement and plans."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import Protection, ScaleSet, Unknown, VirtualMachine
from azbackup_policy.rules import Check, Kind, Observation, Rule, RuleContext, Severity, Target

from . import _protection_intent as intent
from ._helpers import (
    each_enhanced_gap,
    item_label,
    label,
    observe,
    present,
    protected_only,
    review,
    rule_factory,
    same,
)

rule = rule_factory("compute")


@rule(
    "BKP-CMP-001", "vm-size-below-minimum", Severity.ERROR, ("C1",), Target.VM,
    summary="A protected VM has at least {matrix.compute.min_vcpus} vCPUs and "
    "{matrix.compute.min_memory_gb} GB of memory.",
    why="Azure Backup backs up any VM with at least {matrix.compute.min_vcpus} CPU cores and "
    "{matrix.compute.min_memory_gb} GB RAM. Sizes below that "
    "(1-vCPU A/B/D/F sizes, 0.5 GB B1ls ...) are listed in matrix.yaml `compute.size_catalogue`.",
    fix="Choose a size with at least {matrix.compute.min_vcpus} vCPUs and "
    "{matrix.compute.min_memory_gb} GB of memory.",
    before='resource "azurerm_linux_virtual_machine" "jump" {\n  size = "Standard_B1s"\n}',
    after='resource "azurerm_linux_virtual_machine" "jump" {\n  size = "Standard_B2s"\n}',
    protected_only=True,
)
def vm_size_below_minimum(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    yield from review(ctx, vm, vm.size, f"size of {label(vm)}", "size", vm)
    catalogue = {k.lower(): v for k, v in ctx.matrix.compute.size_catalogue.items()}
    entry = catalogue.get(vm.size.lower()) if isinstance(vm.size, str) else None
    if entry is None:
        return
    vcpus, memory = entry["vcpus"], entry["memory_gb"]
    min_vcpus, min_memory = ctx.matrix.compute.min_vcpus, ctx.matrix.compute.min_memory_gb
    if vcpus < min_vcpus or memory < min_memory:
        yield observe(vm, f"VM {label(vm)} has size {vm.size} ({vcpus} vCPU, {memory} GB); Azure "
                      f"Backup needs at least {min_vcpus} vCPUs and {min_memory} GB of memory",
                      "size", vm)


def _tl_standard(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Protection | Observation]:
    trusted = same(vm.security_type, "TrustedLaunch")
    yield from review(ctx, vm, trusted, f"security type of {label(vm)}", "security_type", vm)
    if trusted is not True:
        return
    for item in each_enhanced_gap(vm, ctx, "Trusted Launch", "security_type"):
        yield item if isinstance(item, Observation) else item[0]


def _min_api(ctx: RuleContext) -> str:
    return str(ctx.matrix.policy.trusted_launch_standard_min_api)


def _old_api(item: Protection, ctx: RuleContext) -> bool:
    return item.api_version is not None and item.api_version[:10] < _min_api(ctx)


@rule(
    "BKP-CMP-002", "trusted-launch-standard-policy-old-api", Severity.ERROR, ("C18", "EP2"),
    Target.VM,
    summary="A Trusted Launch VM on a Standard policy is protected through API "
    "{matrix.policy.trusted_launch_standard_min_api} or newer.",
    why="Trusted Launch VMs can use the Standard policy only through CLI >= 2.73.0, PowerShell "
    "Az >= 14.0.0 or REST API >= {matrix.policy.trusted_launch_standard_min_api} (the note in "
    "'Back up an Azure VM using Enhanced policy'; that article's CLI tab still says Enhanced "
    "only, we follow the newer note). An older API version fails.",
    fix="Deploy the protected item with apiVersion "
    "{matrix.policy.trusted_launch_standard_min_api} or newer, or use Enhanced policy.",
    before="resource item 'Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/"
    "protectedItems@2023-04-01' = {\n  properties: { policyId: dailyV1.id }\n}",
    after="resource item 'Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/"
    "protectedItems@2025-01-01' = {\n  properties: { policyId: dailyV1.id }\n}",
    lang="bicep",
)
def tl_standard_old_api(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    for item in _tl_standard(vm, ctx):
        if isinstance(item, Observation):
            yield item
        elif _old_api(item, ctx):
            yield observe(item, f"Trusted Launch VM {label(vm)} uses a Standard policy through "
                          f"{item_label(item, ctx)} with apiVersion {item.api_version}; "
                          f"Standard policy for Trusted Launch needs {_min_api(ctx)} or newer",
                          "policy", vm)


@rule(
    "BKP-CMP-003", "trusted-launch-standard-policy", Severity.NOTE, ("C18", "EP2"), Target.VM,
    summary="Know the conditions of protecting a Trusted Launch VM with a Standard policy.",
    why="Trusted Launch with Standard policy works only from CLI >= 2.73.0, PowerShell Az >= "
    "14.0.0 or REST >= 2025-01-01 (the portal offers Enhanced only), and it keeps instant-"
    "restore snapshots as managed-disk snapshots (Enhanced-like snapshot cost).",
    fix="Prefer an Enhanced (V2) policy for Trusted Launch VMs.",
    before='resource "azurerm_backup_policy_vm" "daily" {\n  policy_type = "V1"\n}',
    after='resource "azurerm_backup_policy_vm" "enhanced" {\n  policy_type = "V2"\n}',
)
def tl_standard(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    for item in _tl_standard(vm, ctx):
        if isinstance(item, Observation):
            yield item
        elif not _old_api(item, ctx):
            yield observe(item, f"Trusted Launch VM {label(vm)} is protected by a Standard "
                          f"policy through {item_label(item, ctx)}; this needs a recent client and "
                          "uses managed-disk snapshots", "policy", vm)


@rule(
    "BKP-CMP-004", "trusted-launch-conversion-standard-policy", Severity.ERROR,
    ("C18", "EP3"), Target.VM,
    summary="A VM converted to Trusted Launch is moved to an Enhanced policy first.",
    why="Converting an existing Gen2 VM protected by a Standard policy to Trusted Launch "
    "requires switching the VM to Enhanced policy first; otherwise backups fail.",
    fix="Move the protected item to a `policy_type = \"V2\"` policy, then convert the VM.",
    before='resource "azurerm_windows_virtual_machine" "api" {\n  secure_boot_enabled = true\n'
    '  vtpm_enabled        = true\n}\n# item still on azurerm_backup_policy_vm.daily (V1)',
    after='resource "azurerm_backup_protected_vm" "api" {\n'
    '  backup_policy_id = azurerm_backup_policy_vm.enhanced.id\n}',
)
def tl_conversion(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    before = vm.previous_security_type
    if before is None:
        return
    yield from review(ctx, vm, before, f"previous security type of {label(vm)}",
                      "security_type", vm)
    if not isinstance(before, str) or same(before, "TrustedLaunch") is True:
        return
    for item in _tl_standard(vm, ctx):
        if isinstance(item, Protection):
            yield observe(vm, f"VM {label(vm)} changes from security type {before} to "
                          f"TrustedLaunch while {item_label(item, ctx)} uses a Standard "
                          "policy", "security_type", vm)


@rule(
    "BKP-CMP-005", "trusted-data-disk", Severity.ERROR, ("C18",), Target.VM,
    summary="No data disk of a protected VM has security type TrustedLaunch or ConfidentialVM.",
    why="Data disks whose security type is TrustedLaunch or ConfidentialVM (for example a "
    "Trusted Launch OS disk attached elsewhere as a data disk) are not supported.",
    fix="Attach a regular data disk (copy the data to a disk without a security profile).",
    before='resource "azurerm_managed_disk" "old_os" {\n  security_type = '
    '"TrustedLaunch"\n}',
    after='resource "azurerm_managed_disk" "data" {\n  create_option = "Empty"\n}',
    protected_only=True,
)
def trusted_data_disk(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    prefixes = [p.lower() for p in ctx.matrix.disks.trusted_data_disk_security_types]
    for index, disk in enumerate(vm.data_disks):
        kind, path = disk.security_type, f"data_disks.{index}.security_type"
        yield from review(ctx, disk, kind, f"security type of data disk {index}", path, vm)
        if isinstance(kind, str) and any(kind.lower().startswith(p) for p in prefixes):
            yield observe(disk, f"data disk {label(disk)} of VM {label(vm)} has security type "
                          f"{kind}; such data disks are not supported", path, vm)


def _vm_flag(field: str, test: object, message: str) -> Check:
    """``test`` None: the (id) field is set; a string: equal to it; True: is True."""

    def check(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
        value = getattr(vm, field)
        if test is None:
            verdict = present(value)
        elif isinstance(test, str):
            verdict = same(value, test)
        else:
            verdict = value if isinstance(value, Unknown) else value is test
        yield from review(ctx, vm, verdict, f"{field} of {label(vm)}", field, vm)
        if verdict is True:
            yield observe(vm, f"VM {label(vm)} has {field} = {value}; {message}", field, vm)

    return protected_only(check)


diagnostics = rule(
    "BKP-CMP-006", "diagnostic-settings", Severity.WARNING, ("C8",), Target.VM,
    summary="Know that a VM with diagnostic settings cannot be restored with 'Create new'.",
    why="Backup of a VM with diagnostic settings works, but 'Create new VM' restore fails.",
    fix="Restore such VMs with 'Restore disks' and deploy from the template, or drop the "
    "diagnostic setting.",
    before='resource "azurerm_monitor_diagnostic_setting" "vm" {\n'
    '  target_resource_id = azurerm_linux_virtual_machine.web.id\n}',
    after="# no diagnostic setting on the VM (collect with the Azure Monitor agent instead)",
)(_vm_flag("has_diagnostic_settings", True, "a 'Create new' restore of this VM fails"))

spot = rule(
    "BKP-CMP-008", "spot-vm", Severity.WARNING, ("C12",), Target.VM,
    summary="Know that a Spot VM is restored as a regular VM.",
    why="Restoring as Spot is not supported: the restored VM has regular priority.",
    fix="Set priority again after restore, or protect only regular VMs.",
    before='resource "azurerm_linux_virtual_machine" "batch" {\n  priority = "Spot"\n}',
    after='resource "azurerm_linux_virtual_machine" "batch" {\n  priority = "Regular"\n}',
)(_vm_flag("priority", "Spot", "restores come back as regular (non-Spot) VMs"))

@rule(
    "BKP-CMP-009", "dedicated-host", Severity.NOTE, ("C13",), Target.VM,
    summary="Know that a VM on a dedicated host (or in a host group) is restored via disks.",
    why="'Create new' restore does not land the VM on the dedicated host; restore the disks, "
    "create the VM on the host from the template and attach them. Not applicable to the "
    "secondary region during Cross Region Restore. A VM placed in a host group "
    "(`dedicated_host_group_id`, `hostGroup.id`) is on a dedicated host too.",
    fix="Plan restores as 'Restore disks' + template deployment onto the host.",
    before='resource "azurerm_windows_virtual_machine" "sql" {\n'
    '  dedicated_host_id = azurerm_dedicated_host.h1.id\n}',
    after="# same VM; document the restore-disks runbook for the host",
)
def dedicated_host(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    for field in ("dedicated_host_id", "dedicated_host_group_id"):
        found = list(_vm_flag(field, None, "'Create new' restore cannot place it on the host")(
            vm, ctx))
        yield from found
        if any(o.kind is Kind.VIOLATION for o in found):
            return


availability_set = rule(
    "BKP-CMP-010", "availability-set", Severity.NOTE, ("C2", "VM7"), Target.VM,
    summary="Know that quick 'Create new' restore cannot place a VM into its availability set.",
    why="VMs in availability sets are supported, but restore must go through 'Restore disks' "
    "(with the template's availability-set option) or 'Replace disks'.",
    fix="Use 'Restore disks' and deploy the template into the availability set.",
    before='resource "azurerm_linux_virtual_machine" "web" {\n'
    '  availability_set_id = azurerm_availability_set.web.id\n}',
    after="# same VM; restore runbook uses 'Restore disks' + template",
)(_vm_flag("availability_set_id", None, "'Create new' restore cannot target the set"))


@rule(
    "BKP-CMP-007", "uniform-scale-set", Severity.ERROR, ("C16",), Target.VM,
    summary="A protected VM belongs to no scale set or to a Flexible-orchestration scale set.",
    why="Azure Backup supports individual VMs of Flexible-orchestration scale sets only.",
    fix="Use a Flexible scale set (`azurerm_orchestrated_virtual_machine_scale_set`).",
    before='resource "azurerm_linux_virtual_machine_scale_set" "web" {}',
    after='resource "azurerm_orchestrated_virtual_machine_scale_set" "web" {\n'
    '  platform_fault_domain_count = 1\n}',
    protected_only=True,
)
def uniform_scale_set(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    mode = vm.scale_set_orchestration
    scale_set = ctx.estate.scale_set_of(vm)
    if mode is None and scale_set is not None:
        mode = scale_set.orchestration_mode
    yield from review(ctx, vm, mode, f"scale set orchestration of {label(vm)}",
                      "scale_set_orchestration", vm)
    if same(mode, "Uniform") is True:
        yield observe(vm, f"VM {label(vm)} belongs to a scale set with orchestration mode "
                      f"{mode}; only Flexible orchestration is supported", "scale_set_id", vm)


@rule(
    "BKP-CMP-011", "marketplace-plan", Severity.WARNING, ("C4", "A17"), Target.VM,
    summary="Know that a VM with a Marketplace plan is restored only as disks.",
    why="Marketplace VMs need purchase information, so they are restored as disks, not as "
    "VMs; if the publisher later removes the plan, 'Create new' restore fails "
    "({matrix.article.title}, 'VM compute support': restore to the original VM keeps "
    "working).",
    fix="Keep a template to re-create the VM with its plan from restored disks.",
    before='resource "azurerm_linux_virtual_machine" "fw" {\n  plan {\n'
    '    name = "byol"\n  }\n}',
    after="# same VM; restore runbook: restore disks, then create the VM with its plan",
)
def marketplace_plan(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    if vm.plan is not None and ctx.estate.protections_of(vm):
        name = vm.plan.name if isinstance(vm.plan.name, str) else "?"
        yield observe(vm, f"VM {label(vm)} has Marketplace plan {name}; it can be restored only "
                      "as disks", "plan.name", vm)


@rule(
    "BKP-CMP-012", "extended-zone-needs-enhanced", Severity.ERROR, ("A14", "EP3"), Target.VM,
    summary="A VM in an Azure Extended Zone is protected with an Enhanced (V2) policy.",
    why="VMs in Extended Zones (extendedLocation EdgeZone) are supported only through Enhanced "
    "policy, with crash-consistent snapshots.",
    fix="Protect the VM with a `policy_type = \"V2\"` policy.",
    before='resource "azurerm_linux_virtual_machine" "edge" {\n  edge_zone = "losangeles"\n}\n'
    '# protected with azurerm_backup_policy_vm.daily (V1)',
    after='resource "azurerm_backup_policy_vm" "enhanced" {\n  policy_type = "V2"\n}',
)
def extended_zone(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    zone = vm.extended_location
    yield from review(ctx, vm, zone, f"extended location of {label(vm)}", "extended_location", vm)
    if not isinstance(zone, str):
        return
    for item in each_enhanced_gap(vm, ctx, "Extended Zones", "extended_location"):
        if isinstance(item, Observation):
            yield item
        else:
            yield observe(vm, f"VM {label(vm)} is in Extended Zone {zone} but policy "
                          f"{label(item[1])} is Standard", "extended_location", vm)


def _refers_to(ref: object, scale_set: ScaleSet) -> bool:
    """Does a protected item's source id name ``scale_set`` (its id, its name, its address)?"""
    if isinstance(ref, str):
        text = ref.lower()
        if isinstance(scale_set.id, str) and text == scale_set.id.lower():
            return True
        return isinstance(scale_set.name, str) and \
            text.endswith(f"/virtualmachinescalesets/{scale_set.name.lower()}")
    if isinstance(ref, Unknown):
        text = ref.expression.lower()
        name = scale_set.name.lower() if isinstance(scale_set.name, str) else None
        return (bool(scale_set.address) and f"{scale_set.address.lower()}." in text) or \
            (name is not None and "virtualmachinescalesets" in text and f"'{name}'" in text)
    return False


def _must_be_protected(scale_set: ScaleSet, ctx: RuleContext) -> list[str | Unknown]:
    """Why the scale set's instances are meant to be backed up (Unknown: cannot tell)."""
    reasons: list[str | Unknown] = []
    if any(_refers_to(item.vm_id, scale_set) for item in ctx.estate.protections):
        reasons.append("a protected item points at it")
    organisation = ctx.options.get("organisation")
    settings = organisation if isinstance(organisation, Mapping) else {}
    if settings.get("require_protection") is True:
        reasons.append("your organisation requires every VM to be protected (require-protection)")
    reasons += intent.by_setting(scale_set, settings.get("protect_tag"))
    reasons += intent.by_policy(scale_set, ctx.estate.policy_assignments)
    return reasons


@rule(
    "BKP-CMP-013", "uniform-scale-set-instances", Severity.WARNING, ("C16",), Target.SCALE_SET,
    summary="Scale sets whose instances are meant to be backed up use Flexible orchestration.",
    why="Azure Backup protects individual VMs of Flexible-orchestration scale sets only (C16); "
    "the instances of a Uniform scale set cannot be backed up. A Uniform scale set nobody "
    "means to back up (stateless instances) is fine, so this fires only when something says "
    "the instances must be backed up: a protected item points at the scale set; the "
    "organisation setting `require-protection` is on; the scale set carries the tag named by "
    "`organisation.protect-tag` (`backup` or `backup=required`); or an Azure Policy assignment "
    "in the unit of a built-in \"Configure backup on virtual machines with a given tag ...\" "
    "definition names a tag and value the scale set carries (or a \"... without a given tag "
    "...\" one does not exclude it). Those definitions match `Microsoft.Compute/virtualMachines` "
    "only, so they never protect the instances. An assignment whose scope is unknown is taken "
    "to cover the unit it is declared in. The message says which reason applied.",
    fix="Use Flexible orchestration (`azurerm_orchestrated_virtual_machine_scale_set`, or "
    "`orchestrationMode: 'Flexible'`) and protect its VMs, or keep the instances stateless "
    "(and drop the tag).",
    before='resource "azurerm_linux_virtual_machine_scale_set" "web" {\n'
    '  tags = { backup = "daily" }  # a backup-by-tag policy assignment names it\n}',
    after='resource "azurerm_orchestrated_virtual_machine_scale_set" "web" {\n'
    '  platform_fault_domain_count = 1\n  tags = { backup = "daily" }\n}',
)
def uniform_scale_set_instances(scale_set: ScaleSet, ctx: RuleContext) -> Iterator[Observation]:
    mode = scale_set.orchestration_mode
    if same(mode, "Flexible") is True:
        return
    reasons = _must_be_protected(scale_set, ctx)
    known = [r for r in reasons if isinstance(r, str)]
    if not known:
        for unknown in (r for r in reasons if isinstance(r, Unknown)):
            yield from review(ctx, scale_set, unknown,
                              f"whether {label(scale_set)} is meant to be backed up", "tags")
        return
    yield from review(ctx, scale_set, mode, f"orchestration mode of {label(scale_set)}",
                      "orchestration_mode")
    if same(mode, "Uniform") is True:
        yield observe(scale_set, f"scale set {label(scale_set)} uses Uniform orchestration and "
                      f"{'; '.join(known)}; Azure Backup cannot back up its instances (only VMs "
                      "of Flexible scale sets)", "orchestration_mode")


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [vm_size_below_minimum, tl_standard_old_api, tl_standard, tl_conversion,
            trusted_data_disk, diagnostics, uniform_scale_set, spot, dedicated_host,
            availability_set, marketplace_plan, extended_zone, uniform_scale_set_instances]
