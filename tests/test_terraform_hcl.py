"""Terraform HCL parser: instances, values, references, spans, comments (fixtures/hcl)."""

from __future__ import annotations

import base64
from pathlib import Path

import hcl2
import pytest
from test_terraform_hcl_helpers import by_address, parse_folder, write_module

from azbackup_policy.document import Document
from azbackup_policy.model import Unknown

FIXTURES = "fixtures/hcl"


@pytest.fixture
def count_doc(in_repo: Path) -> Document:
    return parse_folder(f"{FIXTURES}/count")


def test_document_header_and_files(count_doc: Document) -> None:
    assert count_doc.format == "terraform-hcl"
    assert count_doc.vocabulary == "azurerm"
    assert count_doc.path == f"{FIXTURES}/count"
    assert count_doc.files == (f"{FIXTURES}/count/main.tf", f"{FIXTURES}/count/variables.tf")
    assert count_doc.not_followed == ()


def test_count_expands_instances_with_terraform_addresses(count_doc: Document) -> None:
    assert [r.address for r in count_doc.resources] == [
        "azurerm_resource_group.rg",
        "azurerm_recovery_services_vault.vault",
        "azurerm_backup_policy_vm.daily",
        "azurerm_network_interface.web[0]",
        "azurerm_network_interface.web[1]",
        "azurerm_linux_virtual_machine.web[0]",
        "azurerm_linux_virtual_machine.web[1]",
        "azurerm_backup_protected_vm.web[0]",
        "azurerm_backup_protected_vm.web[1]",
    ]
    vm = by_address(count_doc)["azurerm_linux_virtual_machine.web[1]"]
    assert vm.type == "azurerm_linux_virtual_machine"
    assert (vm.mode, vm.action, vm.id, vm.condition) == ("managed", "deploy", None, None)


def test_values_have_the_plan_shape(count_doc: Document) -> None:
    vm = by_address(count_doc)["azurerm_linux_virtual_machine.web[1]"]
    props = vm.properties
    assert props["name"] == "vm-web-1"  # local + count.index interpolation
    assert props["location"] == "westeurope"  # variable default
    assert props["resource_group_name"] == "rg-app"  # another resource's known attribute
    assert props["os_disk"] == [
        {"caching": "ReadWrite", "storage_account_type": "Premium_LRS", "disk_size_gb": 64}
    ]
    assert props["source_image_reference"][0]["offer"] == "0001-com-ubuntu-server-jammy"
    assert props["tags"] == {"env": "prod", "owner": "platform", "role": "web"}  # merge()
    assert "count" not in props and "zone" not in props  # meta-argument; not set


def test_references_become_instance_links(count_doc: Document) -> None:
    resources = by_address(count_doc)
    item = resources["azurerm_backup_protected_vm.web[1]"]
    assert item.properties["source_vm_id"] == Unknown(
        "azurerm_linux_virtual_machine.web[count.index].id"
    )
    assert item.references["source_vm_id"] == ("azurerm_linux_virtual_machine.web[1]",)
    assert item.references["backup_policy_id"] == ("azurerm_backup_policy_vm.daily",)
    assert item.properties["recovery_vault_name"] == "rsv-app"
    assert item.references["recovery_vault_name"] == ("azurerm_recovery_services_vault.vault",)
    vm = resources["azurerm_linux_virtual_machine.web[0]"]
    assert vm.references["network_interface_ids"] == ("azurerm_network_interface.web[0]",)
    assert vm.properties["network_interface_ids"] == [
        Unknown("azurerm_network_interface.web[count.index].id")
    ]


def test_unset_computed_attribute_of_a_resource_is_unknown(count_doc: Document) -> None:
    nic = by_address(count_doc)["azurerm_network_interface.web[0]"]
    assert nic.properties["ip_configuration"][0]["subnet_id"] == Unknown("var.subnet_id")


