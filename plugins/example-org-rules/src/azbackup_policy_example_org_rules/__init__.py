"""Example organisation rules for azbackup-policy, shipped as a plugin.

``ACME-TAG-001 backup-tier-tag``: every VM carries a ``backup-tier`` tag whose value names
a backup policy of the same deployment, and the VM is protected with that policy. The
tag name is read from ``options: {example-org-rules: {tag: ...}}`` in the configuration.

It also adds an input format (:mod:`.rest_list`): ARM REST list responses saved with
``az rest``, so live VMs can be checked by the same rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from azbackup_policy.authoring import label, observe, review, rule_factory
from azbackup_policy.formats import FormatSpec
from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import Unknown, VirtualMachine
from azbackup_policy.rules import Observation, Rule, RuleContext, Severity, Target

from .rest_list import REST_LIST

PLUGIN = "example-org-rules"
DEFAULT_TAG = "backup-tier"


def tag_name(ctx: RuleContext) -> str:
    settings = ctx.options.get(PLUGIN)
    tag = settings.get("tag") if isinstance(settings, Mapping) else None
    return tag if isinstance(tag, str) and tag else DEFAULT_TAG


def _tag(tags: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    for key, value in tags.items():
        if str(key).lower() == name.lower():
            return True, value
    return False, None


def _policy_names(ctx: RuleContext) -> tuple[set[str], bool]:
    """Names of the deployment's backup policies, and whether some name is unknown."""
    names = {p.name.lower() for p in ctx.estate.policies if isinstance(p.name, str)}
    return names, any(isinstance(p.name, Unknown) for p in ctx.estate.policies)


rule = rule_factory("organisation")  # dated as the built-in matrix data


@rule(
    "ACME-TAG-001", "backup-tier-tag", Severity.WARNING, ("SC1",), Target.VM,
    summary="Every VM carries a backup-tier tag naming the backup policy that protects it.",
    why="Our operations team finds a VM's backup policy from its `backup-tier` tag. The tag's "
    "value is the name of a backup policy declared in the same deployment, and the VM's "
    "protected item uses that policy.",
    fix="Tag the VM with the name of the backup policy that protects it.",
    before='resource "azurerm_linux_virtual_machine" "web" {\n  tags = { env = "prod" }\n}',
    after='resource "azurerm_linux_virtual_machine" "web" {\n'
    '  tags = { env = "prod", backup-tier = "pol-daily" }\n}',
)
def backup_tier_tag(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    if vm.condition is not None:
        return
    tag = tag_name(ctx)
    if isinstance(vm.tags, Unknown):
        yield from review(ctx, vm, vm.tags, "the VM's tags", "tags")
        return
    present, value = _tag(vm.tags, tag)
    if isinstance(value, Unknown):
        yield from review(ctx, vm, value, f"tag {tag}", f"tags.{tag}", vm)
    elif not present or not isinstance(value, str) or not value.strip():
        yield observe(vm, f"VM {label(vm)} has no {tag} tag naming its backup policy", "tags",
                      vm)
    else:
        yield from _check_tier(vm, ctx, tag, value.strip())


def _check_tier(vm: VirtualMachine, ctx: RuleContext, tag: str,
                tier: str) -> Iterator[Observation]:
    names, some_unknown = _policy_names(ctx)
    if tier.lower() not in names:
        if not some_unknown:
            known = ", ".join(sorted(names)) or "none"
            yield observe(vm, f"VM {label(vm)} has {tag} = {tier!r}, which names no backup "
                          f"policy of this deployment (policies: {known})", f"tags.{tag}", vm)
        return
    for item in ctx.estate.protections_of(vm):
        policy = ctx.estate.policy_of(item)
        if policy is not None and isinstance(policy.name, str) \
                and policy.name.lower() != tier.lower():
            yield observe(vm, f"VM {label(vm)} has {tag} = {tier!r} but is protected with "
                          f"policy {policy.name}", f"tags.{tag}", vm)


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [backup_tier_tag]


@hookimpl
def azbackup_policy_parsers() -> list[FormatSpec]:
    return [REST_LIST]
