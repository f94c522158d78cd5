"""Area *vm_management* (VM rows): restore across subscriptions and regions."""

from __future__ import annotations

from collections.abc import Iterator

from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import Vault
from azbackup_policy.rules import Observation, Rule, RuleContext, Severity, Target

from ._helpers import label, observe, one_of, review, rule_factory, same

rule = rule_factory("vm_management")


@rule(
    "BKP-VMM-001", "cross-subscription-restore-disabled", Severity.NOTE, ("VM1", "R5"),
    Target.VAULT,
    summary="Know when a vault rules out restoring VMs into another subscription.",
    why="Cross-subscription restore works only when the vault's Cross Subscription Restore "
    "setting allows it; `Disabled` can be re-enabled, `PermanentlyDisabled` cannot.",
    fix="Leave cross-subscription restore enabled unless policy forbids it.",
    before='resource "azurerm_recovery_services_vault" "app" {\n'
    '  # restoreSettings.crossSubscriptionRestoreSettings = PermanentlyDisabled\n}',
    after='resource "azurerm_recovery_services_vault" "app" {\n  # Enabled (default)\n}',
)
def csr_disabled(vault: Vault, ctx: RuleContext) -> Iterator[Observation]:
    state = vault.cross_subscription_restore
    yield from review(ctx, vault, state, f"cross-subscription restore of {label(vault)}",
                      "cross_subscription_restore")
    disabled = one_of(state, ["Disabled", "PermanentlyDisabled"]) is True
    if disabled and ctx.estate.protections_in_vault(vault):
        yield observe(vault, f"vault {label(vault)} has cross-subscription restore {state}; "
                      "its VMs can't be restored into another subscription",
                      "cross_subscription_restore")


@rule(
    "BKP-VMM-002", "cross-region-restore-off", Severity.NOTE, ("VM2", "R4"), Target.VAULT,
    summary="Know when a geo-redundant vault can't restore into the paired region.",
    why="Restore across regions needs Cross Region Restore on a GeoRedundant vault; without it "
    "the secondary copy can't be restored by you.",
    fix="Enable Cross Region Restore on the geo-redundant vault.",
    before='resource "azurerm_recovery_services_vault" "app" {\n'
    '  storage_mode_type = "GeoRedundant"\n}',
    after='resource "azurerm_recovery_services_vault" "app" {\n'
    '  storage_mode_type            = "GeoRedundant"\n  cross_region_restore_enabled = true\n}',
)
def crr_off(vault: Vault, ctx: RuleContext) -> Iterator[Observation]:
    if same(vault.redundancy, "GeoRedundant") is not True or not ctx.estate.protections_in_vault(
            vault):
        return
    yield from review(ctx, vault, vault.cross_region_restore,
                      f"Cross Region Restore of {label(vault)}", "cross_region_restore")
    if vault.cross_region_restore is False:
        yield observe(vault, f"vault {label(vault)} is GeoRedundant without Cross Region Restore "
                      "(cross_region_restore = false); VMs can't be restored in the paired "
                      "region", "cross_region_restore")


@rule(
    "BKP-VMM-003", "cross-region-restore-needs-grs", Severity.ERROR, ("R4", "VM2"),
    Target.VAULT,
    summary="Cross Region Restore is enabled only on a geo-redundant vault.",
    why="Cross Region Restore restores from the paired region's copy, which only a "
    "GeoRedundant vault keeps (R4); the service rejects Cross Region Restore on a locally or "
    "zone-redundant vault.",
    fix="Make the vault GeoRedundant, or turn Cross Region Restore off.",
    before='resource "azurerm_recovery_services_vault" "app" {\n'
    '  storage_mode_type            = "LocallyRedundant"\n'
    '  cross_region_restore_enabled = true\n}',
    after='resource "azurerm_recovery_services_vault" "app" {\n'
    '  storage_mode_type            = "GeoRedundant"\n  cross_region_restore_enabled = true\n}',
)
def crr_needs_grs(vault: Vault, ctx: RuleContext) -> Iterator[Observation]:
    if vault.cross_region_restore is not True:
        return
    yield from review(ctx, vault, vault.redundancy, f"redundancy of {label(vault)}",
                      "redundancy")
    if isinstance(vault.redundancy, str) and same(vault.redundancy, "GeoRedundant") is False:
        yield observe(vault, f"vault {label(vault)} enables Cross Region Restore but is "
                      f"{vault.redundancy}; Cross Region Restore needs a GeoRedundant vault",
                      "cross_region_restore")


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [csr_disabled, crr_off, crr_needs_grs]