def test_sensitive_values_are_hidden(count_doc: Document) -> None:
    vm = by_address(count_doc)["azurerm_linux_virtual_machine.web[0]"]
    assert vm.properties["admin_password"] == Unknown("(sensitive value)")
    assert vm.properties["admin_ssh_key"][0]["public_key"] == Unknown("(sensitive value)")
    assert vm.sensitive_paths == frozenset({"admin_password", "admin_ssh_key.0.public_key"})
    assert "not-a-real-password" not in repr(vm)


def test_spans_point_at_blocks_and_attribute_lines(count_doc: Document) -> None:
    vm = by_address(count_doc)["azurerm_linux_virtual_machine.web[1]"]
    main = f"{FIXTURES}/count/main.tf"
    assert (vm.span.file, vm.span.line, vm.span.end_line) == (main, 52, 80)
    spans = vm.property_spans
    assert spans["location"].line == 56  # the value is a variable default; the line is here
    assert (spans["os_disk.0"].line, spans["os_disk.0"].end_line) == (68, 72)
    assert spans["os_disk.0.storage_account_type"].line == 70
    assert vm.span_of("os_disk.0.disk_size_gb").line == 71
    first = by_address(count_doc)["azurerm_linux_virtual_machine.web[0]"]
    assert first.span == vm.span and first.property_spans == vm.property_spans


def test_marker_comments_above_and_inside_blocks(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": (
        '# azbackup-policy: ignore[BKP-COV-001] reason="stateless"\n'
        "# rebuilt nightly from an image\n"
        'resource "azurerm_linux_virtual_machine" "a" {\n'
        '  // azbackup-policy: ignore[BKP-SEC-001] reason="test VM"\n'
        '  name = "vm-a" # azbackup-policy: not a whole-line comment\n'
        "}\n"
        "# azbackup-policy: ignore[BKP-COV-001] reason=\"separated by a blank line\"\n"
        "\n"
        'resource "azurerm_linux_virtual_machine" "b" {\n  name = "vm-b"\n}\n'
    )})
    resources = by_address(parse_folder(tmp_path, cwd=tmp_path))
    assert resources["azurerm_linux_virtual_machine.a"].comments == (
        '# azbackup-policy: ignore[BKP-COV-001] reason="stateless"',
        '// azbackup-policy: ignore[BKP-SEC-001] reason="test VM"',
    )
    assert resources["azurerm_linux_virtual_machine.b"].comments == ()


def test_fixtures_without_markers_have_no_comments(count_doc: Document) -> None:
    assert all(r.comments == () for r in count_doc.resources)


def test_for_each_over_a_set(in_repo: Path) -> None:
    doc = parse_folder(f"{FIXTURES}/for_each_set")
    resources = by_address(doc)
    assert list(resources) == [
        'azurerm_network_interface.api["api-a"]',
        'azurerm_network_interface.api["api-b"]',
        'azurerm_windows_virtual_machine.api["api-a"]',
        'azurerm_windows_virtual_machine.api["api-b"]',
        'azurerm_backup_protected_vm.api["api-a"]',
        'azurerm_backup_protected_vm.api["api-b"]',
    ]
    nic = resources['azurerm_network_interface.api["api-b"]']
    assert nic.properties["name"] == "nic-api-b"
    assert nic.properties["ip_configuration"][0]["private_ip_address"] == "10.0.1.11"
    vm = resources['azurerm_windows_virtual_machine.api["api-a"]']
    assert vm.properties["name"] == "vm-api-a"
    assert vm.references["network_interface_ids"] == ('azurerm_network_interface.api["api-a"]',)
    assert vm.properties["admin_password"] == Unknown("(sensitive value)")


def test_for_each_over_a_resource_links_each_value(in_repo: Path) -> None:
    doc = parse_folder(f"{FIXTURES}/for_each_set")
    item = by_address(doc)['azurerm_backup_protected_vm.api["api-b"]']
    assert item.properties["source_vm_id"] == Unknown("each.value.id")
    assert item.references == {
        "source_vm_id": ('azurerm_windows_virtual_machine.api["api-b"]',)
    }


