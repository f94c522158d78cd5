"""The azurerm linker, through the plan parser and on hand-made Documents."""

from __future__ import annotations

import io
import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from azbackup_policy.discover import PLAN, FileLoader, Source
from azbackup_policy.document import Document, Resource
from azbackup_policy.linkers.azurerm import link
from azbackup_policy.linkers.azurerm_vm import security_type
from azbackup_policy.model import Estate, SourceSpan, Unknown, VirtualMachine
from azbackup_policy.parsers import ParseContext, ParseOptions
from azbackup_policy.parsers.terraform_plan import parse

ESTATE = "fixtures/scenarios/estate-basic/tfplan.json"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"


@pytest.fixture(autouse=True)
def _repo(in_repo: Path) -> None:
    """Every test runs from the repository root."""


def estate_of(path: str, **options: Any) -> Estate:
    (document,) = parse(Source(path, PLAN), ParseContext(FileLoader(), ParseOptions(**options)))
    return link(document)


def vm_named(estate: Estate, name: str) -> VirtualMachine:
    return next(vm for vm in estate.vms if vm.name == name)


def protection_summary(estate: Estate, vm: VirtualMachine) -> list[tuple[Any, ...]]:
    found = []
    for item in estate.protections_of(vm):
        vault, policy = estate.vault_of(item), estate.policy_of(item)
        assert vault is not None and policy is not None
        found.append((vault.name, policy.name, policy.policy_type))
    return found


@pytest.mark.parametrize(("vm", "expected"), [
    ("vm-web-0", [("rsv-app", "pol-daily", "V1")]),
    ("vm-web-1", [("rsv-app", "pol-daily", "V1")]),
    ("vm-api-a", [("rsv-app", "pol-enhanced", "V2")]),
    ("vm-api-b", [("rsv-app", "pol-enhanced", "V2")]),
    ("vm-db", [("rsv-app", "pol-daily", "V1")]),
    ("vm-jump", []),
])
def test_estate_basic_protection_of_every_vm(vm: str, expected: list[tuple[Any, ...]]) -> None:
    estate = estate_of(ESTATE)
    assert protection_summary(estate, vm_named(estate, vm)) == expected


def test_estate_basic_is_fully_linked() -> None:
    estate = estate_of(ESTATE)
    assert len(estate.vms) == 6 and len(estate.protections) == 5
    assert estate.unresolved == ()
    assert all(p.vm and p.policy and p.vault for p in estate.protections)
    assert {p.vault for p in estate.policies} == {"azurerm_recovery_services_vault.rsv"}


def test_count_and_for_each_instances_pair_with_their_own_nic() -> None:
    estate = estate_of(ESTATE)
    for vm, nic, allocation in (("vm-web-0", "nic-web-0", "Dynamic"),
                                ("vm-web-1", "nic-web-1", "Dynamic"),
                                ("vm-api-a", "nic-api-a", "Static"),
                                ("vm-api-b", "nic-api-b", "Static")):
        nics = vm_named(estate, vm).nics
        assert [n.name for n in nics] == [nic]
        assert nics[0].ip_configurations[0].allocation == allocation


def test_vm_fields_follow_the_field_map() -> None:
    estate = estate_of(ESTATE)
    api = vm_named(estate, "vm-api-a")
    assert (api.os_type, api.size, api.security_type, api.secure_boot, api.vtpm) == (
        "Windows", "Standard_D4s_v5", "TrustedLaunch", True, True)
    assert api.image is not None and api.image.sku == "2022-datacenter-azure-edition"
    assert api.os_disk is not None and (api.os_disk.storage_type, api.os_disk.size_gb,
                                        api.os_disk.caching) == ("StandardSSD_LRS", 128,
                                                                 "ReadWrite")
    web = vm_named(estate, "vm-web-1")
    assert (web.os_type, web.security_type, web.vm_agent, web.priority) == (
        "Linux", "Standard", True, "Regular")
    assert web.os_disk is not None and web.os_disk.ephemeral is False


