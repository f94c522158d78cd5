"""Unit tests of the frequency_retention and agentless_crash_consistent rules."""

from __future__ import annotations

import pytest
from policies_support import (
    Case,
    Setup,
    U,
    assert_case,
    data_disk,
    enhanced,
    estate,
    ids,
    os_disk,
    params,
    protection,
    violations,
)

from azbackup_policy.model import Estate

HOURLY = enhanced(frequency="Hourly", hourly_interval=4, hourly_window_hours=12)
MDCC = enhanced(consistency_type="OnlyCrashConsistent")
NO_CACHE = {"os_disk": os_disk(caching="None")}

CASES = [
    Case("BKP-FRQ-001", Setup(policy={"frequency": "Hourly"}), Setup(policy=HOURLY),
         "runs Hourly but is Standard (policy_type = V1)", "frequency",
         Setup(policy={"frequency": U("var.freq")})),
    Case("BKP-FRQ-002", Setup(policy={**HOURLY, "hourly_interval": 3}), Setup(policy=HOURLY),
         "runs every 3 hours", "hourly_interval",
         Setup(policy={**HOURLY, "hourly_interval": U("var.i")})),
    Case("BKP-FRQ-003", Setup(policy={**HOURLY, "hourly_interval": 8,
                                      "client_validation": "azurerm"}),
         Setup(policy={**HOURLY, "hourly_interval": 6, "client_validation": "azurerm"}),
         "12-hour window that is not a multiple of its 8-hour interval", "hourly_window_hours",
         Setup(policy={**HOURLY, "hourly_window_hours": U("var.w")})),
    Case("BKP-FRQ-004", Setup(policy={"frequency": "Monthly"}), Setup(),
         "has frequency Monthly", "frequency", Setup(policy={"frequency": U("var.f")})),
    Case("BKP-FRQ-005", Setup(policy={"instant_restore_days": 7}), Setup(),
         "keeps instant-restore snapshots 7 days", "instant_restore_days",
         Setup(policy={"instant_restore_days": U("var.ir")})),
    Case("BKP-FRQ-006", Setup(policy={"frequency": "Weekly", "retention_daily": None,
                                      "retention_weekly": 12, "instant_restore_days": 2}),
         Setup(policy={"frequency": "Weekly", "retention_weekly": 12, "instant_restore_days": 5}),
         "keeps snapshots 2 days", "instant_restore_days",
         Setup(policy={"frequency": "Weekly", "retention_weekly": 12,
                       "instant_restore_days": U("var.ir")})),
    Case("BKP-FRQ-007", Setup(policy=enhanced(instant_restore_days=31)), Setup(policy=enhanced()),
         "keeps instant-restore snapshots 31 days", "instant_restore_days",
         Setup(policy=enhanced(instant_restore_days=U("var.ir")))),
    Case("BKP-FRQ-008", Setup(policy={**HOURLY, "hourly_window_hours": 24,
                                      "instant_restore_days": 18}),
         Setup(policy={**HOURLY, "hourly_window_hours": 24, "instant_restore_days": 17}),
         "takes 6 snapshots a day and keeps them 18 days", "instant_restore_days",
         Setup(policy={**HOURLY, "instant_restore_days": U("var.ir")})),
    Case("BKP-FRQ-009", Setup(policy={**HOURLY, "hourly_interval": 8, "hourly_window_hours": 24,
                                      "instant_restore_days": 23}),
         Setup(policy={**HOURLY, "hourly_interval": 8, "hourly_window_hours": 24,
                       "instant_restore_days": 22}), "no ceiling for 3 a day",
         "instant_restore_days",
         Setup(policy={**HOURLY, "hourly_interval": 8, "instant_restore_days": U("v")})),
    Case("BKP-FRQ-010", Setup(policy=enhanced(instant_restore_days=14, retention_daily=7)),
         Setup(policy=enhanced()), "keeps snapshots 14 days but vault recovery points only 7",
         "instant_restore_days"),
    Case("BKP-FRQ-011", Setup(policy={"instant_restore_days": 5, "retention_daily": 3}),
         Setup(), "keeps snapshots 5 days but vault recovery points only 3",
         "instant_restore_days"),
    Case("BKP-FRQ-012", Setup(policy={"retention_daily": 6}), Setup(policy={"retention_daily": 7}),
         "keeps daily points 6 days", "retention_daily",
         Setup(policy={"retention_daily": U("var.days")})),
    Case("BKP-FRQ-013", Setup(policy={"retention_weekly": 5164}),
         Setup(policy={"retention_weekly": 5163}), "keeps weekly points 5164 weeks",
         "retention_weekly", Setup(policy={"retention_weekly": U("var.w")})),
    Case("BKP-FRQ-014", Setup(policy={"retention_monthly": 1189}),
         Setup(policy={"retention_monthly": 1188}), "1189 months", "retention_monthly",
         Setup(policy={"retention_monthly": U("var.m")})),
    Case("BKP-FRQ-015", Setup(policy={"retention_yearly": 100}),
         Setup(policy={"retention_yearly": 99}), "100 years", "retention_yearly",
         Setup(policy={"retention_yearly": U("var.y")})),
    Case("BKP-FRQ-016", Setup(policy={"retention_daily": 9999, "retention_weekly": 5163}),
         Setup(policy={"retention_daily": 9999, "retention_weekly": 1428}),
         "keeps about 13734 recovery points", "retention_daily"),
    Case("BKP-FRQ-017", Setup(policy={"retention_daily": None}), Setup(),
         "runs Daily but sets no daily retention", "frequency",
         Setup(policy={"frequency": U("var.f"), "retention_daily": None})),
    Case("BKP-FRQ-018", Setup(policy={"time_zone": "W. Europe Standard Time"}), Setup(),
         "observes daylight saving time", "time_zone", Setup(policy={"time_zone": U("var.tz")})),
    Case("BKP-FRQ-022", Setup(policy=enhanced(), vault={"location": "chinanorth3"}),
         Setup(policy=enhanced()), "in chinanorth3", "policy_type",
         Setup(policy=enhanced(), vault={"location": U("var.location")})),
    Case("BKP-FRQ-021", Setup(policy={"schedule_policy_type": "SimpleSchedulePolicyV2"}),
         Setup(policy={"schedule_policy_type": "SimpleSchedulePolicy"}),
         "policy_type = V1 but schedule_policy_type = SimpleSchedulePolicyV2", "policy_type",
         Setup(policy={"schedule_policy_type": "SimpleSchedulePolicy",
                       "policy_type": U("var.t")})),
    Case("BKP-MDC-001", Setup(policy={"consistency_type": "OnlyCrashConsistent"}),
         Setup(policy=MDCC), "is crash-consistent only", "consistency_type",
         Setup(policy={"consistency_type": U("var.c")})),
    Case("BKP-MDC-002", Setup(vm={**NO_CACHE, "data_disks": (data_disk(0, max_shares=3),)},
                              policy=MDCC), Setup(vm=NO_CACHE, policy=MDCC),
         "is a shared disk (max_shares = 3)", None,
         Setup(vm={"data_disks": (data_disk(0, storage_type=U("v")),)}, policy=MDCC)),
    Case("BKP-MDC-003", Setup(vm={"os_disk": os_disk(ephemeral=True)}, policy=MDCC),
         Setup(vm={"os_disk": os_disk(ephemeral=True)}, policy=enhanced()),
         "is ephemeral", "os_disk.ephemeral",
         Setup(vm={"os_disk": os_disk(ephemeral=U("v"))}, policy=MDCC)),
    Case("BKP-MDC-004", Setup(vm={"size": "Standard_D2_v3"}, policy=MDCC),
         Setup(vm={"size": "Standard_DS2_v2"}, policy=MDCC), "not premium-storage capable",
         "size", Setup(vm={"size": U("var.size")}, policy=MDCC)),
    Case("BKP-MDC-005", Setup(vm={"size": "Standard_E4ads_v7"}, policy=MDCC),
         Setup(vm={"size": "Standard_D4as_v6"}, policy=MDCC), "an Azure Boost size (AMD v7)",
         "size", Setup(vm={"size": "Standard_D4s_v6"},
                       policy={**MDCC, "consistency_type": U("var.c")})),
    Case("BKP-MDC-006", Setup(policy=MDCC), Setup(vm=NO_CACHE, policy=MDCC),
         "uses host caching ReadWrite", "os_disk.caching",
         Setup(vm={"os_disk": os_disk(caching=U("var.c"))}, policy=MDCC)),
    Case("BKP-MDC-007", Setup(vm={"location": "usgovvirginia"}, policy=MDCC),
         Setup(vm={"location": "usgovvirginia"}, policy=enhanced()), "is in usgovvirginia",
         "location", Setup(vm={"location": U("var.loc")}, policy=MDCC)),
    Case("BKP-MDC-008", Setup(vm={"security_type": "ConfidentialVM"}, policy=MDCC),
         Setup(vm={"security_type": "TrustedLaunch"}, policy=MDCC), "MDCC does not support",
         "security_type", Setup(vm={"security_type": U("var.st")}, policy=MDCC)),
]