def test_for_each_over_a_map_of_objects(in_repo: Path) -> None:
    doc = parse_folder(f"{FIXTURES}/for_each_map")
    resources = by_address(doc)
    batch = resources['azurerm_managed_disk.data["batch"]']
    report = resources['azurerm_managed_disk.data["report"]']
    assert (batch.properties["disk_size_gb"], batch.properties["storage_account_type"]) == (
        256, "Premium_LRS")
    assert (report.properties["disk_size_gb"], report.properties["storage_account_type"]) == (
        64, "StandardSSD_LRS")
    attach = resources['azurerm_virtual_machine_data_disk_attachment.data["report"]']
    assert attach.properties["caching"] == "None"
    assert attach.properties["virtual_machine_id"].endswith("/virtualMachines/vm-report")
    assert attach.references == {"managed_disk_id": ('azurerm_managed_disk.data["report"]',)}


def test_local_module_with_inputs_and_outputs(in_repo: Path) -> None:
    doc = parse_folder(f"{FIXTURES}/module")
    resources = by_address(doc)
    assert "module.db.azurerm_linux_virtual_machine.vm" in resources
    vm = resources["module.db.azurerm_linux_virtual_machine.vm"]
    assert vm.properties["name"] == "vm-db"  # a local built from an input
    assert vm.span.file == f"{FIXTURES}/module/modules/db/main.tf"
    assert vm.references["network_interface_ids"] == ("module.db.azurerm_network_interface.nic",)
    disk = resources["module.db.azurerm_managed_disk.data"]
    assert disk.properties["disk_size_gb"] == 512  # the module's variable default
    item = resources["module.db.azurerm_backup_protected_vm.vm"]
    assert item.properties["recovery_vault_name"] == "rsv-app"
    assert item.references == {
        "source_vm_id": ("module.db.azurerm_linux_virtual_machine.vm",),
        "backup_policy_id": ("azurerm_backup_policy_vm.daily",),  # through var.backup_policy_id
        "recovery_vault_name": ("azurerm_recovery_services_vault.vault",),
    }
    lock = resources["azurerm_management_lock.db"]
    assert lock.properties["name"] == "lock-vm-db"  # a module output with a known value
    assert isinstance(lock.properties["scope"], Unknown)
    assert lock.references["scope"] == ("module.db.azurerm_linux_virtual_machine.vm",)
    assert set(doc.files) == {
        f"{FIXTURES}/module/main.tf",
        f"{FIXTURES}/module/modules/db/main.tf",
        f"{FIXTURES}/module/modules/db/outputs.tf",
        f"{FIXTURES}/module/modules/db/variables.tf",
    }


def test_module_for_each_and_count(in_repo: Path) -> None:
    doc = parse_folder(f"{FIXTURES}/module_for_each")
    resources = by_address(doc)
    app = resources['module.vm["app"].azurerm_linux_virtual_machine.this']
    assert (app.properties["name"], app.properties["size"]) == ("vm-app", "Standard_D2s_v5")
    spare = resources["module.spare[0].azurerm_linux_virtual_machine.this"]
    assert spare.properties["name"] == "vm-spare0"
    item = resources['azurerm_backup_protected_vm.tier["web"]']
    assert item.references["source_vm_id"] == (
        'module.vm["web"].azurerm_linux_virtual_machine.this',
    )
    assert doc.files.count(f"{FIXTURES}/module_for_each/modules/vm/main.tf") == 1