def test_module_vm_gets_its_attached_data_disk() -> None:
    db = vm_named(estate_of(ESTATE), "vm-db")
    assert [(d.name, d.lun, d.caching, d.storage_type, d.size_gb) for d in db.data_disks] == [
        ("disk-db-data", 0, "ReadOnly", "Premium_LRS", 512)]


def test_vault_and_policy_fields() -> None:
    estate = estate_of(ESTATE)
    (vault,) = estate.vaults
    assert (vault.name, vault.sku, vault.redundancy, vault.cross_region_restore) == (
        "rsv-app", "Standard", "GeoRedundant", True)
    assert isinstance(vault.immutability, Unknown)
    enhanced = next(p for p in estate.policies if p.name == "pol-enhanced")
    assert (enhanced.policy_type, enhanced.frequency, enhanced.hourly_interval,
            enhanced.hourly_window_hours, enhanced.hourly_start, enhanced.time,
            enhanced.retention_daily, enhanced.instant_restore_days, enhanced.time_zone) == (
        "V2", "Hourly", 4, 12, "08:00", "08:00", 30, 7, "UTC")
    daily = next(p for p in estate.policies if p.name == "pol-daily")
    assert (daily.frequency, daily.time, daily.instant_restore_days) == ("Daily", "23:00", 2)


def test_attr_spans_point_at_tf_attribute_lines() -> None:
    source = "fixtures/scenarios/estate-basic/terraform"
    estate = estate_of(ESTATE, source_dir=source)
    web = vm_named(estate, "vm-web-0")
    lines = Path(f"{source}/web.tf").read_text().splitlines()
    assert web.span is not None and web.span.file == f"{source}/web.tf"
    for model_field, needle in (("size", "size "), ("os_disk.storage_type", "storage_account_type"),
                                ("image.offer", "offer ")):
        span = web.attr_spans[model_field]
        assert lines[span.line - 1].strip().startswith(needle), model_field
    policy = next(p for p in estate.policies if p.name == "pol-daily")
    backup = Path(f"{source}/backup.tf").read_text().splitlines()
    assert backup[policy.attr_spans["instant_restore_days"].line - 1].strip().startswith(
        "instant_restore_retention_days")


def test_unknown_values_stay_unknown() -> None:
    estate = estate_of("fixtures/plan/unknowns/tfplan.json")
    vm = vm_named(estate, "vm-app")
    assert vm.size == Unknown("terraform_data.size.output")
    (policy,) = estate.policies
    assert isinstance(policy.instant_restore_days, Unknown)
    assert protection_summary(estate, vm) == [("rsv-app", "pol-daily", "V1")]


def test_deleted_vm_and_its_protection_are_ignored() -> None:
    estate = estate_of("fixtures/plan/deleted/tfplan.json")
    assert [vm.name for vm in estate.vms] == ["vm-keep"]
    assert [p.vm for p in estate.protections] == ["azurerm_linux_virtual_machine.keep"]


def test_replaced_vm_remembers_its_previous_security_type() -> None:
    estate = estate_of("fixtures/plan/replace-trusted-launch/tfplan.json")
    vm = vm_named(estate, "vm-app")
    assert (vm.action, vm.previous_security_type, vm.security_type) == (
        "replace", "Standard", "TrustedLaunch")
    assert protection_summary(estate, vm) == [("rsv-app", "pol-daily", "V1")]
    assert "Secret" not in repr(estate)


def test_policy_switch_from_v2_to_v1() -> None:
    estate = estate_of("fixtures/plan/policy-switch-v2-to-v1/tfplan.json")
    (item,) = estate.protections
    assert item.policy == "azurerm_backup_policy_vm.daily"
    assert item.previous_policy == "azurerm_backup_policy_vm.enhanced"
    assert item.previous_policy_type == "V2"


