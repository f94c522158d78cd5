"""Area *prepost_scripts* (PP rows): app-consistent Oracle backups with pre/post scripts."""

from __future__ import annotations

from collections.abc import Iterator

from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import VirtualMachine
from azbackup_policy.rules import Observation, Rule, RuleContext, Severity, Target

from ._helpers import (
    crash_consistent_only,
    label,
    observe,
    protected_by,
    review,
    rule_factory,
    same,
)

rule = rule_factory("prepost_scripts")


@rule(
    "BKP-PPS-001", "oracle-crash-consistent-policy", Severity.NOTE, ("PP1",), Target.VM,
    summary="Oracle Linux VMs that rely on pre/post scripts use an app-consistent policy.",
    why="Customer-authored pre/post scripts give app-consistent Oracle backups on Oracle Linux "
    "(Oracle 12.x or later). They do not apply to agentless crash-consistent backup, so an "
    "Oracle VM on an `OnlyCrashConsistent` policy gets crash-consistent points only (matrix "
    "row M7: pre/post scripts are not applicable to MDCC). Crash-consistent backup of an Oracle "
    "VM is supported (MDCC is OS-agnostic, OL6), so this is information: a note.",
    fix="Protect Oracle VMs with an app-consistent policy (no `consistency_type`).",
    before='resource "azurerm_backup_policy_vm" "ora" {\n  policy_type      = "V2"\n'
    '  consistency_type = "OnlyCrashConsistent"\n}',
    after='resource "azurerm_backup_policy_vm" "ora" {\n  policy_type = "V2"\n}',
)
def oracle_crash_consistent(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    publisher = vm.image.publisher if vm.image is not None else None
    oracle = same(publisher, ctx.matrix.os.oracle_publisher)
    if oracle is not True:
        yield from review(ctx, vm, oracle, f"image publisher of {label(vm)}", "image.publisher",
                          vm)
        return
    for _, policy in protected_by(vm, ctx):
        only = crash_consistent_only(policy, ctx)
        yield from review(ctx, policy, only, f"consistency type of {label(policy)}",
                          "consistency_type", vm)
        if only is True:
            yield observe(vm, f"Oracle VM {label(vm)} is protected by crash-consistent policy "
                          f"{label(policy)}; Oracle pre/post scripts do not run",
                          "image.publisher", vm)


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [oracle_crash_consistent]
