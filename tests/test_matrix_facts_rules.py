"""Matrix facts the rule tests did not pin: each test names the fact it protects.

These close the surviving mutants of the test review (``../shared/reviews/tests.md`` §3; the
mutant id is in each docstring; ``tools/mutants.py`` re-runs them). Every test checks both
sides of the fact, so that the rule cannot pass by saying nothing at all.
"""

from __future__ import annotations

from policies_support import (
    POLICY_ADDR,
    VAULT_ADDR,
    VM_ADDR,
    Setup,
    U,
    data_disk,
    enhanced,
    estate,
    nic,
    os_disk,
    policy,
    protection,
    reviews,
    violations,
)

from azbackup_policy.model import Image, IpConfiguration, MarketplacePlan

TL = {"security_type": "TrustedLaunch", "secure_boot": True, "vtpm": True}


# --- compute --------------------------------------------------------------------------------

def test_a_vm_that_already_was_trusted_launch_is_not_a_conversion() -> None:
    """CMP-004 (C18): only a VM *converted* to Trusted Launch must move to Enhanced first (P12)."""
    updated = Setup(vm={**TL, "previous_security_type": "TrustedLaunch"})
    converted = Setup(vm={**TL, "previous_security_type": "Standard"})
    assert violations("BKP-CMP-004", estate(updated)) == []
    assert len(violations("BKP-CMP-004", estate(converted))) == 1


def test_marketplace_plan_note_only_for_protected_vms() -> None:
    """CMP-011 (C4, A17) is about restoring a backed-up VM: an unprotected VM has nothing to
    restore (P13)."""
    plan = {"plan": MarketplacePlan(name="byol")}
    assert violations("BKP-CMP-011", estate(Setup(vm=plan, protection=None))) == []
    assert len(violations("BKP-CMP-011", estate(Setup(vm=plan)))) == 1


# --- storage --------------------------------------------------------------------------------

def test_ephemeral_os_disk_only_matters_for_protected_vms() -> None:
    """STO-003 (ST4): ephemeral OS disks cannot be backed up; unprotected VMs get nothing (P08)."""
    eph = {"os_disk": os_disk(ephemeral=True)}
    assert violations("BKP-STO-003", estate(Setup(vm=eph, protection=None))) == []
    assert len(violations("BKP-STO-003", estate(Setup(vm=eph)))) == 1


def test_dynamic_volume_note_needs_a_known_windows_os() -> None:
    """STO-016 (ST19) is about Windows dynamic volumes: an unknown OS type is no violation (P07)."""
    selective = {"include_luns": (0,)}
    disks = {"data_disks": (data_disk(0),)}
    unknown = Setup(vm={**disks, "os_type": U("var.os_type")}, protection=selective)
    windows = Setup(vm={**disks, "os_type": "Windows"}, protection=selective)
    linux = Setup(vm={**disks, "os_type": "Linux"}, protection=selective)
    assert violations("BKP-STO-016", estate(unknown)) == []
    assert violations("BKP-STO-016", estate(linux)) == []
    assert len(violations("BKP-STO-016", estate(windows))) == 1


# --- frequency and retention ----------------------------------------------------------------

def test_weekly_policy_needs_weekly_retention() -> None:
    """FRQ-017 (F6): a Weekly schedule requires the weekly retention tier (P23)."""
    weekly = {"frequency": "Weekly", "weekdays": ("Sunday",), "retention_daily": None}
    found = violations("BKP-FRQ-017", estate(Setup(policy=weekly)))
    assert len(found) == 1 and "Weekly" in found[0].message
    kept = estate(Setup(policy={**weekly, "retention_weekly": 12}))
    assert violations("BKP-FRQ-017", kept) == []


def test_weekly_retention_counts_seven_days_a_week() -> None:
    """FRQ-010/011 (F17): vault retention of a Weekly policy is weeks x 7 days (P19)."""
    weekly = {"frequency": "Weekly", "weekdays": ("Sunday",), "retention_daily": None,
              "retention_weekly": 1}
    # one week keeps 7 days: 5 days of snapshots fit (Enhanced and Standard)
    assert violations("BKP-FRQ-010", estate(Setup(policy=enhanced(
        **weekly, instant_restore_days=5)))) == []
    assert violations("BKP-FRQ-011", estate(Setup(policy={
        **weekly, "instant_restore_days": 5}))) == []
    # 8 days of snapshots do not fit into one week
    found = violations("BKP-FRQ-010", estate(Setup(policy=enhanced(
        **weekly, instant_restore_days=8))))
    assert len(found) == 1 and "only 7 days" in found[0].message


def test_recovery_point_limit_is_9999_inclusive() -> None:
    """FRQ-016 (F1): at most 9999 recovery points; exactly 9999 is allowed (P21)."""
    at_limit = {"retention_daily": 9999, "instant_restore_days": None}
    over = {"retention_daily": 10000, "instant_restore_days": None}
    assert violations("BKP-FRQ-016", estate(Setup(policy=at_limit))) == []
    found = violations("BKP-FRQ-016", estate(Setup(policy=over)))
    assert len(found) == 1 and "about 10000 recovery points" in found[0].message


def test_hourly_policy_counts_every_snapshot_of_the_day() -> None:
    """FRQ-016 (F1, F7, A16): an hourly policy keeps several snapshots a day (every 4 h over
    24 h is 6) for each instant-restore day; a daily policy with the same counts keeps one a
    day (P22). Written to hold whether the daily snapshot is counted as a point of its own or
    as the daily recovery point."""
    counts = {"retention_daily": 9975, "instant_restore_days": 5}
    hourly = enhanced(frequency="Hourly", hourly_interval=4, hourly_window_hours=24,
                      hourly_start="00:00", **counts)
    daily = enhanced(frequency="Daily", **counts)
    assert len(violations("BKP-FRQ-016", estate(Setup(policy=hourly)))) == 1
    assert violations("BKP-FRQ-016", estate(Setup(policy=daily))) == []