def test_azapi_avm_protection_vault_policy_and_locks() -> None:
    estate = estate_of("fixtures/plan/azapi-avm/tfplan.json")
    vm = vm_named(estate, "vm-avm")
    assert protection_summary(estate, vm) == [("rsv-avm", "pol-daily", "V1")]
    (vault,) = estate.vaults
    assert (vault.sku, vault.redundancy, vault.cross_region_restore, vault.soft_delete,
            vault.immutability, vault.public_network_access) == (
        "RS0", "GeoRedundant", True, "AlwaysON", "Unlocked", "Disabled")
    (policy,) = estate.policies
    assert (policy.time, policy.retention_daily, policy.schedule_policy_type) == (
        "23:00", 30, "SimpleSchedulePolicy")
    assert {(lock.level, lock.scope_address) for lock in estate.locks} == {
        ("CanNotDelete", "module.vm.azurerm_linux_virtual_machine.this[0]"),
        ("CanNotDelete", "module.vault.azapi_resource.this")}


def test_legacy_vm_with_unmanaged_disks() -> None:
    estate = estate_of("fixtures/plan/legacy-vhd/tfplan.json")
    (vm,) = estate.vms
    assert (vm.os_type, vm.size, vm.zone, vm.vm_agent, vm.security_type) == (
        "Windows", "Standard_DS2_v2", "1", False, "Standard")
    assert vm.os_disk is not None and vm.os_disk.managed is False
    assert [(d.lun, d.managed, d.size_gb) for d in vm.data_disks] == [(0, False, 128)]
    assert [u.address for u in estate.unresolved] == [vm.address]  # its NIC is not in the plan


def test_sensitive_values_are_absent_from_the_model() -> None:
    for path, secret in ((ESTATE, "Fixture-Only-Secret-42!"),
                         ("fixtures/plan/legacy-vhd/tfplan.json", "Legacy-Fixture-Secret-3!")):
        estate = estate_of(path)
        assert secret not in repr(estate)
        for vm in estate.vms:  # also the fields hidden from repr
            assert all(secret not in repr(getattr(vm, f.name)) for f in fields(vm))


def test_through_the_library_and_the_cli() -> None:
    from azbackup_policy import load_estate
    from azbackup_policy.cli import main

    estate = load_estate(ESTATE)
    assert protection_summary(estate, vm_named(estate, "vm-db")) == [
        ("rsv-app", "pol-daily", "V1")]
    out, err = io.StringIO(), io.StringIO()
    main(["inventory", ESTATE, "--format", "json"], stdout=out, stderr=err)
    data = json.loads(out.getvalue())
    assert data["errors"] == []
    pairs = {(p["vm"], p["policy"]) for p in data["protections"]}
    assert ('azurerm_windows_virtual_machine.api["api-b"]',
            "azurerm_backup_policy_vm.enhanced") in pairs
    assert len(pairs) == 5
    assert "Fixture-Only-Secret-42!" not in out.getvalue()


# -- hand-made documents: ids, names, parts -------------------------------------------------

SPAN = SourceSpan("plan.json", 1, 1)


def res(type_: str, address: str, properties: dict[str, Any], **extra: Any) -> Resource:
    ident = properties.get("id")
    return Resource(type_, address, SPAN, properties, id=ident, action="no-op", **extra)


def vm_props(name: str, **more: Any) -> dict[str, Any]:
    props = {"name": name, "resource_group_name": "rg-app", "size": "Standard_D2s_v5",
             "network_interface_ids": [], "os_disk": [{"caching": "ReadWrite"}]}
    props.update(more)
    return props


def document(*resources: Resource) -> Document:
    return Document("plan.json", "terraform-plan", "azurerm", tuple(resources))


def test_link_by_known_id_is_case_insensitive() -> None:
    vm_id = f"{SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-a"
    estate = link(document(
        res("azurerm_linux_virtual_machine", "azurerm_linux_virtual_machine.a",
            vm_props("vm-a", id=vm_id)),
        res("azurerm_backup_protected_vm", "azurerm_backup_protected_vm.a",
            {"source_vm_id": vm_id.upper(), "backup_policy_id": None}),
    ))
    assert estate.protections[0].vm == "azurerm_linux_virtual_machine.a"


