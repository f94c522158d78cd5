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


def _label(vm: VirtualMachine) -> str:
    return f"{vm.name} ({vm.address})" if isinstance(vm.name, str) else vm.address


def _tag(tags: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    for key, value in tags.items():
        if str(key).lower() == name.lower():
            return True, value
    return False, None


def _policy_names(ctx: RuleContext) -> tuple[set[str], bool]:
    """Names of the deployment's backup policies, and whether some name is unknown."""
    names = {p.name.lower() for p in ctx.estate.policies if isinstance(p.name, str)}
    return names, any(isinstance(p.name, Unknown) for p in ctx.estate.policies)


def check_backup_tier(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    if vm.condition is not None:
        return
    tag = tag_name(ctx)
    if isinstance(vm.tags, Unknown):
        yield from ctx.unknown(vm, vm.tags, "the VM's tags", attribute="tags")
        return
    present, value = _tag(vm.tags, tag)
    if isinstance(value, Unknown):
        yield from ctx.unknown(vm, value, f"tag {tag}", attribute=f"tags.{tag}", vm=vm)
    elif not present or not isinstance(value, str) or not value.strip():
        yield Observation(subject=vm, attribute="tags", vm=vm,
                          message=f"VM {_label(vm)} has no {tag} tag naming its backup policy")
    else:
        yield from _check_tier(vm, ctx, tag, value.strip())


def _check_tier(vm: VirtualMachine, ctx: RuleContext, tag: str,
                tier: str) -> Iterator[Observation]:
    names, some_unknown = _policy_names(ctx)
    if tier.lower() not in names:
        if not some_unknown:
            known = ", ".join(sorted(names)) or "none"
            yield Observation(subject=vm, attribute=f"tags.{tag}", vm=vm,
                              message=f"VM {_label(vm)} has {tag} = {tier!r}, which names no "
                              f"backup policy of this deployment (policies: {known})")
        return
    for item in ctx.estate.protections_of(vm):
        policy = ctx.estate.policy_of(item)
        if policy is not None and isinstance(policy.name, str) \
                and policy.name.lower() != tier.lower():
            yield Observation(subject=vm, attribute=f"tags.{tag}", vm=vm,
                              message=f"VM {_label(vm)} has {tag} = {tier!r} but is protected "
                              f"with policy {policy.name}")


BACKUP_TIER_TAG = Rule(
    id="ACME-TAG-001",
    name="backup-tier-tag",
    area="organisation",
    severity=Severity.WARNING,
    matrix_rows=("SC1",),
    summary="Every VM carries a backup-tier tag naming the backup policy that protects it.",
    help="""\
Our operations team finds a VM's backup policy from its `backup-tier` tag. The tag's value
is the name of a backup policy declared in the same deployment, and the VM's protected
item uses that policy.

Before (Terraform):

    resource "azurerm_linux_virtual_machine" "web" {
      tags = { env = "prod" }
    }

After:

    resource "azurerm_linux_virtual_machine" "web" {
      tags = { env = "prod", backup-tier = "pol-daily" }
    }
""",
    target=Target.VM,
    check=check_backup_tier,
    article_date="2026-03-26",
    tags=("example", "organisation"),
)


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [BACKUP_TIER_TAG]


@hookimpl
def azbackup_policy_parsers() -> list[FormatSpec]:
    return [REST_LIST]