def test_a_module_used_three_times_is_parsed_once(
    in_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    original = hcl2.parses_to_tree

    def counting(text: str) -> object:
        parsed.append(text)
        return original(text)

    monkeypatch.setattr(hcl2, "parses_to_tree", counting)
    parse_folder(f"{FIXTURES}/module_for_each")
    assert len(parsed) == 2  # main.tf and modules/vm/main.tf


def test_registry_module_inside_module_instances_is_reported_once(tmp_path: Path) -> None:
    write_module(tmp_path, {
        "main.tf": 'module "app" {\n  source   = "./app"\n  for_each = toset(["a", "b"])\n}\n',
        "app/main.tf": (
            'module "vault" {\n  source = "Azure/avm-res-recoveryservices-vault/azurerm"\n}\n'
        ),
    })
    doc = parse_folder(tmp_path, cwd=tmp_path)
    assert [(n.file, n.line) for n in doc.not_followed] == [("app/main.tf", 2)]


def test_count_zero_and_conditional_count(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": (
        'variable "enabled" {\n  default = false\n}\n'
        'resource "a" "off" {\n  count = var.enabled ? 1 : 0\n}\n'
        'resource "a" "on" {\n  count = !var.enabled ? 1 : 0\n}\n'
        'resource "a" "none" {\n  count = 0\n}\n'
    )})
    doc = parse_folder(tmp_path, cwd=tmp_path)
    assert [r.address for r in doc.resources] == ["a.on[0]"]


def test_dynamic_blocks(in_repo: Path) -> None:
    doc = parse_folder(f"{FIXTURES}/dynamic")
    resources = by_address(doc)
    nic = resources["azurerm_network_interface.multi"]
    assert nic.properties["ip_configuration"] == [
        {"name": "primary", "primary": True, "private_ip_address_allocation": "Static",
         "private_ip_address": "10.0.1.20"},
        {"name": "secondary", "primary": False, "private_ip_address_allocation": "Static",
         "private_ip_address": "10.0.1.21"},
    ]
    assert nic.property_spans["ip_configuration.1.private_ip_address"].line == 23
    assert nic.property_spans["ip_configuration.1"].line == 17
    policy = resources["azurerm_backup_policy_vm.weekly"]
    assert policy.properties["retention_weekly"] == [{"count": 12, "weekdays": ["Sunday"]}]
    assert "retention_monthly" not in policy.properties  # for_each over an empty map


def test_tfvars_precedence(in_repo: Path) -> None:
    folder = f"{FIXTURES}/tfvars"
    vm = by_address(parse_folder(folder))["azurerm_linux_virtual_machine.jump"]
    assert vm.properties["size"] == "Standard_B2s"  # terraform.tfvars over the default
    assert vm.properties["zone"] == "1"  # default only
    disk = vm.properties["os_disk"][0]
    assert disk["storage_account_type"] == "Premium_LRS"  # a.auto.tfvars over terraform.tfvars
    assert disk["disk_size_gb"] == 256  # b.auto.tfvars.json over a.auto.tfvars
    assert vm.properties["name"] == "vm-jump-${not-a-template}"  # .tfvars.json is literal
    doc = parse_folder(folder, var_files=(f"{folder}/prod.tfvars",))
    assert by_address(doc)["azurerm_linux_virtual_machine.jump"].properties["name"] == (
        "vm-jump-prod"
    )
    assert doc.files[-1] == f"{folder}/prod.tfvars"


def test_unknown_variable_and_unknown_count(in_repo: Path) -> None:
    doc = parse_folder(f"{FIXTURES}/unknown_variable")
    resources = by_address(doc)
    assert list(resources) == [
        "azurerm_linux_virtual_machine.worker[*]",
        "azurerm_backup_protected_vm.worker[*]",
    ]
    vm = resources["azurerm_linux_virtual_machine.worker[*]"]
    assert vm.condition == Unknown("var.vm_count")
    assert vm.properties["size"] == Unknown("var.size")
    assert vm.properties["name"] == Unknown('"vm-worker-${count.index}"')
    assert vm.properties["os_disk"][0]["caching"] == "ReadWrite"
    item = resources["azurerm_backup_protected_vm.worker[*]"]
    assert item.references["source_vm_id"] == ("azurerm_linux_virtual_machine.worker[*]",)