def test_link_by_resource_group_and_name_when_the_vm_id_is_unknown() -> None:
    vm_id = f"{SUB}/resourceGroups/RG-APP/providers/Microsoft.Compute/virtualMachines/VM-B"
    estate = link(document(
        res("azurerm_windows_virtual_machine", "azurerm_windows_virtual_machine.b",
            vm_props("vm-b", id=Unknown("(known after apply)"))),
        res("azurerm_backup_protected_vm", "azurerm_backup_protected_vm.b",
            {"source_vm_id": vm_id}),
    ))
    assert estate.protections[0].vm == "azurerm_windows_virtual_machine.b"


def test_a_vm_outside_the_plan_is_unresolved_not_guessed() -> None:
    estate = link(document(
        res("azurerm_linux_virtual_machine", "azurerm_linux_virtual_machine.a", vm_props("vm-a")),
        res("azurerm_backup_protected_vm", "azurerm_backup_protected_vm.x", {
            "source_vm_id": f"{SUB}/resourceGroups/rg-other/providers/Microsoft.Compute/"
                            "virtualMachines/vm-elsewhere"}),
    ))
    assert estate.protections[0].vm is None
    assert [u.address for u in estate.unresolved] == ["azurerm_backup_protected_vm.x"]


def test_ambiguous_references_are_unresolved() -> None:
    estate = link(document(
        res("azurerm_linux_virtual_machine", "azurerm_linux_virtual_machine.a[0]",
            vm_props("vm-0")),
        res("azurerm_linux_virtual_machine", "azurerm_linux_virtual_machine.a[1]",
            vm_props("vm-1")),
        res("azurerm_backup_protected_vm", "azurerm_backup_protected_vm.x",
            {"source_vm_id": Unknown("(known after apply)")},
            references={"source_vm_id": ("azurerm_linux_virtual_machine.a[0]",
                                         "azurerm_linux_virtual_machine.a[1]")}),
    ))
    assert estate.protections[0].vm is None
    assert "several" in estate.unresolved[0].message


def test_parts_of_a_vm_extensions_diagnostics_locks_scale_set_and_nics() -> None:
    vm_id = f"{SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-a"
    vmss_id = f"{SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachineScaleSets/ss"
    nic_old = f"{SUB}/resourceGroups/rg-app/providers/Microsoft.Network/networkInterfaces/nic-old"
    nic_new = f"{SUB}/resourceGroups/rg-app/providers/Microsoft.Network/networkInterfaces/nic-new"
    estate = link(document(
        res("azurerm_linux_virtual_machine", "azurerm_linux_virtual_machine.a", vm_props(
            "vm-a", id=vm_id, network_interface_ids=[nic_old, nic_new],
            virtual_machine_scale_set_id=vmss_id,
            os_disk=[{"caching": "ReadOnly", "diff_disk_settings": [
                {"option": "Local", "placement": "ResourceDisk"}],
                "security_encryption_type": "DiskWithVMGuestState"}])),
        res("azurerm_network_interface", "azurerm_network_interface.old",
            {"id": nic_old, "name": "nic-old", "enable_accelerated_networking": True,
             "ip_configuration": [{"private_ip_address_version": "IPv6"}]}),
        res("azurerm_network_interface", "azurerm_network_interface.new",
            {"id": nic_new, "name": "nic-new", "accelerated_networking_enabled": True}),
        res("azurerm_orchestrated_virtual_machine_scale_set",
            "azurerm_orchestrated_virtual_machine_scale_set.ss",
            {"id": vmss_id, "name": "ss", "sku_name": "Mix"}),
        res("azurerm_virtual_machine_extension", "azurerm_virtual_machine_extension.ade", {
            "name": "ade", "virtual_machine_id": vm_id, "publisher": "Microsoft.Azure.Security",
            "type": "AzureDiskEncryptionForLinux", "type_handler_version": "1.1"}),
        res("azurerm_monitor_diagnostic_setting", "azurerm_monitor_diagnostic_setting.d",
            {"target_resource_id": vm_id.lower()}),
        res("azurerm_management_lock", "azurerm_management_lock.l",
            {"name": "l", "scope": vm_id, "lock_level": "ReadOnly"}),
    ))
    (vm,) = estate.vms
    assert [(n.name, n.accelerated_networking) for n in vm.nics] == [
        ("nic-old", True), ("nic-new", True)]
    assert vm.nics[0].ip_configurations[0].version == "IPv6"
    assert vm.scale_set_orchestration == "Flexible"
    assert vm.security_type == "ConfidentialVM"
    assert vm.os_disk is not None and (vm.os_disk.ephemeral,
                                       vm.os_disk.ephemeral_placement) == (True, "ResourceDisk")
    assert vm.extensions[0].is_azure_disk_encryption
    assert vm.has_diagnostic_settings is True
    assert [(lock.level, lock.scope_address) for lock in estate.locks] == [
        ("ReadOnly", "azurerm_linux_virtual_machine.a")]
    assert [(s.orchestration_mode, s.size) for s in estate.scale_sets] == [("Flexible", "Mix")]