def test_backup_frequency_names_are_matched_without_case() -> None:
    """FRQ-004 (F1): Azure reads the schedule run frequency case-insensitively (P27)."""
    assert violations("BKP-FRQ-004", estate(Setup(policy={"frequency": "daily"}))) == []
    assert len(violations("BKP-FRQ-004", estate(Setup(policy={"frequency": "Monthly"})))) == 1


# --- coverage -------------------------------------------------------------------------------

def test_a_vm_behind_an_unevaluable_condition_is_not_reported_unprotected() -> None:
    """COV-001 (SC1): a VM whose ARM/Bicep condition is unknown may not exist; unknown is not
    absent, so it is a review in strict mode, never a violation (P28)."""
    conditional = estate(Setup(vm={"condition": U("parameters('deployJump')")}, protection=None))
    assert violations("BKP-COV-001", conditional) == []
    assert violations("BKP-COV-001", conditional, strict=True) == []
    assert len(reviews("BKP-COV-001", conditional)) == 1
    plain = estate(Setup(protection=None))
    assert len(violations("BKP-COV-001", plain)) == 1


def _twice_protected(vm_fields: dict[str, object]) -> Setup:
    """The VM protected by an agent-based policy and by a crash-consistent-only one."""
    mdcc = policy(address="azurerm_backup_policy_vm.mdcc", name="pol-mdcc",
                  **enhanced(consistency_type="OnlyCrashConsistent"))
    second = protection(address="azurerm_backup_protected_vm.vm2", policy=mdcc.address)
    return Setup(vm=vm_fields, extra={"policies": (mdcc,), "protections": (second,)})


def test_agent_rules_apply_while_any_agent_based_policy_protects_the_vm() -> None:
    """COV-002/003 (SC1, L1): only a VM protected *only* by agentless crash-consistent policies
    is exempt; one agent-based policy still needs the agent and extensions (P29)."""
    for rule_id, field in (("BKP-COV-002", "vm_agent"), ("BKP-COV-003", "extension_operations")):
        found = violations(rule_id, estate(_twice_protected({field: False})))
        assert len(found) == 1, rule_id
        only_mdcc = _twice_protected({field: False})
        only_mdcc = Setup(vm=only_mdcc.vm, protection=None, extra=only_mdcc.extra)
        assert violations(rule_id, estate(only_mdcc)) == [], rule_id


def test_policy_of_another_vault_is_found_by_vault_name_without_case() -> None:
    """COV-004 (SC1): when the policy's vault is known only by name, the names are compared as
    Azure compares resource names: without case (P30)."""
    same_vault = Setup(policy={"vault": None, "vault_name": "RSV-App"})
    other_vault = Setup(policy={"vault": None, "vault_name": "rsv-other"})
    assert violations("BKP-COV-004", estate(same_vault)) == []
    found = violations("BKP-COV-004", estate(other_vault))
    assert len(found) == 1 and "of vault rsv-other" in found[0].message


# --- network --------------------------------------------------------------------------------

def test_special_network_reasons_each_give_the_note() -> None:
    """NET-002 (N2-N4): several IP configurations on one NIC, or a load balancer backend pool,
    each need the special restore steps (P37)."""
    two_ips = nic(IpConfiguration(allocation="Dynamic"), IpConfiguration(allocation="Dynamic"))
    behind_lb = nic(IpConfiguration(allocation="Dynamic", load_balancer_backend=True))
    found = violations("BKP-NET-002", estate(Setup(vm={"nics": (two_ips,)})))
    assert len(found) == 1 and "several IP configurations on one NIC" in found[0].message
    found = violations("BKP-NET-002", estate(Setup(vm={"nics": (behind_lb,)})))
    assert len(found) == 1 and "a load balancer backend pool" in found[0].message
    assert violations("BKP-NET-002", estate(Setup())) == []
    assert violations("BKP-NET-002", estate(Setup(vm={"nics": (two_ips,)}, protection=None))) == []


# --- Windows --------------------------------------------------------------------------------

def _windows(sku: str) -> Setup:
    return Setup(vm={"os_type": "Windows", "image": Image(
        publisher="MicrosoftWindowsServer", offer="WindowsServer", sku=sku)})


def test_each_windows_sku_gets_one_verdict() -> None:
    """W1/W2: a SKU the 2026 matrix dropped (2012 R2) is WIN-001's warning only; a SKU that is
    neither listed nor dropped is WIN-002's note only; a listed one gets neither (P39)."""
    dropped, unrecognised, listed = (_windows("2012-R2-Datacenter"),
                                     _windows("datacenter-core-1803"), _windows("2022-datacenter"))
    assert len(violations("BKP-WIN-001", estate(dropped))) == 1
    assert violations("BKP-WIN-002", estate(dropped)) == []
    assert violations("BKP-WIN-001", estate(unrecognised)) == []
    assert len(violations("BKP-WIN-002", estate(unrecognised))) == 1
    assert violations("BKP-WIN-001", estate(listed)) == []
    assert violations("BKP-WIN-002", estate(listed)) == []


def test_support_addresses_are_the_one_vm_estate() -> None:
    """The helpers above rely on the one-VM estate linking VM, policy and vault by address."""
    target = estate(Setup())
    item = target.protections[0]
    assert (item.vm, item.policy, item.vault) == (VM_ADDR, POLICY_ADDR, VAULT_ADDR)