def test_registry_and_git_modules_are_not_followed(in_repo: Path) -> None:
    doc = parse_folder(f"{FIXTURES}/registry_module")
    main = f"{FIXTURES}/registry_module/main.tf"
    assert [(n.file, n.line, n.source) for n in doc.not_followed] == [
        (main, 2, "Azure/avm-res-recoveryservices-vault/azurerm"),
        (main, 11, "git::https://github.com/example-org/terraform-azurerm-network.git?ref=v1.0.0"),
    ]
    assert "registry" in doc.not_followed[0].reason and "git" in doc.not_followed[1].reason
    policy = by_address(doc)["azurerm_backup_policy_vm.daily"]
    assert policy.properties["recovery_vault_name"] == Unknown("module.vault.name")


def test_tf_json_files(in_repo: Path) -> None:
    doc = parse_folder(f"{FIXTURES}/tf_json")
    resources = by_address(doc)
    assert list(resources) == [
        "azurerm_linux_virtual_machine.web[0]",
        "azurerm_linux_virtual_machine.web[1]",
        "azurerm_network_interface.web[0]",
        "azurerm_network_interface.web[1]",
    ]
    vm = resources["azurerm_linux_virtual_machine.web[1]"]
    assert vm.properties["name"] == "vm-web-1"
    assert vm.properties["resource_group_name"] == "rg-app"
    assert vm.properties["os_disk"] == [
        {"caching": "ReadWrite", "storage_account_type": "Premium_LRS", "disk_size_gb": 64}
    ]
    assert vm.properties["tags"] == {"env": "prod"}
    assert "lifecycle" not in vm.properties
    assert vm.references["network_interface_ids"] == ("azurerm_network_interface.web[1]",)
    assert (vm.span.line, vm.span.end_line) == (17, 44)
    assert vm.property_spans["os_disk.0.disk_size_gb"].line == 31
    nic = resources["azurerm_network_interface.web[0]"]
    assert nic.properties["ip_configuration"] == [
        {"name": "internal", "private_ip_address_allocation": "Dynamic"}
    ]


def test_crlf_file(in_repo: Path) -> None:
    assert b"\r\n" in Path(f"{FIXTURES}/crlf/main.tf").read_bytes()
    doc = parse_folder(f"{FIXTURES}/crlf")
    vm = by_address(doc)["azurerm_linux_virtual_machine.jump"]
    assert vm.properties["size"] == "Standard_B2s"
    assert vm.properties["admin_username"] == "azureuser\n"  # a <<- heredoc
    # custom_data is read for the Linux rules (never printed), and marked sensitive.
    assert base64.b64decode(vm.properties["custom_data"]) == b"#!/bin/sh\necho hi"
    assert "custom_data" in vm.sensitive_paths
    assert (vm.span.line, vm.span.end_line) == (6, 18)
    assert vm.property_spans["os_disk.0.caching"].line == 15
    assert vm.comments == ('# azbackup-policy: ignore[BKP-COV-001] reason="jump host"',)


def test_override_files_merge_into_their_blocks(tmp_path: Path) -> None:
    write_module(tmp_path, {
        "main.tf": (
            'resource "azurerm_linux_virtual_machine" "vm" {\n'
            '  name = "vm-1"\n  size = "Standard_B1s"\n'
            '  os_disk {\n    caching = "ReadWrite"\n  }\n}\n'
        ),
        "z_override.tf": (
            'resource "azurerm_linux_virtual_machine" "vm" {\n'
            '  size = "Standard_D2s_v5"\n'
            '  os_disk {\n    caching = "ReadOnly"\n  }\n}\n'
        ),
    })
    vm = by_address(parse_folder(tmp_path, cwd=tmp_path))["azurerm_linux_virtual_machine.vm"]
    assert vm.properties == {
        "name": "vm-1", "size": "Standard_D2s_v5", "os_disk": [{"caching": "ReadOnly"}]
    }
    assert vm.property_spans["size"].file == "z_override.tf"
    assert vm.span.file == "main.tf"
