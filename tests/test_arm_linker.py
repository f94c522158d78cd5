"""The ARM linker: Estates from the ARM fixtures (and converters on bare bodies)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES

from azbackup_policy.discover import FileLoader, Source, display_path
from azbackup_policy.document import Resource
from azbackup_policy.linkers.arm import link
from azbackup_policy.linkers.arm_backup import policy_from_arm, vault_from_arm
from azbackup_policy.model import Estate, SourceSpan, Unknown, VirtualMachine
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers.arm import parse

ESTATE = FIXTURES / "scenarios" / "estate-basic" / "arm" / "azuredeploy.json"


@pytest.fixture(autouse=True)
def _cwd(in_repo: Path) -> None:
    """Run in the repository root so fixture paths display relative."""


def estate_of(path: Path, root: Path = FIXTURES) -> Estate:
    context = ParseContext(FileLoader([str(root)]))
    (document,) = parse(Source(display_path(str(path)), "arm", True), context)
    return link(document)


def vm_named(estate: Estate, name: str) -> VirtualMachine:
    return next(vm for vm in estate.vms if vm.name == name)


EXPECTED_PROTECTION = {
    "vm-web-0": ("pol-daily", "V1"),
    "vm-web-1": ("pol-daily", "V1"),
    "vm-api-a": ("pol-enhanced", "V2"),
    "vm-api-b": ("pol-enhanced", "V2"),
    "vm-db": ("pol-daily", "V1"),
    "vm-jump": None,
}


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED_PROTECTION.items()))
def test_estate_basic_protection(name: str, expected: tuple[str, str] | None) -> None:
    estate = estate_of(ESTATE)
    protections = estate.protections_of(vm_named(estate, name))
    if expected is None:
        assert protections == ()
        return
    (protection,) = protections
    policy = estate.policy_of(protection)
    vault = estate.vault_of(protection)
    assert policy is not None and vault is not None
    assert (policy.name, policy.policy_type) == expected
    assert vault.name == "rsv-app"
    assert estate.vault_of_policy(policy) == vault
    assert protection.api_version == "2024-04-01"


def test_estate_basic_vms() -> None:
    estate = estate_of(ESTATE)
    assert sorted(vm.name for vm in estate.vms) == sorted(EXPECTED_PROTECTION)
    assert estate.unresolved == ()
    web = vm_named(estate, "vm-web-0")
    assert (web.os_type, web.size, web.location) == ("Linux", "Standard_D2s_v5", "westeurope")
    assert web.image is not None and web.image.offer == "0001-com-ubuntu-server-jammy"
    assert web.security_type == "Standard" and web.secure_boot is False
    assert web.os_disk is not None
    assert (web.os_disk.storage_type, web.os_disk.size_gb, web.os_disk.caching) == (
        "Premium_LRS", 64, "ReadWrite")
    assert [n.name for n in web.nics] == ["nic-web-0"]
    assert web.nics[0].ip_configurations[0].allocation == "Dynamic"
    assert isinstance(web.resource_group, Unknown)
    api = vm_named(estate, "vm-api-b")
    assert (api.os_type, api.security_type, api.secure_boot, api.vtpm) == (
        "Windows", "TrustedLaunch", True, True)
    assert api.nics[0].ip_configurations[0].allocation == "Static"
    assert api.os_disk is not None and api.os_disk.storage_type == "StandardSSD_LRS"


def test_estate_basic_db_module_data_disk() -> None:
    db = vm_named(estate_of(ESTATE), "vm-db")
    (disk,) = db.data_disks
    assert (disk.name, disk.lun, disk.storage_type, disk.size_gb, disk.caching) == (
        "disk-db-data", 0, "Premium_LRS", 512, "ReadOnly")
    assert disk.address.endswith("Microsoft.Compute/disks/disk-db-data")
    assert db.address.startswith("Microsoft.Resources/deployments/db/")
    assert [n.name for n in db.nics] == ["nic-db"]


def test_estate_basic_vault_and_policies() -> None:
    estate = estate_of(ESTATE)
    (vault,) = estate.vaults
    assert (vault.sku, vault.redundancy, vault.cross_region_restore) == (
        "Standard", "GeoRedundant", True)
    policies = {p.name: p for p in estate.policies}
    daily, enhanced = policies["pol-daily"], policies["pol-enhanced"]
    assert (daily.frequency, daily.time, daily.time_zone, daily.retention_daily,
            daily.instant_restore_days) == ("Daily", "23:00", "UTC", 30, 2)
    assert daily.schedule_policy_type == "SimpleSchedulePolicy"
    assert (enhanced.frequency, enhanced.hourly_interval, enhanced.hourly_window_hours,
            enhanced.hourly_start, enhanced.retention_daily, enhanced.instant_restore_days) == (
        "Hourly", 4, 12, "08:00", 30, 7)


def test_attr_spans_point_at_the_property() -> None:
    estate = estate_of(ESTATE)
    web = vm_named(estate, "vm-web-0")
    assert web.span_of("size") == SourceSpan(str(ESTATE.relative_to(FIXTURES.parent)),
                                             166, 166, 40)
    assert web.span_of("os_disk.storage_type").line == 179
    assert web.os_disk is not None and web.os_disk.span_of("caching").line == 177
    daily = next(p for p in estate.policies if p.name == "pol-daily")
    assert daily.span_of("retention_daily").line == 103
    assert daily.span_of("instant_restore_days").line == 92


def test_old_storage_config_child() -> None:
    (vault,) = estate_of(FIXTURES / "arm" / "old-storage-config" / "azuredeploy.json").vaults
    assert (vault.sku, vault.redundancy, vault.cross_region_restore, vault.soft_delete) == (
        "RS0", "LocallyRedundant", False, "Disabled")
    assert vault.span_of("redundancy").line == 22


def test_locks_extensions_diagnostics_and_name_only_protection() -> None:
    estate = estate_of(FIXTURES / "arm" / "locks-extensions" / "azuredeploy.json")
    vm = vm_named(estate, "vm-app")
    assert sorted(str(e.name) for e in vm.extensions) == [
        "AzureDiskEncryption", "AzureMonitorWindowsAgent"]
    assert any(e.is_azure_disk_encryption for e in vm.extensions)
    assert vm.has_diagnostic_settings is True
    assert vm.zone == "2" and vm.scale_set_orchestration == "Flexible"
    assert vm.os_disk is not None and vm.os_disk.ephemeral is True
    assert vm.os_disk.ephemeral_placement == "ResourceDisk"
    (nic,) = vm.nics
    assert (nic.name, nic.accelerated_networking) == ("nic-inline", True)
    assert nic.ip_configurations[0].version == "IPv6"
    (protection,) = estate.protections_of(vm)  # matched by name, upper-cased in the item
    assert protection.exclude_luns == (1,) and protection.include_luns is None
    assert protection.policy is None
    vault = estate.vault_of(protection)
    assert vault is not None
    assert (vault.cmk, vault.immutability, vault.soft_delete, vault.public_network_access) == (
        True, "Locked", "AlwaysON", "Disabled")
    locks = {lock.name: lock for lock in estate.locks}
    assert locks["vm-lock"].scope_address == vm.address and locks["vm-lock"].level == \
        "CanNotDelete"
    assert locks["vault-lock"].scope_address == vault.address
    assert locks["vault-lock"].level == "ReadOnly"
    assert isinstance(locks["rg-lock"].scope, Unknown)
    assert estate.scale_sets[0].orchestration_mode == "Flexible"


def test_language_v2_policy_type_from_schedule() -> None:
    estate = estate_of(FIXTURES / "arm" / "language-v2" / "azuredeploy.json")
    assert estate.vaults == ()  # only an existing vault
    (policy,) = estate.policies
    assert (policy.policy_type, policy.time, policy.retention_daily, policy.vault_name) == (
        "V2", "02:30", 14, "rsv-shared")


def test_unknown_condition_reaches_the_vm() -> None:
    estate = estate_of(FIXTURES / "arm" / "conditions" / "azuredeploy.json")
    assert vm_named(estate, "vm-maybe").condition == Unknown("parameters('deployWorker')")
    assert vm_named(estate, "vm-prod").condition is None


def test_protected_item_for_a_vm_not_in_the_template(tmp_path: Path) -> None:
    item = {"type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/"
                    "protectedItems", "apiVersion": "2024-04-01",
            "name": "rsv/Azure/iaasvmcontainer;iaasvmcontainerv2;rg;vm-x/"
                    "vm;iaasvmcontainerv2;rg;vm-x",
            "properties": {"protectedItemType": "Microsoft.Compute/virtualMachines",
                           "sourceResourceId": "/subscriptions/s/resourceGroups/rg/providers/"
                                               "Microsoft.Compute/virtualMachines/vm-x"}}
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"$schema": "deploymentTemplate", "resources": [item]}))
    estate = estate_of(path, tmp_path)
    (protection,) = estate.protections
    assert protection.vm is None
    assert protection.vm_id == item["properties"]["sourceResourceId"]
    (note,) = estate.unresolved
    assert note.address == protection.address


def body(kind: str, values: dict[str, Any]) -> Resource:
    return Resource(type=kind, address="azapi_resource.x", span=SourceSpan("main.tf", 1, 9),
                    properties=values, id="/subscriptions/s/resourceGroups/rg/providers/" + kind)


def test_converters_work_on_bare_bodies() -> None:
    policy = policy_from_arm(body("Microsoft.RecoveryServices/vaults/backupPolicies", {
        "name": "pol", "properties": {"policyType": "V2", "schedulePolicy": {
            "schedulePolicyType": "SimpleSchedulePolicyV2", "scheduleRunFrequency": "Weekly",
            "weeklySchedule": {"scheduleRunDays": ["Sunday"],
                               "scheduleRunTimes": ["2024-01-01T01:00:00Z"]}},
            "tieringPolicy": {"ArchivedRP": {"tieringMode": "TierAfter"}},
            "snapshotConsistencyType": "OnlyCrashConsistent"}}))
    assert (policy.frequency, policy.weekdays, policy.time, policy.tiering_mode,
            policy.consistency_type) == ("Weekly", ("Sunday",), "01:00", "TierAfter",
                                         "OnlyCrashConsistent")
    vault = vault_from_arm(body("Microsoft.RecoveryServices/vaults", {
        "name": "v", "properties": {"redundancySettings": {
            "standardTierStorageRedundancy": "ZoneRedundant", "crossRegionRestore": "Disabled"}}}))
    assert (vault.redundancy, vault.cross_region_restore, vault.resource_group) == (
        "ZoneRedundant", False, "rg")


@pytest.mark.parametrize(("luns", "inclusion", "expected"), [
    ([0, "1"], False, (None, (0, 1))),
    ([2], True, ((2,), None)),
    (True, False, (None, None)),  # not a list: read as not set (found by the deep fuzz run)
    ("0", True, (None, None)),
])
def test_disk_exclusion_luns(luns: Any, inclusion: bool, expected: tuple[Any, Any]) -> None:
    from azbackup_policy.linkers.arm_backup import protection_from_arm

    item = body("Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/"
                "protectedItems", {"name": "x", "properties": {"extendedProperties": {
                    "diskExclusionProperties": {"diskLunList": luns,
                                                "isInclusionList": inclusion}}}})
    protection = protection_from_arm(item, None, None, None)
    assert (protection.include_luns, protection.exclude_luns) == expected


def test_scan_pipeline_reads_templates_with_their_parameter_files() -> None:
    from azbackup_policy.pipeline import load_units

    loaded = load_units(["fixtures/scenarios/estate-basic/arm"])
    assert loaded.errors == []
    (unit,) = loaded.units
    assert unit.format == "arm"
    assert len(unit.estate.vms) == 6
    linked = load_units(["fixtures/arm/linked-template"])
    (unit,) = linked.units  # nested/db.json is part of the calling template's document
    assert unit.files == ("fixtures/arm/linked-template/azuredeploy.json",
                          "fixtures/arm/linked-template/nested/db.json")
