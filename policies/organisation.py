"""Area *organisation*: requirements an organisation sets on top of the support matrix.

Every rule reads its setting from ``RuleContext.options["organisation"]`` (the
``organisation`` section of the configuration, snake_case) and does nothing when the
setting is absent, so these rules are silent until someone asks for them::

    organisation:
      allowed-policy-types: [V2]
      min-daily-retention-days: 30
      allowed-vault-redundancy: [GeoRedundant, ZoneRedundant]
      require-cross-region-restore: true
      require-soft-delete-or-immutability: true
      opt-out-tag: backup-exempt
      protect-tag: backup=required  # feeds BKP-CMP-013 (no rule of its own)
      require-protection: true      # raises BKP-COV-001 to error (no rule of its own)

A VM that carries the opt-out tag with a reason is not reported by BKP-COV-001 (its
finding is suppressed with that reason); the tag without a reason is BKP-ORG-006.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import BackupPolicy, ModelObject, Unknown, Vault, VirtualMachine
from azbackup_policy.rules import Observation, Rule, RuleContext, Severity, Target

from ._severity_rationale import RATIONALE

DEFAULT_REDUNDANCY = "GeoRedundant"  # azurerm storage_mode_type and ARM both default to GRS


def _settings(ctx: RuleContext) -> Mapping[str, Any]:
    found = ctx.options.get("organisation")
    return found if isinstance(found, Mapping) else {}


def _label(obj: ModelObject) -> str:
    return f"{obj.name} ({obj.address})" if isinstance(obj.name, str) else obj.address


def _not_in(value: str, allowed: Sequence[str]) -> bool:
    return value.lower() not in {a.lower() for a in allowed}


def check_policy_type(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
    allowed = _settings(ctx).get("allowed_policy_types")
    if not allowed:
        return
    value = policy.policy_type
    if isinstance(value, Unknown):
        yield from ctx.unknown(policy, value, "the policy type", attribute="policy_type")
    elif isinstance(value, str) and _not_in(value, allowed):
        yield Observation(
            subject=policy, attribute="policy_type",
            message=f"backup policy {_label(policy)} is of type {value} (policy_type = {value}); "
            f"your organisation allows only {', '.join(allowed)}",
        )


def check_daily_retention(policy: BackupPolicy, ctx: RuleContext) -> Iterator[Observation]:
    minimum = _settings(ctx).get("min_daily_retention_days")
    value = policy.retention_daily
    if not isinstance(minimum, int) or value is None:
        return
    if isinstance(value, Unknown):
        yield from ctx.unknown(policy, value, "the daily retention", attribute="retention_daily")
    elif value < minimum:
        yield Observation(
            subject=policy, attribute="retention_daily",
            message=f"backup policy {_label(policy)} keeps daily recovery points for {value} "
            f"days (retention_daily = {value}); your organisation requires at least {minimum}",
        )


def check_redundancy(vault: Vault, ctx: RuleContext) -> Iterator[Observation]:
    allowed = _settings(ctx).get("allowed_vault_redundancy")
    if not allowed:
        return
    value = DEFAULT_REDUNDANCY if vault.redundancy is None else vault.redundancy
    shown = value if vault.redundancy is not None else f"not set, so {DEFAULT_REDUNDANCY}"
    if isinstance(value, Unknown):
        yield from ctx.unknown(vault, value, "the vault redundancy", attribute="redundancy")
    elif _not_in(value, allowed):
        yield Observation(
            subject=vault, attribute="redundancy",
            message=f"Recovery Services vault {_label(vault)} stores backups with {value} "
            f"redundancy (redundancy = {shown}); your organisation allows only "
            f"{', '.join(allowed)}",
        )


def check_cross_region_restore(vault: Vault, ctx: RuleContext) -> Iterator[Observation]:
    if not _settings(ctx).get("require_cross_region_restore"):
        return
    value = vault.cross_region_restore
    if isinstance(value, Unknown):
        yield from ctx.unknown(vault, value, "cross-region restore",
                               attribute="cross_region_restore")
    elif value is not True:
        yield Observation(
            subject=vault, attribute="cross_region_restore",
            message=f"Recovery Services vault {_label(vault)} does not enable cross-region "
            "restore (cross_region_restore = false); your organisation requires it (it needs "
            "GeoRedundant storage)",
        )


def _is(value: object, *states: str) -> bool:
    return isinstance(value, str) and value.lower() in states


def check_soft_delete(vault: Vault, ctx: RuleContext) -> Iterator[Observation]:
    if not _settings(ctx).get("require_soft_delete_or_immutability"):
        return
    soft, immutable = vault.soft_delete, vault.immutability
    if _is(immutable, "unlocked", "locked"):
        return
    if isinstance(soft, Unknown):
        yield from ctx.unknown(vault, soft, "soft delete", attribute="soft_delete")
    elif _is(soft, "disabled") and not isinstance(immutable, Unknown):
        yield Observation(
            subject=vault, attribute="soft_delete",
            message=f"Recovery Services vault {_label(vault)} disables soft delete "
            f"(soft_delete = {soft}) and immutability is {immutable or 'not set'}; your "
            "organisation requires soft delete or an immutable vault",
        )


def _tag_value(tags: Mapping[str, Any], tag: str) -> tuple[bool, Any]:
    for name, value in tags.items():
        if str(name).lower() == tag.lower():
            return True, value
    return False, None


def check_opt_out_reason(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    tag = _settings(ctx).get("opt_out_tag")
    if not isinstance(tag, str) or not isinstance(vm.tags, Mapping):
        return
    present, value = _tag_value(vm.tags, tag)
    if isinstance(value, Unknown):
        yield from ctx.unknown(vm, value, f"the reason in tag {tag}", attribute=f"tags.{tag}")
    elif present and not (isinstance(value, str) and value.strip()):
        yield Observation(
            subject=vm, attribute=f"tags.{tag}",
            message=f"VM {_label(vm)} carries the backup opt-out tag {tag} without a reason "
            f"(tags.{tag} = {value!r}); write why the VM needs no backup as the tag's value",
        )


def _help(why: str, fix: str, before: str, after: str) -> str:
    return (f"{why}\n\n**Fix:** {fix}\n\nBefore:\n\n```hcl\n{before}\n```\n\n"
            f"After:\n\n```hcl\n{after}\n```\n")


def _rule(number: int, name: str, target: Target, check: Any, summary: str, help_text: str,
          row: str, severity: Severity = Severity.ERROR) -> Rule:
    return Rule(
        id=f"BKP-ORG-{number:03d}", name=name, area="organisation", severity=severity,
        matrix_rows=(row,), summary=summary, help=help_text, target=target, check=check,
        tags=("organisation",), severity_rationale=RATIONALE.get(f"BKP-ORG-{number:03d}", ""),
    )


policy_type = _rule(
    1, "policy-type-not-allowed", Target.POLICY, check_policy_type,
    "Backup policies are of a type the organisation allows (organisation.allowed-policy-types).",
    _help("Set `organisation.allowed-policy-types`, for example `[V2]` to require Enhanced "
          "policies (hourly schedules, Trusted Launch, Premium SSD v2 and Ultra disks; EP1).",
          "use an allowed policy type (ARM/Bicep: `policyType: 'V2'`).",
          'resource "azurerm_backup_policy_vm" "daily" {\n  policy_type = "V1"\n}',
          'resource "azurerm_backup_policy_vm" "daily" {\n  policy_type = "V2"\n}'),
    "EP1",
)
daily_retention = _rule(
    2, "daily-retention-too-short", Target.POLICY, check_daily_retention,
    "Daily retention is at least organisation.min-daily-retention-days.",
    _help("Set `organisation.min-daily-retention-days`. The service allows 7-9999 days "
          "(EP11); your organisation may need more.",
          "raise the daily retention (ARM: "
          "`retentionPolicy.dailySchedule.retentionDuration.count`).",
          "retention_daily {\n  count = 7\n}", "retention_daily {\n  count = 30\n}"),
    "EP11",
)
redundancy = _rule(
    3, "vault-redundancy-not-allowed", Target.VAULT, check_redundancy,
    "Vaults store backups with a redundancy the organisation allows.",
    _help("Set `organisation.allowed-vault-redundancy`. A vault without a setting is "
          "GeoRedundant.",
          "choose an allowed redundancy (ARM: "
          "`properties.redundancySettings.standardTierStorageRedundancy`).",
          'storage_mode_type = "LocallyRedundant"', 'storage_mode_type = "ZoneRedundant"'),
    "VM3",
)
cross_region = _rule(
    4, "vault-cross-region-restore-required", Target.VAULT, check_cross_region_restore,
    "Vaults enable cross-region restore (organisation.require-cross-region-restore).",
    _help("Cross-region restore lets you restore in the paired region (R4); it needs "
          "GeoRedundant storage.",
          "enable it (ARM: `properties.redundancySettings.crossRegionRestore: 'Enabled'`).",
          'storage_mode_type            = "GeoRedundant"\ncross_region_restore_enabled = false',
          'storage_mode_type            = "GeoRedundant"\ncross_region_restore_enabled = true'),
    "R4",
)
soft_delete = _rule(
    5, "vault-soft-delete-required", Target.VAULT, check_soft_delete,
    "Vaults keep soft delete on unless they are immutable "
    "(organisation.require-soft-delete-or-immutability).",
    _help("Soft delete keeps deleted backup data for 14 days; an immutable vault protects "
          "it too.",
          "remove `softDeleteState: 'Disabled'` (ARM) or make the vault immutable.",
          "soft_delete_enabled = false", 'soft_delete_enabled = false\nimmutability        = '
          '"Unlocked"'),
    "A19",
)
opt_out_reason = _rule(
    6, "backup-opt-out-without-reason", Target.VM, check_opt_out_reason,
    "A VM opted out of backup by the organisation.opt-out-tag tag says why in its value.",
    _help("A VM tagged with the opt-out tag and a reason is not reported by BKP-COV-001 (its "
          "finding is kept as suppressed, with the reason); an empty value opts nothing out.",
          "write why the VM needs no backup as the tag's value.",
          'tags = {\n  backup-exempt = ""\n}',
          'tags = {\n  backup-exempt = "rebuilt from the golden image every night"\n}'),
    "SC1", Severity.WARNING,
)


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [policy_type, daily_retention, redundancy, cross_region, soft_delete, opt_out_reason]
