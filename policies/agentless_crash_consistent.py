"""Area *agentless_crash_consistent* (M rows): multi-disk crash-consistent (MDCC) backup."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import BackupPolicy, Disk, Unknown, VirtualMachine
from azbackup_policy.rules import Check, Observation, Rule, RuleContext, Severity, Target

from ._helpers import (
    crash_consistent_only,
    disk_label,
    disks_with_path,
    is_enhanced,
    known_int,
    label,
    matching_disks,
    observe,
    protected_by,
    region,
    review,
    rule_factory,
    same,
    size_parts,
    sku_in,
)

rule = rule_factory("agentless_crash_consistent")
_MDCC_POLICY = ('resource "azurerm_backup_policy_vm" "crash" {\n  policy_type      = "V2"\n'
                '  consistency_type = "OnlyCrashConsistent"\n}')
_APP_POLICY = 'resource "azurerm_backup_policy_vm" "enhanced" {\n  policy_type = "V2"\n}'


def mdcc_policy(vm: VirtualMachine, ctx: RuleContext) -> Iterator[BackupPolicy | Observation]:
    """The agentless crash-consistent policies protecting ``vm`` (reviews when unknown)."""
    for _, policy in protected_by(vm, ctx):
        only = crash_consistent_only(policy, ctx)
        if isinstance(only, Unknown):
            yield from ctx.unknown(policy, only, f"consistency type of {label(policy)}",
                                   attribute="consistency_type", vm=vm)
        elif only:
            yield policy


def _mdcc_rule(body: Callable[[VirtualMachine, RuleContext, BackupPolicy],
                              Iterator[Observation]]) -> Check:
    def check(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
        for policy in mdcc_policy(vm, ctx):
            if isinstance(policy, Observation):
                yield policy
            else:
                yield from body(vm, ctx, policy)
                return

    return check


@rule(
    "BKP-MDC-001", "crash-consistent-needs-enhanced", Severity.ERROR, ("M2", "EP16"),
    Target.POLICY,
    summary="An agentless crash-consistent policy (OnlyCrashConsistent) is an Enhanced (V2) "
    "policy.",
    why="Agentless multi-disk crash-consistent backup is available with the Enhanced policy "
    "only (`SimpleSchedulePolicyV2`).",
    fix="Set `policy_type = \"V2\"` on the policy.",
    before='resource "azurerm_backup_policy_vm" "crash" {\n'
    '  consistency_type = "OnlyCrashConsistent"\n}',
    after=_MDCC_POLICY,
)
def needs_enhanced(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
    only = crash_consistent_only(policy, ctx)
    yield from review(ctx, policy, only, f"consistency type of {label(policy)}",
                      "consistency_type")
    if only is not True:
        return
    enhanced = is_enhanced(policy)
    yield from review(ctx, policy, enhanced, f"policy type of {label(policy)}", "policy_type")
    if enhanced is False:
        yield observe(policy, f"policy {label(policy)} is crash-consistent only "
                      f"(consistency_type = {policy.consistency_type}) but Standard "
                      f"(policy_type = {policy.policy_type})", "consistency_type")


def _is_special(ctx: RuleContext) -> Callable[[Disk], str | None]:
    def kind(disk: Disk) -> str | None:
        if sku_in(disk.storage_type, ctx.matrix.disks.ultra_type) is True:
            return f"an Ultra Disk (storage type = {disk.storage_type})"
        if sku_in(disk.storage_type, ctx.matrix.disks.premium_v2_type) is True:
            return f"a Premium SSD v2 disk (storage type = {disk.storage_type})"
        if (known_int(disk.max_shares) or 0) > 1:
            return f"a shared disk (max_shares = {disk.max_shares})"
        if disk.write_accelerator is True:
            return "write-accelerated (write_accelerator = true)"
        return None

    return kind


def _special_disks(vm: VirtualMachine, ctx: RuleContext,
                   policy: BackupPolicy) -> Iterator[Observation]:
    kind = _is_special(ctx)
    for path, disk in disks_with_path(vm):
        for field in ("storage_type", "max_shares", "write_accelerator"):
            yield from review(ctx, disk, getattr(disk, field),
                              f"{field} of {disk_label(path, disk, vm)}", f"{path}.{field}", vm)
        what = kind(disk)
        if what is not None:
            yield observe(disk, f"{disk_label(path, disk, vm)} is {what}; crash-consistent "
                          f"policy {label(policy)} does not support it", path, vm)


unsupported_disks = rule(
    "BKP-MDC-002", "crash-consistent-unsupported-disks", Severity.ERROR, ("M5",), Target.VM,
    summary="A VM on an agentless crash-consistent policy has no Ultra, Premium SSD v2, shared "
    "or write-accelerated disk.",
    why="Agentless multi-disk crash-consistent backup does not support VMs with Ultra Disks, "
    "Premium SSD v2, shared disks or write-accelerated disks.",
    fix="Protect the VM with an app-consistent Enhanced policy instead.",
    before=_MDCC_POLICY, after=_APP_POLICY,
)(_mdcc_rule(_special_disks))


def _ephemeral(vm: VirtualMachine, ctx: RuleContext,
               policy: BackupPolicy) -> Iterator[Observation]:
    disk = vm.os_disk
    if disk is None:
        return
    yield from review(ctx, disk, disk.ephemeral, f"ephemeral OS disk of {label(vm)}",
                      "os_disk.ephemeral", vm)
    if disk.ephemeral is True:
        yield observe(disk, f"OS disk of {label(vm)} is ephemeral (diff_disk_settings.option = "
                      f"Local); crash-consistent policy {label(policy)} does not support it",
                      "os_disk.ephemeral", vm)


ephemeral = rule(
    "BKP-MDC-003", "crash-consistent-ephemeral-os-disk", Severity.ERROR, ("M5",), Target.VM,
    summary="A VM on an agentless crash-consistent policy has no ephemeral OS disk.",
    why="The agentless multi-disk crash-consistent scenarios of the {matrix.article.title} "
    "exclude ephemeral OS disks, although standard backup supports them since 2025 ('VM "
    "storage support').",
    fix="Use an app-consistent policy for VMs with ephemeral OS disks.",
    before=_MDCC_POLICY, after=_APP_POLICY,
)(_mdcc_rule(_ephemeral))


def _size_check(test: Callable[[tuple[str, str, int | None], RuleContext], str | None]) -> Check:
    def body(vm: VirtualMachine, ctx: RuleContext, policy: BackupPolicy) -> Iterator[Observation]:
        yield from review(ctx, vm, vm.size, f"size of {label(vm)}", "size", vm)
        parts = size_parts(vm.size) if isinstance(vm.size, str) else None
        problem = test(parts, ctx) if parts is not None else None
        if problem is not None:
            yield observe(vm, f"VM {label(vm)} has size {vm.size}, {problem}; crash-consistent "
                          f"policy {label(policy)} does not support it", "size", vm)

    return _mdcc_rule(body)


def _not_premium(parts: tuple[str, str, int | None], ctx: RuleContext) -> str | None:
    family, features, _ = parts
    families = {f.lower() for f in ctx.matrix.compute.premium_capable_families}
    if "s" in features or family.endswith("s") or family in families:
        return None
    return "which is not premium-storage capable (no 's' in the size name)"


def _boost(parts: tuple[str, str, int | None], ctx: RuleContext) -> str | None:
    _, features, version = parts
    boost = ctx.matrix.compute.azure_boost
    if version is None or "p" in features:
        return None
    amd = "a" in features
    minimum = boost["amd_min_version"] if amd else boost["intel_min_version"]
    if version >= minimum:
        return f"an Azure Boost size ({'AMD' if amd else 'Intel'} v{version})"
    return None


not_premium = rule(
    "BKP-MDC-004", "crash-consistent-size-not-premium", Severity.ERROR, ("M3",), Target.VM,
    summary="A VM on an agentless crash-consistent policy has a premium-storage-capable size.",
    why="Only premium-storage-capable sizes support agentless crash-consistent backup. The "
    "'s' in a size name (DSv2, Dsv5) marks them, but some families are premium-capable "
    "without it (every M-series size, e.g. Standard_M64; list in matrix.yaml).",
    fix="Resize the VM to an 's' size, or use an app-consistent policy.",
    before='size = "Standard_D2_v3"', after='size = "Standard_D2s_v3"',
)(_size_check(_not_premium))

azure_boost = rule(
    "BKP-MDC-005", "crash-consistent-azure-boost-size", Severity.ERROR, ("M6",), Target.VM,
    summary="A VM on an agentless crash-consistent policy is not an Azure Boost size.",
    why="Azure Boost sizes are not supported: Intel v6 and newer (Dsv6, Edsv6, Esv6, ...) and "
    "AMD v7 and newer (Dasv7, Dadsv7, Easv7, Faldsv7, ...). Versions are in matrix.yaml.",
    fix="Use an app-consistent Enhanced policy, or a v5 size.",
    before='size = "Standard_D4s_v6"', after='size = "Standard_D4s_v5"',
)(_size_check(_boost))


def _caching(vm: VirtualMachine, ctx: RuleContext,
             policy: BackupPolicy) -> Iterator[Observation]:
    hits, reviews = matching_disks(vm, ctx, "caching", lambda v: v if isinstance(
        v, Unknown) else isinstance(v, str) and v.lower() != "none")
    yield from reviews
    for path, disk, value in hits:
        yield observe(disk, f"{disk_label(path, disk, vm)} uses host caching {value}; "
                      f"crash-consistent snapshots by policy {label(policy)} may not succeed",
                      f"{path}.caching", vm)


caching = rule(
    "BKP-MDC-006", "crash-consistent-disk-caching", Severity.WARNING, ("M8",), Target.VM,
    summary="Disks of a VM on an agentless crash-consistent policy use host caching None.",
    why="With read or write host caching, writes in flight during the snapshot may not be "
    "acknowledged, so crash consistency may not succeed (MDCC overview).",
    fix="Set caching to None, or use an app-consistent policy.",
    before='os_disk {\n  caching = "ReadWrite"\n}', after='os_disk {\n  caching = "None"\n}',
)(_mdcc_rule(_caching))


def _sovereign(vm: VirtualMachine, ctx: RuleContext,
               policy: BackupPolicy) -> Iterator[Observation]:
    where = region(vm.location)
    yield from review(ctx, vm, where, f"location of {label(vm)}", "location", vm)
    prefixes = ctx.matrix.regions.sovereign_prefixes
    if isinstance(where, str) and any(where.startswith(p) for p in prefixes):
        yield observe(vm, f"VM {label(vm)} is in {where}; agentless crash-consistent backup is "
                      "documented for Azure public regions only", "location", vm)


sovereign = rule(
    "BKP-MDC-007", "crash-consistent-sovereign-region", Severity.WARNING, ("M1",), Target.VM,
    summary="Agentless crash-consistent backup is used in Azure public regions.",
    why="MDCC is documented as available in all Azure public regions; sovereign clouds "
    "(US Gov, China) are not listed.",
    fix="Use an app-consistent policy in sovereign regions.",
    before='location = "usgovvirginia"  # with OnlyCrashConsistent',
    after='location = "usgovvirginia"  # with an app-consistent V2 policy',
)(_mdcc_rule(_sovereign))


def _confidential(vm: VirtualMachine, ctx: RuleContext,
                  policy: BackupPolicy) -> Iterator[Observation]:
    cvm = same(vm.security_type, "ConfidentialVM")
    yield from review(ctx, vm, cvm, f"security type of {label(vm)}", "security_type", vm)
    if cvm is True:
        yield observe(vm, f"Confidential VM {label(vm)} is protected by crash-consistent policy "
                      f"{label(policy)}; MDCC does not support CVMs", "security_type", vm)


confidential = rule(
    "BKP-MDC-008", "crash-consistent-confidential-vm", Severity.ERROR, ("M10", "SE11"),
    Target.VM,
    summary="Confidential VMs are not protected with agentless crash-consistent policies.",
    why="The CVM backup preview does not support multi-disk crash-consistent backup.",
    fix="Protect CVMs with an app-consistent Enhanced policy.",
    before=_MDCC_POLICY, after=_APP_POLICY,
)(_mdcc_rule(_confidential))


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [needs_enhanced, unsupported_disks, ephemeral, not_premium, azure_boost, caching,
            sovereign, confidential]
