"""Area *frequency_retention* (F, A11/A12/A16 and EP rows): schedules, retention, limits."""

from __future__ import annotations

from collections.abc import Iterator

from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import BackupPolicy, Unknown
from azbackup_policy.rules import Check, Observation, Rule, RuleContext, Severity, Target

from ._frequency_limits import LIMIT_RULES
from ._helpers import is_enhanced, known_int, label, limit, observe, review, rule_factory, same

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
    why="Several backups a day are possible only with the Enhanced policy (MATRIX.md C7: the "
    "frequency table still says once a day to the vault; Enhanced takes snapshots every 4 h "
    "and sends the last one of the day to the vault).",
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


@rule(
    "BKP-FRQ-002", "hourly-interval", Severity.ERROR, ("EP8", "EP17", "A16"), Target.POLICY,
    summary="An hourly schedule runs every 4, 6, 8 or 12 hours.",
    why="The docs list 4, 6, 8, 12 and 24 h; Terraform accepts 4/6/8/12 and a 24 h interval is "
    "a Daily schedule (MATRIX.md C11). The list is in matrix.yaml.",
    fix="Use one of the supported intervals, or a Daily schedule for 24 h.",
    before='backup {\n  frequency     = "Hourly"\n  hour_interval = 3\n}',
    after='backup {\n  frequency     = "Hourly"\n  hour_interval = 4\n}',
)
def hourly_interval(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
    if same(policy.frequency, "Hourly") is not True:
        return
    allowed = limit(ctx, "policy", "hourly_intervals")
    yield from _field(policy, ctx, "hourly_interval")
    value = known_int(policy.hourly_interval)
    if value is not None and value not in allowed:
        yield observe(policy, f"policy {label(policy)} runs every {value} hours "
                      f"(hourly_interval); supported intervals are {allowed}", "hourly_interval")


@rule(
    "BKP-FRQ-003", "hourly-window", Severity.ERROR, ("EP8", "EP17"), Target.POLICY,
    summary="An hourly schedule's window is 4-24 hours and a multiple of the interval.",
    why="The schedule window duration must be between 4 and 24 hours and a multiple of the "
    "interval (Terraform `hour_duration` validation; portal default 24).",
    fix="Pick a window that is a multiple of the interval.",
    before='backup {\n  hour_interval = 8\n  hour_duration = 12\n}',
    after='backup {\n  hour_interval = 8\n  hour_duration = 16\n}',
)
def hourly_window(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
    if same(policy.frequency, "Hourly") is not True:
        return
    bounds = limit(ctx, "policy", "hourly_window")
    yield from _field(policy, ctx, "hourly_window_hours")
    window, interval = known_int(policy.hourly_window_hours), known_int(policy.hourly_interval)
    if window is None:
        return
    if not bounds["min"] <= window <= bounds["max"]:
        yield observe(policy, f"policy {label(policy)} has a {window}-hour window "
                      f"(hourly_window_hours); it must be {bounds['min']}-{bounds['max']} hours",
                      "hourly_window_hours")
    elif interval and window % interval:
        yield observe(policy, f"policy {label(policy)} has a {window}-hour window that is not a "
                      f"multiple of its {interval}-hour interval", "hourly_window_hours")


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
    allowed = limit(ctx, "policy", "frequencies")
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
        bounds = limit(ctx, "policy", "instant_restore", kind)
        if days is not None and not bounds["min"] <= days <= bounds["max"]:
            yield observe(policy, f"{name} policy {label(policy)} keeps instant-restore snapshots "
                          f"{days} days (instant_restore_days); allowed: {bounds['min']}-"
                          f"{bounds['max']}", "instant_restore_days")

    return check


IR_V1 = rule(
    "BKP-FRQ-005", "instant-restore-standard-range", Severity.ERROR, ("F14", "EP9"),
    Target.POLICY,
    summary="A Standard (V1) policy keeps instant-restore snapshots 1-5 days.",
    why="Standard policy snapshot retention is 1 to 5 days (default 2).",
    fix="Use 1-5 days, or an Enhanced policy for longer snapshot retention.",
    before="instant_restore_retention_days = 7  # V1", after="instant_restore_retention_days = 5",
)(_ir_range_rule("V1", "Standard"))

IR_V2 = rule(
    "BKP-FRQ-007", "instant-restore-enhanced-range", Severity.ERROR, ("EP9",), Target.POLICY,
    summary="An Enhanced (V2) policy keeps instant-restore snapshots 1-30 days.",
    why="Enhanced policy snapshot retention is 1 to 30 days (default 7).",
    fix="Use 1-30 days.",
    before="instant_restore_retention_days = 35  # V2",
    after="instant_restore_retention_days = 30",
)(_ir_range_rule("V2", "Enhanced"))


@rule(
    "BKP-FRQ-006", "instant-restore-standard-weekly", Severity.ERROR, ("F14",), Target.POLICY,
    summary="A weekly Standard (V1) policy keeps instant-restore snapshots exactly 5 days.",
    why="Standard weekly policies have a fixed snapshot retention of 5 days (MATRIX.md C13; "
    "Terraform requires 5 for Weekly).",
    fix="Set `instant_restore_retention_days = 5`.",
    before='backup {\n  frequency = "Weekly"\n}\ninstant_restore_retention_days = 2',
    after='backup {\n  frequency = "Weekly"\n}\ninstant_restore_retention_days = 5',
)
def ir_v1_weekly(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
    days, applies = _instant(policy, ctx, "V1")
    if not applies or same(policy.frequency, "Weekly") is not True:
        return
    yield from _field(policy, ctx, "instant_restore_days")
    fixed = limit(ctx, "policy", "instant_restore", "V1", "weekly")
    if days is not None and days != fixed:
        yield observe(policy, f"weekly Standard policy {label(policy)} keeps snapshots {days} "
                      f"days (instant_restore_days); weekly Standard policies use {fixed}",
                      "instant_restore_days")


def _hourly_ceiling(documented: bool) -> Check:
    def check(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
        days, applies = _instant(policy, ctx, "V2")
        interval = known_int(policy.hourly_interval)
        if not applies or same(policy.frequency, "Hourly") is not True or interval is None:
            return
        yield from _field(policy, ctx, "instant_restore_days")
        for entry in limit(ctx, "policy", "instant_restore", "V2_hourly"):
            if entry["interval"] == interval and entry["documented"] == documented \
                    and days is not None and days > entry["max"]:
                yield observe(policy, f"policy {label(policy)} takes a snapshot every {interval} "
                              f"hours and keeps them {days} days (instant_restore_days); the "
                              f"ceiling is {entry['max']} days", "instant_restore_days")

    return check


IR_HOURLY = rule(
    "BKP-FRQ-008", "instant-restore-hourly-ceiling", Severity.ERROR, ("EP9", "A16"),
    Target.POLICY,
    summary="Hourly Enhanced policies keep snapshots no longer than the interval allows "
    "(4 h: 17 days, 6 h: 22 days, 12 h: 30 days).",
    why="The snapshot retention ceiling falls as snapshots per day grow.",
    fix="Lower `instant_restore_retention_days`, or back up less often.",
    before="hour_interval = 4\ninstant_restore_retention_days = 20",
    after="hour_interval = 4\ninstant_restore_retention_days = 17",
)(_hourly_ceiling(True))

IR_HOURLY_GUESS = rule(
    "BKP-FRQ-009", "instant-restore-hourly-ceiling-undocumented", Severity.WARNING, ("EP9",),
    Target.POLICY,
    summary="An 8-hourly Enhanced policy keeps snapshots at most 22 days (our reading).",
    why="The docs give no ceiling for 8-hour intervals; we assume the 6-hour ceiling (22 days) "
    "holds, hence a warning (matrix.yaml marks it `documented: false`).",
    fix="Lower `instant_restore_retention_days`, or verify in the portal.",
    before="hour_interval = 8\ninstant_restore_retention_days = 25",
    after="hour_interval = 8\ninstant_restore_retention_days = 22",
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


IR_RET_V2 = rule(
    "BKP-FRQ-010", "instant-restore-exceeds-retention", Severity.ERROR, ("F17", "EP9"),
    Target.POLICY,
    summary="An Enhanced policy's snapshot retention does not exceed its vault retention.",
    why="With Enhanced policy the instant-restore retention can't exceed vault retention.",
    fix="Keep vault (daily) retention longer than snapshot retention.",
    before="instant_restore_retention_days = 14\nretention_daily {\n  count = 7\n}",
    after="instant_restore_retention_days = 7\nretention_daily {\n  count = 30\n}",
)(_ir_vs_retention("V2"))

IR_RET_V1 = rule(
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
        bounds = limit(ctx, "policy", "retention", tier)
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
        why=f"The service accepts {tier} retention only within its limits (FAQ; MATRIX.md C12: "
        "Terraform accepts up to 9999 for weekly/monthly/yearly, the service does not).",
        fix=f"Set a {tier} retention count within the limits.",
        before=f"retention_{tier} {{\n  count = {bad}\n}}",
        after=f"retention_{tier} {{\n  count = {good}\n}}",
    )(_retention_rule(tier, unit))


DAILY = _retention("BKP-FRQ-012", "daily", "days", ("F9", "EP11", "EP17"), 3, 7)
WEEKLY = _retention("BKP-FRQ-013", "weekly", "weeks", ("F10", "EP11"), 6000, 5163)
MONTHLY = _retention("BKP-FRQ-014", "monthly", "months", ("F11", "EP11"), 2000, 1188)
YEARLY = _retention("BKP-FRQ-015", "yearly", "years", ("F2", "F12", "EP11"), 120, 99)


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [hourly_needs_enhanced, hourly_interval, hourly_window, unsupported_frequency, IR_V1,
            ir_v1_weekly, IR_V2, IR_HOURLY, IR_HOURLY_GUESS, IR_RET_V2, IR_RET_V1, DAILY,
            WEEKLY, MONTHLY, YEARLY, *LIMIT_RULES]

