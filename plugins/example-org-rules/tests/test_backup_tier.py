"""Tests of the example plugin; run with the plugin installed (pip install -e .[test])."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from azbackup_policy_example_org_rules import azbackup_policy_rules, backup_tier_tag

from azbackup_policy.model import BackupPolicy, Estate, Protection, Unknown, VirtualMachine
from azbackup_policy.rules import Kind
from azbackup_policy.testing import assert_findings, check_estate

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "backup-tier"


def vm(name: str, tags: Mapping[str, Any] | Unknown) -> VirtualMachine:
    return VirtualMachine(address=f"azurerm_linux_virtual_machine.{name}", name=name, tags=tags)


def estate(*vms: VirtualMachine, protect_with: str | None = None) -> Estate:
    policies = (BackupPolicy(address="azurerm_backup_policy_vm.daily", name="pol-daily"),
                BackupPolicy(address="azurerm_backup_policy_vm.weekly", name="pol-weekly"))
    items = tuple(
        Protection(address=f"p.{m.name}", vm=m.address, policy=protect_with)
        for m in vms if protect_with
    )
    return Estate(vms=vms, policies=policies, protections=items)


def flagged(state: Estate, strict: bool = False) -> dict[str, Kind]:
    findings = check_estate(state, [backup_tier_tag], strict=strict)
    return {f.resource.address.rsplit(".", 1)[-1]: f.kind for f in findings}


def test_the_hook_returns_the_rule() -> None:
    assert azbackup_policy_rules() == [backup_tier_tag]


def test_tag_naming_a_policy_passes_and_others_fail() -> None:
    state = estate(vm("pass_tagged", {"Backup-Tier": "pol-daily"}),
                   vm("fail_untagged", {"env": "prod"}),
                   vm("fail_empty", {"backup-tier": " "}),
                   vm("fail_gold", {"backup-tier": "gold"}))
    assert flagged(state) == {"fail_untagged": Kind.VIOLATION, "fail_empty": Kind.VIOLATION,
                              "fail_gold": Kind.VIOLATION}


def test_protected_with_another_policy_fails() -> None:
    state = estate(vm("fail_mismatch", {"backup-tier": "pol-weekly"}),
                   protect_with="azurerm_backup_policy_vm.daily")
    assert flagged(state) == {"fail_mismatch": Kind.VIOLATION}


def test_unknown_tags_are_reviews_only_in_strict_mode() -> None:
    state = estate(vm("unknown", Unknown("var.tags")),
                   vm("unknown_value", {"backup-tier": Unknown("var.tier")}))
    assert flagged(state) == {}
    assert set(flagged(state, strict=True).values()) == {Kind.REVIEW}


def test_the_entry_point_is_declared() -> None:
    names = {ep.name for ep in metadata.entry_points(group="azbackup_policy")}
    assert "example-org-rules" in names


def test_the_fixture_gives_exactly_the_fail_vms() -> None:
    assert_findings(str(FIXTURE), [backup_tier_tag], {
        ("ACME-TAG-001", 'azurerm_linux_virtual_machine.vm["fail_no_policy"]'),
        ("ACME-TAG-001", 'azurerm_linux_virtual_machine.vm["fail_untagged"]'),
    })