def test_include_and_exclude_luns() -> None:
    estate = link(document(
        res("azurerm_backup_protected_vm", "azurerm_backup_protected_vm.i",
            {"include_disk_luns": [2, 0]}),
        res("azurerm_backup_protected_vm", "azurerm_backup_protected_vm.e",
            {"exclude_disk_luns": [1], "include_disk_luns": None}),
    ))
    by = {p.address: p for p in estate.protections}
    assert by["azurerm_backup_protected_vm.i"].include_luns == (0, 2)
    assert by["azurerm_backup_protected_vm.i"].exclude_luns is None
    assert by["azurerm_backup_protected_vm.e"].exclude_luns == (1,)


@pytest.mark.parametrize(("values", "expected"), [
    ({}, "Standard"),
    ({"secure_boot_enabled": None, "vtpm_enabled": None}, "Standard"),
    ({"vtpm_enabled": True}, "TrustedLaunch"),
    ({"secure_boot_enabled": Unknown("var.sb")}, Unknown("var.sb")),
    ({"os_disk": [{"security_encryption_type": "VMGuestStateOnly"}]}, "ConfidentialVM"),
    (None, None),
])
def test_security_type_derivation(values: Any, expected: Any) -> None:
    assert security_type(values) == expected


def test_scan_reports_only_the_unprotected_jump_host_as_uncovered() -> None:
    from azbackup_policy import scan

    report = scan([ESTATE])
    assert report.errors == ()
    uncovered = [f.resource.address for f in report.findings if f.rule_id == "BKP-COV-001"]
    assert uncovered == ["azurerm_linux_virtual_machine.jump"]


def test_azapi_v1_string_body_with_disk_exclusion() -> None:
    vault_id = f"{SUB}/resourceGroups/rg-b/providers/Microsoft.RecoveryServices/vaults/rsv-b"
    body = json.dumps({"properties": {
        "protectedItemType": "Microsoft.Compute/virtualMachines",
        "policyId": f"{vault_id}/backupPolicies/pol-x",
        "extendedProperties": {"diskExclusionProperties": {"diskLunList": [3, 1],
                                                           "isInclusionList": False}}}})
    estate = link(document(
        res("azurerm_linux_virtual_machine", "azurerm_linux_virtual_machine.a", vm_props("vm-a")),
        res("azapi_resource", "azapi_resource.item", {
            "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/"
                    "protectedItems@2023-04-01",
            "name": "VM;iaasvmcontainerv2;rg-app;vm-a",
            "parent_id": f"{vault_id}/backupFabrics/Azure/protectionContainers/"
                         "iaasvmcontainer;iaasvmcontainerv2;rg-app;vm-a",
            "body": body}),
    ))
    (item,) = estate.protections
    assert item.vm == "azurerm_linux_virtual_machine.a"
    assert (item.exclude_luns, item.include_luns, item.api_version) == ((3, 1), None,
                                                                        "2023-04-01")
    assert item.policy is None  # pol-x is not in this plan: reported, not guessed
    assert [u.message for u in estate.unresolved] == ["the backup policy cannot be determined"]