@pytest.mark.parametrize(("case", "outcome"), params(CASES), ids=ids)
def test_frequency_and_mdcc_rule(case: Case, outcome: str) -> None:
    assert_case(case, outcome)


def test_intel_v6_is_azure_boost_but_amd_v6_is_not() -> None:
    intel = estate(Setup(vm={"size": "Standard_D4s_v6"}, policy=MDCC))
    amd = estate(Setup(vm={"size": "Standard_D4as_v6"}, policy=MDCC))
    assert "Intel v6" in violations("BKP-MDC-005", intel)[0].message
    assert violations("BKP-MDC-005", amd) == []


def test_window_outside_range() -> None:
    found = violations("BKP-FRQ-003", estate(Setup(policy={**HOURLY, "hourly_window_hours": 28})))
    assert "it must be 4-24 hours" in found[0].message


def _many(count: int, vault_count: int = 1) -> Estate:
    base = estate(Setup())
    items = tuple(protection(address=f"azurerm_backup_protected_vm.p[{i}]") for i in range(count))
    return Estate(vms=base.vms, policies=base.policies, vaults=base.vaults, protections=items)


def test_items_per_policy_and_vms_per_vault() -> None:
    assert violations("BKP-FRQ-019", _many(100)) == []
    assert "protects 101 VMs" in violations("BKP-FRQ-019", _many(101))[0].message
    assert violations("BKP-FRQ-020", _many(1000)) == []
    assert "protects 1001 VMs" in violations("BKP-FRQ-020", _many(1001))[0].message
