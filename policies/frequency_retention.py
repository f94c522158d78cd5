"""Area *frequency_retention* (F, A11/A12/A16 and EP rows): schedules, retention, limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import BackupPolicy, Unknown
from azbackup_policy.rules import Check, Observation, Rule, RuleContext, Severity, Target

from ._frequency_limits import LIMIT_RULES, snapshots_per_day
from ._helpers import is_enhanced, known_int, label, observe, review, rule_factory, same

rule = rule_factory("frequency_retention")
_HOURLY = ('resource "azurerm_backup_policy_vm" "hourly" {\n  policy_type = "V2"\n'
           '  backup {\n    frequency     = "Hourly"\n    time          = "08:00"\n'
           '    hour_interval = 4\n    hour_duration = 12\n  }\n'
           '  instant_restore_retention_days = 7\n}')


def _field(policy: BackupPolicy, ctx: RuleContext, field: str) -> Iterator[Observation]:
    yield from review(ctx, policy, getattr(policy, field), f"{field} of {label(policy)}", field)


@rule(
    "BKP-FRQ-001", "hourly-needs-enhanced", Severity.ERROR, ("A16", "F3", "F15", "EP3"),
    Target.POLICY,
    summary="An hourly backup schedule is an Enhanced (V2) policy.",
    why="Several backups a day are possible only with the Enhanced policy ('Back up an Azure "
    "VM using Enhanced policy'; the {matrix.article.title} 'Backup frequency and retention' "
    "still says once a day to the vault: Enhanced takes snapshots every 4 h and sends the "
    "last one of the day to the vault).",
    fix="Set `policy_type = \"V2\"` for hourly schedules.",
    before='resource "azurerm_backup_policy_vm" "hourly" {\n  backup {\n'
    '    frequency = "Hourly"\n  }\n}',
    after=_HOURLY,
)
def hourly_needs_enhanced(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
    yield from _field(policy, ctx, "frequency")
    if same(policy.frequency, "Hourly") is not True:
        return
    enhanced = is_enhanced(policy)
    yield from review(ctx, policy, enhanced, f"policy type of {label(policy)}", "policy_type")
    if enhanced is False:
        yield observe(policy, f"policy {label(policy)} runs Hourly but is Standard (policy_type "
                      f"= {policy.policy_type}); hourly backups need Enhanced", "frequency")


def _client_checks(policy: BackupPolicy, ctx: RuleContext) -> dict[str, Any]:
    """The checks the policy's client adds to the service's (EP17), or none."""
    client = policy.client_validation
    found = ctx.matrix.policy.client_validation.get(client) if client else None
    return dict(found) if isinstance(found, dict) else {}


@rule(
    "BKP-FRQ-002", "hourly-interval", Severity.ERROR, ("EP8", "EP17", "A16"), Target.POLICY,
    summary="An hourly schedule runs every {matrix.policy.hourly_intervals|or} hours.",
    why="The docs list {matrix.policy.hourly_intervals|and} h (A16, EP8). The azurerm provider "
    "accepts only {matrix.policy.client_validation.azurerm.hourly_intervals|slash} (EP17), so "
    "on a Terraform policy 24 is an error too (use a Daily schedule). The lists are in "
    "matrix.yaml.",
    fix="Use one of the supported intervals, or a Daily schedule for 24 h in Terraform.",
    before='backup {\n  frequency     = "Hourly"\n  hour_interval = 3\n}',
    after='backup {\n  frequency     = "Hourly"\n  hour_interval = 4\n}',
)
def hourly_interval(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
    if same(policy.frequency, "Hourly") is not True:
        return
    client = _client_checks(policy, ctx).get("hourly_intervals")
    allowed = client or ctx.matrix.policy.hourly_intervals
    who = f" by {policy.client_validation}" if client else ""
    yield from _field(policy, ctx, "hourly_interval")
    value = known_int(policy.hourly_interval)
    if value is not None and value not in allowed:
        yield observe(policy, f"policy {label(policy)} runs every {value} hours "
                      f"(hourly_interval); intervals accepted{who} are {allowed}",
                      "hourly_interval")


@rule(
    "BKP-FRQ-003", "hourly-window", Severity.ERROR, ("EP8", "EP17"), Target.POLICY,
    summary="An hourly schedule's window is {matrix.policy.hourly_window.min}-"
    "{matrix.policy.hourly_window.max} hours (and, in Terraform, a multiple of the interval).",
    why="The schedule window duration is {matrix.policy.hourly_window.min} to "
    "{matrix.policy.hourly_window.max} hours (EP8: RPO {matrix.policy.hourly_window.min}-"
    "{matrix.policy.hourly_window.max} h). The azurerm provider "
    "also requires `hour_duration` to be a multiple of `hour_interval` (EP17); the service "
    "itself documents no such rule (the Enhanced-policy article's own example uses interval 4 "
    "with a 23-hour window), "
    "so ARM and Bicep policies are not held to it.",
    fix="Use a {matrix.policy.hourly_window.min}-{matrix.policy.hourly_window.max} hour window; "
    "in Terraform, a multiple of the interval.",
    before='backup {\n  hour_interval = 8\n  hour_duration = 12\n}',
    after='backup {\n  hour_interval = 8\n  hour_duration = 16\n}',
)
def hourly_window(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
    if same(policy.frequency, "Hourly") is not True:
        return
    bounds = ctx.matrix.policy.hourly_window
    yield from _field(policy, ctx, "hourly_window_hours")
    window, interval = known_int(policy.hourly_window_hours), known_int(policy.hourly_interval)
    if window is None:
        return
    if not bounds["min"] <= window <= bounds["max"]:
        yield observe(policy, f"policy {label(policy)} has a {window}-hour window "
                      f"(hourly_window_hours); it must be {bounds['min']}-{bounds['max']} hours",
                      "hourly_window_hours")
    elif interval and window % interval and \
            _client_checks(policy, ctx).get("window_multiple_of_interval"):
        yield observe(policy, f"policy {label(policy)} has a {window}-hour window that is not a "
                      f"multiple of its {interval}-hour interval ({policy.client_validation} "
                      "requires it)", "hourly_window_hours")


@rule(
    "BKP-FRQ-004", "unsupported-frequency", Severity.ERROR, ("A11", "EP8"), Target.POLICY,
    summary="A VM backup schedule is Hourly, Daily or Weekly.",
    why="Monthly or yearly backup schedules are not available with the VM extension; monthly "
    "and yearly exist only as retention of daily/weekly points.",
    fix="Schedule Daily (or Weekly) backups and keep monthly/yearly retention.",
    before='backup {\n  frequency = "Monthly"\n}',
    after='backup {\n  frequency = "Daily"\n}\nretention_monthly {\n  count    = 12\n'
    '  weekdays = ["Sunday"]\n  weeks    = ["First"]\n}',
)
def unsupported_frequency(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
    yield from _field(policy, ctx, "frequency")
    allowed = ctx.matrix.policy.frequencies
    value = policy.frequency
    if isinstance(value, str) and value.lower() not in {f.lower() for f in allowed}:
        yield observe(policy, f"policy {label(policy)} has frequency {value}; supported are "
                      f"{', '.join(allowed)}", "frequency")


def _instant(policy: BackupPolicy, ctx: RuleContext, kind: str) -> tuple[int | None, bool]:
    """(instant-restore days, the policy is of ``kind``) -- for known values only."""
    enhanced = is_enhanced(policy)
    if isinstance(enhanced, Unknown):
        return None, False
    return known_int(policy.instant_restore_days), (kind == "V2") == enhanced


def _ir_range_rule(kind: str, name: str) -> Check:
    def check(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
        days, applies = _instant(policy, ctx, kind)
        if not applies:
            return
        yield from _field(policy, ctx, "instant_restore_days")
        bounds = ctx.matrix.policy.instant_restore[kind]
        if days is not None and not bounds["min"] <= days <= bounds["max"]:
            yield observe(policy, f"{name} policy {label(policy)} keeps instant-restore snapshots "
                          f"{days} days (instant_restore_days); allowed: {bounds['min']}-"
                          f"{bounds['max']}", "instant_restore_days")

    return check


ir_v1 = rule(
    "BKP-FRQ-005", "instant-restore-standard-range", Severity.ERROR, ("F14", "EP9"),
    Target.POLICY,
    summary="A Standard (V1) policy keeps instant-restore snapshots "
    "{matrix.policy.instant_restore.V1.min}-{matrix.policy.instant_restore.V1.max} days.",
    why="Standard policy snapshot retention is {matrix.policy.instant_restore.V1.min} to "
    "{matrix.policy.instant_restore.V1.max} days (default 2).",
    fix="Use {matrix.policy.instant_restore.V1.min}-{matrix.policy.instant_restore.V1.max} days, "
    "or an Enhanced policy for longer snapshot retention.",
    before="instant_restore_retention_days = 7  # V1", after="instant_restore_retention_days = 5",
)(_ir_range_rule("V1", "Standard"))

ir_v2 = rule(
    "BKP-FRQ-007", "instant-restore-enhanced-range", Severity.ERROR, ("EP9",), Target.POLICY,
    summary="An Enhanced (V2) policy keeps instant-restore snapshots "
    "{matrix.policy.instant_restore.V2.min}-{matrix.policy.instant_restore.V2.max} days.",
    why="Enhanced policy snapshot retention is {matrix.policy.instant_restore.V2.min} to "
    "{matrix.policy.instant_restore.V2.max} days (default 7). Microsoft's wording is not "
    "uniform here: the article 'Get improved backup and restore performance with Azure Backup "
    "Instant Restore capability' also says Enhanced snapshot retention \"can vary from 5 to "
    "20 days\" without saying for which schedule (probably weekly). The support matrix row "
    "EP9 gives the wider range, so a weekly Enhanced policy outside 5-20 days is not "
    "reported; weekly policies are still held to their weekly retention (BKP-FRQ-010).",
    fix="Use {matrix.policy.instant_restore.V2.min}-{matrix.policy.instant_restore.V2.max} "
    "days.",
    before="instant_restore_retention_days = 35  # V2",
    after="instant_restore_retention_days = 30",
)(_ir_range_rule("V2", "Enhanced"))


@rule(
    "BKP-FRQ-006", "instant-restore-standard-weekly", Severity.ERROR, ("F14",), Target.POLICY,
    summary="A weekly Standard (V1) policy keeps instant-restore snapshots exactly 5 days.",
    why="Standard weekly policies have a fixed snapshot retention of "
    "{matrix.policy.instant_restore.V1.weekly} days ('Get improved backup and restore "
    "performance with Azure Backup Instant Restore capability'; Terraform requires "
    "{matrix.policy.instant_restore.V1.weekly} for Weekly).",
    fix="Set `instant_restore_retention_days = 5`.",
    before='backup {\n  frequency = "Weekly"\n}\ninstant_restore_retention_days = 2',
    after='backup {\n  frequency = "Weekly"\n}\ninstant_restore_retention_days = 5',
)
def ir_v1_weekly(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
    days, applies = _instant(policy, ctx, "V1")
    if not applies or same(policy.frequency, "Weekly") is not True:
        return
    yield from _field(policy, ctx, "instant_restore_days")
    fixed = ctx.matrix.policy.instant_restore["V1"]["weekly"]
    if days is not None and days != fixed:
        yield observe(policy, f"weekly Standard policy {label(policy)} keeps snapshots {days} "
                      f"days (instant_restore_days); weekly Standard policies use {fixed}",
                      "instant_restore_days")


def ceiling_band(count: int, ctx: RuleContext) -> tuple[int | None, int | None]:
    """(surely allowed, surely too many) snapshot-retention days for ``count`` snapshots a day.

    A documented count gives (max, max). For an undocumented one the ceiling lies between
    the ceiling of the nearest documented larger count (at least that) and that of the
    nearest documented smaller count (at most that), because the ceiling falls as the count
    grows (A16). A missing side is None."""
    table = {e["snapshots_per_day"]: e["max"]
             for e in ctx.matrix.policy.instant_restore["V2_hourly"]}
    if count in table:
        return table[count], table[count]
    above = [table[c] for c in table if c > count]
    below = [table[c] for c in table if c < count]
    return (max(above) if above else None), (min(below) if below else None)


def _hourly_ceiling(documented: bool) -> Check:
    def check(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
        days, applies = _instant(policy, ctx, "V2")
        count = snapshots_per_day(policy, ctx)
        if not applies or count is None:
            return
        yield from _field(policy, ctx, "instant_restore_days")
        yield from review(ctx, policy, count, f"snapshots per day of {label(policy)}",
                          "hourly_interval")
        if days is None or isinstance(count, Unknown):
            return
        low, high = ceiling_band(count, ctx)
        said = f"policy {label(policy)} takes {count} snapshots a day and keeps them {days} days"
        if documented and high is not None and days > high:
            known = "the ceiling" if low == high else "the ceiling is at most"
            yield observe(policy, f"{said} (instant_restore_days); {known} is {high} days",
                          "instant_restore_days")
        elif not documented and low != high and low is not None and days > low and \
                (high is None or days <= high):
            upper = f" and {high}" if high is not None else ""
            yield observe(policy, f"{said} (instant_restore_days); the docs give no ceiling for "
                          f"{count} a day: it lies between {low}{upper} days",
                          "instant_restore_days")

    return check


ir_hourly = rule(
    "BKP-FRQ-008", "instant-restore-hourly-ceiling", Severity.ERROR, ("EP9", "A16"),
    Target.POLICY,
    summary="Hourly Enhanced policies keep snapshots no longer than their snapshots per day "
    "allow (6 a day: 17 days, 4 a day: 22 days, 2 a day: 30 days).",
    why="The snapshot-retention ceiling depends on the number of snapshots taken per day "
    "(window / interval; A16, EP9) and falls as that number grows. A count the docs do not "
    "list is an error only when it exceeds the ceiling of a documented smaller count.",
    fix="Lower `instant_restore_retention_days`, back up less often, or shorten the window.",
    before="hour_interval = 4\nhour_duration = 24\ninstant_restore_retention_days = 20",
    after="hour_interval = 4\nhour_duration = 24\ninstant_restore_retention_days = 17",
)(_hourly_ceiling(True))

ir_hourly_guess = rule(
    "BKP-FRQ-009", "instant-restore-hourly-ceiling-undocumented", Severity.WARNING, ("EP9",),
    Target.POLICY,
    summary="For snapshots-per-day counts the docs do not list, snapshot retention stays at "
    "or below the ceiling of the next documented larger count.",
    why="The docs give ceilings only for 6, 4 and 2 snapshots a day. For another count (for "
    "example every 8 h over 24 h: 3 a day) the ceiling lies between its documented "
    "neighbours; retention inside that band may be rejected, hence a warning.",
    fix="Keep `instant_restore_retention_days` at or below the lower bound, or verify in the "
    "portal.",
    before="hour_interval = 8\nhour_duration = 24\ninstant_restore_retention_days = 25",
    after="hour_interval = 8\nhour_duration = 24\ninstant_restore_retention_days = 22",
)(_hourly_ceiling(False))


def _vault_days(policy: BackupPolicy) -> int | None:
    daily = known_int(policy.retention_daily)
    weekly = known_int(policy.retention_weekly)
    return daily if daily is not None else (weekly * 7 if weekly is not None else None)


def _ir_vs_retention(kind: str) -> Check:
    def check(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
        days, applies = _instant(policy, ctx, kind)
        vault_days = _vault_days(policy)
        if applies and days is not None and vault_days is not None and days > vault_days:
            yield observe(policy, f"policy {label(policy)} keeps snapshots {days} days but vault "
                          f"recovery points only {vault_days} days", "instant_restore_days")

    return check


ir_ret_v2 = rule(
    "BKP-FRQ-010", "instant-restore-exceeds-retention", Severity.ERROR, ("F17", "EP9"),
    Target.POLICY,
    summary="An Enhanced policy's snapshot retention does not exceed its vault retention.",
    why="With Enhanced policy the instant-restore retention can't exceed vault retention.",
    fix="Keep vault (daily) retention longer than snapshot retention.",
    before="instant_restore_retention_days = 14\nretention_daily {\n  count = 7\n}",
    after="instant_restore_retention_days = 7\nretention_daily {\n  count = 30\n}",
)(_ir_vs_retention("V2"))

ir_ret_v1 = rule(
    "BKP-FRQ-011", "instant-restore-exceeds-retention-standard", Severity.WARNING, ("F17",),
    Target.POLICY,
    summary="A Standard policy's snapshot retention does not exceed its vault retention.",
    why="Keep vault (tier-2) retention longer than snapshot (tier-1) retention.",
    fix="Raise daily retention or lower snapshot retention.",
    before="instant_restore_retention_days = 5\nretention_daily {\n  count = 3\n}",
    after="instant_restore_retention_days = 2\nretention_daily {\n  count = 7\n}",
)(_ir_vs_retention("V1"))


def _retention_rule(tier: str, unit: str) -> Check:
    field = f"retention_{tier}"

    def check(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
        yield from _field(policy, ctx, field)
        bounds = ctx.matrix.policy.retention[tier]
        count = known_int(getattr(policy, field))
        if count is not None and not bounds["min"] <= count <= bounds["max"]:
            yield observe(policy, f"policy {label(policy)} keeps {tier} points {count} {unit} "
                          f"({field}); allowed: {bounds['min']}-{bounds['max']} {unit}", field)

    return check


def _retention(rule_id: str, tier: str, unit: str, rows: tuple[str, ...], bad: int,
               good: int) -> Rule:
    return rule(
        rule_id, f"{tier}-retention-range", Severity.ERROR, rows, Target.POLICY,
        summary=f"{tier.capitalize()} retention is within the service limits (matrix.yaml).",
        why=f"The service accepts {tier} retention only within its limits ('Azure VM backup "
        "FAQ': the maximum retention of each tier; Terraform accepts up to 9999 for "
        "weekly/monthly/yearly, the service does not).",
        fix=f"Set a {tier} retention count within the limits.",
        before=f"retention_{tier} {{\n  count = {bad}\n}}",
        after=f"retention_{tier} {{\n  count = {good}\n}}",
    )(_retention_rule(tier, unit))


daily = _retention("BKP-FRQ-012", "daily", "days", ("F9", "EP11", "EP17"), 3, 7)
weekly = _retention("BKP-FRQ-013", "weekly", "weeks", ("F10", "EP11"), 6000, 5163)
monthly = _retention("BKP-FRQ-014", "monthly", "months", ("F11", "EP11"), 2000, 1188)
yearly = _retention("BKP-FRQ-015", "yearly", "years", ("F2", "F12", "EP11"), 120, 99)


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [hourly_needs_enhanced, hourly_interval, hourly_window, unsupported_frequency, ir_v1,
            ir_v1_weekly, ir_v2, ir_hourly, ir_hourly_guess, ir_ret_v2, ir_ret_v1, daily,
            weekly, monthly, yearly, *LIMIT_RULES]