def test_an_unknown_id_without_references_is_reported_with_its_expression() -> None:
    estate = link(document(
        res("azurerm_backup_protected_vm", "azurerm_backup_protected_vm.x",
            {"backup_policy_id": Unknown("local.policy_id")}),
    ))
    assert estate.protections[0].policy is None
    (problem,) = [u for u in estate.unresolved if "backup_policy_id" in u.message]
    assert "local.policy_id" in problem.message


def test_a_vm_read_by_a_data_source_is_outside_the_plan() -> None:
    vm_id = f"{SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-old"
    existing = Resource("azurerm_linux_virtual_machine", "data.azurerm_linux_virtual_machine.old",
                        SPAN, {"id": vm_id, "name": "vm-old", "resource_group_name": "rg-app"},
                        id=vm_id, mode="data", action="read")
    estate = link(document(existing, res(
        "azurerm_backup_protected_vm", "azurerm_backup_protected_vm.old",
        {"source_vm_id": vm_id},
        references={"source_vm_id": ("data.azurerm_linux_virtual_machine.old",)})))
    assert estate.vms == () and estate.protections[0].vm is None
    assert "read by data.azurerm_linux_virtual_machine.old" in estate.unresolved[0].message


def test_a_traffic_manager_endpoint_is_linked_only_through_a_named_public_ip() -> None:
    from azbackup_policy.linkers.traffic_manager import with_endpoints
    from azbackup_policy.model import IpConfiguration, NetworkInterface, Unknown, VirtualMachine

    def vm(name: str, pip: object) -> VirtualMachine:
        nic = NetworkInterface(ip_configurations=(IpConfiguration(public_ip_id=pip),))
        return VirtualMachine(address=name, name=name, nics=(nic,))

    vms = [vm("a", Unknown("azurerm_public_ip.a.id")), vm("b", Unknown("(known after apply)")),
           vm("c", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/"
                   "publicIPAddresses/PIP-C")]
    endpoints = [("ep-a", Unknown("azurerm_public_ip.a.id")),
                 ("ep-b", Unknown("(known after apply)")),
                 ("ep-c", "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/"
                          "publicipaddresses/pip-c")]
    linked = with_endpoints(vms, endpoints)
    assert [v.traffic_manager_endpoint for v in linked] == ["ep-a", None, "ep-c"]


def test_a_traffic_manager_endpoint_whose_name_is_unknown_still_links(tmp_path: Path) -> None:
    """An endpoint named from a variable without a default (a real module's idiom) is linked
    under its address; asking the truth of the unknown name crashed the whole scan."""
    from azbackup_policy import ScanOptions, scan

    fixture = Path(__file__).parent.parent / "fixtures/rules/network/net-004/main.tf"
    text = fixture.read_text(encoding="utf-8").replace(
        'name               = "ep-fail-net-004"', 'name               = "${var.prefix}-ep"')
    assert "${var.prefix}-ep" in text
    (tmp_path / "main.tf").write_text(text + '\nvariable "prefix" {\n  type = string\n}\n',
                                      encoding="utf-8")
    report = scan([str(tmp_path)], ScanOptions(cwd=str(tmp_path)))
    assert report.errors == ()
    found = [f for f in report.findings if f.rule_id == "BKP-NET-004"]
    assert [f.resource.address for f in found] == ["azurerm_linux_virtual_machine.fail"]
    assert "azurerm_traffic_manager_azure_endpoint.fail" in found[0].message
