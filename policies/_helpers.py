"""Small helpers shared by the built-in policy modules (private to this package); the
public ones (rule_factory, limit, same, observe, review...) come from the rule kit,
:mod:`azbackup_policy.authoring`, which plugins use too.

Everything here reads only the model and the matrix data in ``RuleContext.matrix``.
Tri-state answers are ``True``/``False`` or an :class:`Unknown`, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from azbackup_policy import authoring
from azbackup_policy.authoring import RuleMaker as RuleMaker
from azbackup_policy.authoring import Tri as Tri
from azbackup_policy.authoring import label as label
from azbackup_policy.authoring import make_help as make_help
from azbackup_policy.authoring import observe as observe
from azbackup_policy.authoring import one_of as one_of
from azbackup_policy.authoring import protected_only as protected_only
from azbackup_policy.authoring import review as review
from azbackup_policy.authoring import same as same
from azbackup_policy.model import (
    BackupPolicy,
    Disk,
    ModelObject,
    Protection,
    Unknown,
    Vault,
    VirtualMachine,
)
from azbackup_policy.rules import Observation, RuleContext, Severity

from ._severity_rationale import RATIONALE

DiskHit = tuple[str, Disk, Any]  # (model path, disk, the matching value)


def rule_factory(area: str) -> Callable[..., RuleMaker]:
    """The public :func:`azbackup_policy.authoring.rule_factory` with the built-in policies'
    severity rationales (the article date is the matrix data's)."""
    return authoring.rule_factory(area, rationale=lambda rule_id: RATIONALE.get(rule_id, ""))




def sku_in(value: object, *skus: str) -> Tri:
    """Is a disk SKU (storage account type) one of ``skus``? Azure reads SKUs case-insensitively
    (``premium_lrs`` is Premium_LRS), so every SKU comparison of the rules goes through here."""
    return one_of(value, skus)


def sku_test(*skus: str) -> Callable[[object], Tri]:
    """``sku_in`` as a one-argument test (for ``matching_disks``)."""
    return lambda value: sku_in(value, *skus)


def region(value: object) -> str | Unknown | None:
    """An Azure location normalised to its short name (``West Europe`` -> ``westeurope``)."""
    if isinstance(value, str):
        return value.replace(" ", "").lower()
    return value if isinstance(value, Unknown) else None


def subscription_of(obj: VirtualMachine | Vault) -> str | Unknown | None:
    """The subscription id stated on the object, else parsed from its ARM id."""
    if obj.subscription_id is not None:
        return obj.subscription_id
    if isinstance(obj.id, str):
        match = re.match(r"^/subscriptions/([^/]+)", obj.id, re.IGNORECASE)
        return match.group(1).lower() if match else None
    return obj.id if isinstance(obj.id, Unknown) else None


def is_enhanced(policy: BackupPolicy) -> Tri:
    """True for an Enhanced (V2) policy: ``policy_type`` V2 or a V2 schedule type."""
    if same(policy.schedule_policy_type, "SimpleSchedulePolicyV2") is True:
        return True
    return same(policy.policy_type, "V2")


def crash_consistent_only(policy: BackupPolicy, ctx: RuleContext) -> Tri:
    return same(policy.consistency_type, ctx.matrix.policy.crash_consistent_value)


def protected_by(
    vm: VirtualMachine, ctx: RuleContext
) -> Iterator[tuple[Protection, BackupPolicy]]:
    """Each protected item of ``vm`` whose policy is declared, with that policy."""
    for item in ctx.estate.protections_of(vm):
        policy = ctx.estate.policy_of(item)
        if policy is not None:
            yield item, policy


def vault_of_vm(vm: VirtualMachine, ctx: RuleContext) -> Iterator[tuple[Protection, Vault]]:
    for item in ctx.estate.protections_of(vm):
        vault = ctx.estate.vault_of(item)
        if vault is not None:
            yield item, vault


def disks_with_path(vm: VirtualMachine) -> Iterator[tuple[str, Disk]]:
    """Every disk with its model path: ``os_disk``, ``data_disks.0``, ..."""
    if vm.os_disk is not None:
        yield "os_disk", vm.os_disk
    for index, disk in enumerate(vm.data_disks):
        yield f"data_disks.{index}", disk


def disk_label(path: str, disk: Disk, vm: VirtualMachine) -> str:
    if path == "os_disk":
        return f"OS disk of {label(vm)}"
    name = f" {disk.name}" if isinstance(disk.name, str) else ""
    lun = f" (LUN {disk.lun})" if isinstance(disk.lun, int) else ""
    return f"data disk{name}{lun} of {label(vm)}"


def locate(*options: tuple[ModelObject, str]) -> tuple[ModelObject, str]:
    """The first (object, attribute) whose object has a span for the attribute, else the
    first one with an address, else the last."""
    for obj, attr in options:
        if attr in obj.attr_spans:
            return obj, attr
    return next(((o, a) for o, a in options if o.address), options[-1])


def disk_flag(
    vm: VirtualMachine,
    ctx: RuleContext,
    field: str,
    test: Callable[[Any], Tri],
) -> Iterator[DiskHit | Observation]:
    """Disks whose ``field`` passes ``test``; reviews for unknown values are yielded too."""
    for path, disk in disks_with_path(vm):
        value = getattr(disk, field)
        verdict = test(value)
        if isinstance(verdict, Unknown):
            what = f"{field} of {disk_label(path, disk, vm)}"
            yield from review(ctx, disk, verdict, what, f"{path}.{field}", vm)
        elif verdict:
            yield path, disk, value


def matching_disks(
    vm: VirtualMachine, ctx: RuleContext, field: str, test: Callable[[Any], Tri]
) -> tuple[list[DiskHit], list[Observation]]:
    """``disk_flag`` split into (matches, reviews)."""
    hits: list[DiskHit] = []
    reviews: list[Observation] = []
    for item in disk_flag(vm, ctx, field, test):
        if isinstance(item, Observation):
            reviews.append(item)
        else:
            hits.append(item)
    return hits, reviews


def known_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def size_parts(size: str) -> tuple[str, str, int | None] | None:
    """``Standard_D4as_v5`` -> (family ``D``, features ``as``, version 5)."""
    match = re.match(
        r"^(?:standard|basic)_([a-z]+?)(\d+)(?:-\d+)?([a-z]*)(?:_.*?_?v(\d+))?(?:_v(\d+))?$",
        size.lower(),
    )
    if match is None:
        return None
    family, _, features, version_a, version_b = match.groups()
    version = version_a or version_b
    return family, features, int(version) if version else None


def excluded(item: Protection, lun: object) -> Tri:
    """Is the data disk at ``lun`` left out of backup by ``item``'s selective disk backup?"""
    if isinstance(lun, Unknown):
        return lun
    for field, inclusion in (("include_luns", True), ("exclude_luns", False)):
        luns = getattr(item, field)
        if isinstance(luns, Unknown):
            return luns
        if luns is not None:
            return (lun in luns) != inclusion
    return False


def selective(item: Protection) -> Tri:
    """Does ``item`` configure selective disk backup?"""
    for luns in (item.include_luns, item.exclude_luns):
        if isinstance(luns, Unknown):
            return luns
        if luns is not None:
            return True
    return False


def has_ade(vm: VirtualMachine, ctx: RuleContext) -> Tri:
    """Is the Azure Disk Encryption extension declared on ``vm``?"""
    types = ctx.matrix.os.ade_extension_types
    unsure: Unknown | None = None  # an extension that may be ADE: the first unknown part
    for ext in vm.extensions:
        if ext.is_azure_disk_encryption:
            return True
        publisher = one_of(ext.publisher, ["Microsoft.Azure.Security"])
        kind = one_of(ext.extension_type, types)
        if publisher is True and kind is True:
            return True
        if publisher is False or kind is False or unsure is not None:
            continue
        unsure = next(part for part in (publisher, kind) if isinstance(part, Unknown))
    return False if unsure is None else unsure


def each_enhanced_gap(
    vm: VirtualMachine, ctx: RuleContext, what: str, attribute: str | None
) -> Iterator[tuple[Protection, BackupPolicy] | Observation]:
    """The (item, policy) pairs of ``vm`` whose policy is not Enhanced; reviews when unknown."""
    for item, policy in protected_by(vm, ctx):
        enhanced = is_enhanced(policy)
        if isinstance(enhanced, Unknown):
            yield from ctx.unknown(vm, enhanced, f"policy type of {label(policy)} for {what}",
                                   attribute=attribute, vm=vm)
        elif not enhanced:
            yield item, policy


def agent_based(vm: VirtualMachine, ctx: RuleContext) -> bool:
    """True when ``vm`` is protected by a policy known not to be agentless crash-consistent."""
    return any(crash_consistent_only(p, ctx) is False for _, p in protected_by(vm, ctx))


FALLBACK = ("; its Enhanced policy falls back to a crash-consistent snapshot (S13 FAQ), so "
            "backups are crash-consistent only")


def agent_fallback(vm: VirtualMachine, ctx: RuleContext) -> tuple[Severity | None, str]:
    """(severity, message tail) for an agent problem of ``vm``: when every agent-based policy
    protecting it is Enhanced, the service falls back to crash-consistent snapshots (S13
    FAQ: Guest Agent issues, VMSnapshot extension issues, an unsupported OS), so backup is
    degraded -- a warning; otherwise (a Standard policy) backup fails: the rule's error."""
    policies = [p for _, p in protected_by(vm, ctx) if crash_consistent_only(p, ctx) is not True]
    if policies and all(is_enhanced(p) is True for p in policies):
        return Severity.WARNING, FALLBACK
    return None, ""


def item_label(item: Protection, ctx: RuleContext) -> str:
    """A readable name for a protected item: its VM's name when linked (ARM item names are
    long ``vault/Azure/iaasvmcontainer;...`` paths)."""
    vm = vm_of(item, ctx)
    if vm is not None:
        return f"the protected item of VM {label(vm)}"
    return f"protected item {label(item)}"


_RESOURCE_ID = re.compile(
    r"(?:^|[^\w.])(?:azurerm_\w+|azapi_\w+|data\.\w+\.\w+)\.|resourceid\(|"
    r"subscriptionresourceid\(|extensionresourceid\(|^\(knownafterapply\)$")


def present(value: object) -> Tri:
    """Is an optional reference (an id) set? An unknown id that is the id of a declared
    resource (``resourceId(...)``, ``azurerm_x.y.id``, a plan's computed id) is still *set*;
    a variable, a parameter or a conditional expression may be null, so it stays open."""
    if isinstance(value, Unknown):
        text = value.expression.replace(" ", "").lower()
        if "if(" in text or "?" in text or not _RESOURCE_ID.search(text):
            return value
        return True
    return value is not None


def vm_of(item: Protection, ctx: RuleContext) -> VirtualMachine | None:
    """The VM a protected item points at, when it is declared."""
    found = ctx.estate.lookup(item.vm)
    return found if isinstance(found, VirtualMachine) else None
