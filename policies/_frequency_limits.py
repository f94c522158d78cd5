"""Rules of area *frequency_retention* about scale and shape (split out to keep modules small).

Registered by :mod:`frequency_retention`; this module has no hook of its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from azbackup_policy.model import BackupPolicy, Unknown, Vault
from azbackup_policy.rules import Observation, Rule, RuleContext, Severity, Target

from ._helpers import (
    is_enhanced,
    known_int,
    label,
    observe,
    region,
    review,
    rule_factory,
    same,
)

rule = rule_factory("frequency_retention")


def snapshots_per_day(policy: BackupPolicy, ctx: RuleContext) -> int | Unknown | None:
    """Snapshots an hourly policy takes a day: window // interval (A16's own example: every 4 h
    over 24 h is 6). The window defaults to the portal's 24 h; None for other schedules."""
    if same(policy.frequency, "Hourly") is not True:
        return None
    for value in (policy.hourly_interval, policy.hourly_window_hours):
        if isinstance(value, Unknown):
            return value
    interval = known_int(policy.hourly_interval)
    window = known_int(policy.hourly_window_hours)
    if window is None:
        window = ctx.matrix.policy.hourly_default_window
    return max(1, window // interval) if interval else None


_TIER_DAYS = (("weekly", 7.0), ("monthly", 365.25 / 12), ("yearly", 365.25))


def recovery_points(policy: BackupPolicy, ctx: RuleContext) -> tuple[int, int]:
    """(vault points, extra snapshots) a policy keeps at once, counted as the service keeps them.

    A point retained by several tiers is one point: the weekly point of a week the daily tier
    still holds is that day's daily point. So each tier adds only the points older than the
    longest horizon of the tiers before it. An hourly policy also keeps, for its snapshot
    retention, the snapshots of the day that are not the daily point (snapshots a day - 1);
    the daily snapshot is the daily recovery point itself."""
    daily = known_int(policy.retention_daily) or 0
    total, horizon = daily, float(daily)
    for tier, days in _TIER_DAYS:
        span = (known_int(getattr(policy, f"retention_{tier}")) or 0) * days
        if span > horizon:
            total += math.ceil((span - horizon) / days)
            horizon = span
    count = snapshots_per_day(policy, ctx)
    extra = 0
    if isinstance(count, int):
        extra = (known_int(policy.instant_restore_days) or 0) * (count - 1)
    return total, extra


@rule(
    "BKP-FRQ-016", "too-many-recovery-points", Severity.WARNING, ("F1", "F7"), Target.POLICY,
    summary="A policy keeps at most {matrix.policy.max_recovery_points} recovery points per "
    "protected item.",
    why="A protected instance can hold at most {matrix.policy.max_recovery_points} recovery "
    "points. Retention tiers overlap "
    "(a weekly point of a week the daily tier still keeps is that day's daily point), so the "
    "estimate counts each point once: the daily count, then the weekly, monthly and yearly "
    "points older than the tiers before them, plus the extra snapshots an hourly policy keeps.",
    fix="Lower the retention counts.",
    before="retention_daily {\n  count = 9999\n}\nretention_weekly {\n  count = 5163\n}",
    after="retention_daily {\n  count = 9999\n}\nretention_weekly {\n  count = 1000\n}",
)
def too_many_points(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
    maximum = ctx.matrix.policy.max_recovery_points
    points, snapshots = recovery_points(policy, ctx)
    if points + snapshots > maximum:
        extra = f" + {snapshots} extra snapshots" if snapshots else ""
        yield observe(policy, f"policy {label(policy)} keeps about {points + snapshots} recovery "
                      f"points ({points} vault points{extra}, overlapping tiers counted once); "
                      f"the limit is {maximum}", "retention_daily")


@rule(
    "BKP-FRQ-017", "missing-retention-block", Severity.ERROR, ("F6", "EP17"), Target.POLICY,
    summary="A Daily policy has daily retention and a Weekly policy has weekly retention.",
    why="The retention tier of the schedule is required: daily retention for Daily schedules, "
    "weekly retention for Weekly schedules.",
    fix="Add the retention block of the schedule's frequency.",
    before='backup {\n  frequency = "Daily"\n  time      = "23:00"\n}',
    after='backup {\n  frequency = "Daily"\n  time      = "23:00"\n}\n'
    "retention_daily {\n  count = 30\n}",
)
def missing_retention(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
    yield from review(ctx, policy, policy.frequency, f"frequency of {label(policy)}", "frequency")
    for frequency, tier in (("Daily", "daily"), ("Weekly", "weekly")):
        if same(policy.frequency, frequency) is True and getattr(
                policy, f"retention_{tier}") is None:
            yield observe(policy, f"policy {label(policy)} runs {frequency} but sets no {tier} "
                          f"retention (retention_{tier})", "frequency")


@rule(
    "BKP-FRQ-018", "dst-time-zone", Severity.NOTE, ("A12",), Target.POLICY,
    summary="Know that backup times are not adjusted for daylight saving time.",
    why="Automatic clock adjustment for DST is not supported: the backup runs at the same UTC "
    "time all year. Time zones observing DST are listed in matrix.yaml.",
    fix="Use UTC, or review the schedule when DST starts and ends.",
    before='timezone = "W. Europe Standard Time"', after='timezone = "UTC"',
)
def dst_time_zone(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
    zone = policy.time_zone
    yield from review(ctx, policy, zone, f"time zone of {label(policy)}", "time_zone")
    zones = {z.lower() for z in ctx.matrix.policy.dst_time_zones}
    if isinstance(zone, str) and zone.lower() in zones:
        yield observe(policy, f"policy {label(policy)} uses time zone {zone}, which observes "
                      "daylight saving time; the backup time is not adjusted", "time_zone")


@rule(
    "BKP-FRQ-019", "too-many-items-per-policy", Severity.ERROR, ("F16",), Target.POLICY,
    summary="At most {matrix.policy.max_items_per_policy} VMs are protected with one backup "
    "policy.",
    why="A backup policy can protect at most {matrix.policy.max_items_per_policy} VMs (FAQ).",
    fix="Create another policy with the same schedule for the extra VMs.",
    before="backup_policy_id = azurerm_backup_policy_vm.daily.id  # 150 VMs",
    after="backup_policy_id = azurerm_backup_policy_vm.daily[count.index % 2].id",
)
def too_many_items(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
    maximum = ctx.matrix.policy.max_items_per_policy
    count = len(ctx.estate.protections_with_policy(policy))
    if count > maximum:
        yield observe(policy, f"policy {label(policy)} protects {count} VMs; the limit is "
                      f"{maximum}", None)


@rule(
    "BKP-FRQ-020", "too-many-vms-per-vault", Severity.ERROR, ("F16",), Target.VAULT,
    summary="At most {matrix.policy.max_vms_per_vault} VMs are protected in one Recovery "
    "Services vault.",
    why="A vault can protect at most {matrix.policy.max_vms_per_vault} Azure VMs (FAQ).",
    fix="Spread the VMs over several vaults.",
    before="recovery_vault_name = azurerm_recovery_services_vault.app.name  # 1200 VMs",
    after="recovery_vault_name = azurerm_recovery_services_vault.app[count.index % 2].name",
)
def too_many_vms(vault: Vault, ctx: RuleContext) -> Iterator[Observation]:
    maximum = ctx.matrix.policy.max_vms_per_vault
    count = len(ctx.estate.protections_in_vault(vault))
    if count > maximum:
        yield observe(vault, f"vault {label(vault)} protects {count} VMs; the limit is {maximum}",
                      None)


@rule(
    "BKP-FRQ-021", "policy-type-mismatch", Severity.ERROR, ("EP1",), Target.POLICY,
    summary="`policyType` and `schedulePolicyType` agree (V1 with SimpleSchedulePolicy, V2 with "
    "SimpleSchedulePolicyV2).",
    why="An Enhanced policy is `policyType: V2` with a `SimpleSchedulePolicyV2` schedule; a "
    "mixed pair is rejected by the service.",
    fix="Make both say the same policy generation.",
    before="properties: {\n  policyType: 'V1'\n  schedulePolicy: {\n"
    "    schedulePolicyType: 'SimpleSchedulePolicyV2'\n  }\n}",
    after="properties: {\n  policyType: 'V2'\n  schedulePolicy: {\n"
    "    schedulePolicyType: 'SimpleSchedulePolicyV2'\n  }\n}",
    lang="bicep",
)
def policy_type_mismatch(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
    schedule = policy.schedule_policy_type
    if schedule is None:
        return
    for value, field in ((schedule, "schedule_policy_type"), (policy.policy_type, "policy_type")):
        yield from review(ctx, policy, value, f"{field} of {label(policy)}", field)
    v2_schedule = same(schedule, "SimpleSchedulePolicyV2")
    v2_type = same(policy.policy_type, "V2")
    if isinstance(schedule, str) and isinstance(policy.policy_type, str) and v2_schedule != v2_type:
        yield observe(policy, f"policy {label(policy)} has policy_type = {policy.policy_type} "
                      f"but schedule_policy_type = {schedule}", "policy_type")


@rule(
    "BKP-FRQ-022", "enhanced-policy-region", Severity.WARNING, ("EP13",), Target.POLICY,
    summary="Enhanced (V2) policies are used in Azure public and US Government regions.",
    why="The Enhanced policy is available in all Azure public and US Government regions "
    "(EP13); for other clouds (Azure operated by 21Vianet, the US secret clouds) the article "
    "does not say so: at risk, a warning. Region prefixes are in matrix.yaml.",
    fix="Check that the Enhanced policy is offered in the vault's cloud, or use a Standard "
    "policy there.",
    before='resource "azurerm_recovery_services_vault" "app" {\n  location = "chinanorth3"\n}',
    after='resource "azurerm_recovery_services_vault" "app" {\n  location = "westeurope"\n}',
)
def enhanced_policy_region(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
    vault = ctx.estate.vault_of_policy(policy)
    if vault is None or is_enhanced(policy) is not True:
        return
    where = region(vault.location)
    yield from review(ctx, vault, where, f"location of vault {label(vault)}", "location")
    prefixes = ctx.matrix.regions.enhanced_policy_unlisted_prefixes
    if isinstance(where, str) and any(where.startswith(p) for p in prefixes):
        yield observe(policy, f"Enhanced policy {label(policy)} is in vault {label(vault)} in "
                      f"{where}; the docs offer the Enhanced policy in Azure public and US "
                      "Government regions only", "policy_type")


LIMIT_RULES: tuple[Rule, ...] = (too_many_points, missing_retention, dst_time_zone,
                                 too_many_items, too_many_vms, policy_type_mismatch,
                                 enhanced_policy_region)

