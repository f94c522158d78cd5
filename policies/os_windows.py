"""Area *os_windows* (W rows): supported Windows versions for agent-based backup."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import VirtualMachine
from azbackup_policy.rules import Check, Observation, Rule, RuleContext, Severity, Target

from ._helpers import agent_based, label, observe, one_of, review, rule_factory

rule = rule_factory("os_windows")


def _sku(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation | str]:
    """Reviews, then the image SKU of an agent-protected Windows marketplace image."""
    image = vm.image
    if image is None or not agent_based(vm, ctx):
        return
    publisher = one_of(image.publisher, ctx.matrix.os.windows_publishers)
    yield from review(ctx, vm, publisher, f"image publisher of {label(vm)}", "image.publisher",
                      vm)
    if publisher is True:
        yield from review(ctx, vm, image.sku, f"image SKU of {label(vm)}", "image.sku", vm)
        if isinstance(image.sku, str):
            yield image.sku


def _matches(sku: str, patterns: Sequence[str]) -> bool:
    return any(re.search(p, sku, re.IGNORECASE) for p in patterns)


def _windows_rule(unsupported: bool) -> Check:
    def check(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
        bad = ctx.matrix.os.windows_unsupported_sku_patterns
        good = ctx.matrix.os.windows_supported_sku_patterns
        for sku in _sku(vm, ctx):
            if isinstance(sku, Observation):
                yield sku
            elif unsupported and _matches(sku, bad):
                yield observe(vm, f"VM {label(vm)} runs Windows image SKU {sku}, which the "
                              "03/26/2026 matrix does not list as supported (the VM agent is "
                              "unsupported)",
                              "image.sku", vm)
            elif not unsupported and not _matches(sku, bad) and not _matches(sku, good):
                yield observe(vm, f"VM {label(vm)} runs Windows image SKU {sku}, which is not a "
                              "recognised supported version (2016-2025, Windows 10/11)",
                              "image.sku", vm)

    return check


old_windows = rule(
    "BKP-WIN-001", "windows-version-unsupported", Severity.WARNING, ("W1", "W2"), Target.VM,
    summary="Agent-based backup protects only Windows versions on the supported list "
    "(Server 2016-2025, Windows 10/11 64-bit).",
    why="The {matrix.article.date} revision of the {matrix.article.title} ('Operating system "
    "support (Windows)') dropped Windows Server 2012 R2, 2012, 2008 R2 and 2008 (older "
    "revisions listed them with a limited-support note), and lists no "
    "Windows client before Windows 10 (Windows 7, 8, 8.1 images). Agentless "
    "crash-consistent backup is OS-agnostic and is the way to protect them.",
    fix="Upgrade the OS, or protect the VM with an agentless crash-consistent policy.",
    before='source_image_reference {\n  publisher = "MicrosoftWindowsServer"\n'
    '  offer     = "WindowsServer"\n  sku       = "2012-R2-Datacenter"\n}',
    after='source_image_reference {\n  publisher = "MicrosoftWindowsServer"\n'
    '  offer     = "WindowsServer"\n  sku       = "2022-datacenter-azure-edition"\n}',
)(_windows_rule(True))

unlisted_windows = rule(
    "BKP-WIN-002", "windows-version-unlisted", Severity.NOTE, ("W1",), Target.VM,
    summary="Know when a Windows image SKU is not recognised as a supported version.",
    why="Only the versions on the supported list are covered by agent-based backup; an SKU "
    "that matches none of the known patterns (matrix.yaml) should be checked by hand.",
    fix="Use a listed Windows version, or confirm support and suppress this note.",
    before='sku = "datacenter-core-1803-with-containers-smalldisk"',
    after='sku = "2022-datacenter-core"',
)(_windows_rule(False))


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [old_windows, unlisted_windows]
