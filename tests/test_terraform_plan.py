"""The Terraform plan JSON parser: values, unknowns, secrets, references, locations, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO

from azbackup_policy.discover import PLAN, FileLoader, Source
from azbackup_policy.document import Document, Resource
from azbackup_policy.errors import InputError
from azbackup_policy.model import Unknown
from azbackup_policy.parsers import ParseContext, ParseOptions
from azbackup_policy.parsers.terraform_plan import action_of, parse

ESTATE = "fixtures/scenarios/estate-basic/tfplan.json"
ESTATE_TF = "fixtures/scenarios/estate-basic/terraform"
SECRET = "Fixture-Only-Secret-42!"


def load(path: str, **options: object) -> Document:
    (document,) = parse(Source(path, PLAN), ParseContext(FileLoader(), ParseOptions(**options)))
    return document


def by_address(document: Document) -> dict[str, Resource]:
    return {r.address: r for r in document.resources}


@pytest.fixture(autouse=True)
def _repo(in_repo: Path) -> None:
    """Every test runs from the repository root (paths are as a user would give them)."""


def test_one_document_in_the_azurerm_vocabulary() -> None:
    document = load(ESTATE)
    assert (document.format, document.vocabulary, document.path) == (
        "terraform-plan", "azurerm", ESTATE)
    assert document.files == (ESTATE,)


def test_instances_of_count_for_each_and_module_keep_terraform_addresses() -> None:
    addresses = set(by_address(load(ESTATE)))
    assert {
        "azurerm_linux_virtual_machine.web[0]", "azurerm_linux_virtual_machine.web[1]",
        'azurerm_windows_virtual_machine.api["api-a"]',
        'azurerm_windows_virtual_machine.api["api-b"]',
        "module.db.azurerm_linux_virtual_machine.db",
        "module.db.azurerm_virtual_machine_data_disk_attachment.data",
        "azurerm_linux_virtual_machine.jump",
    } <= addresses
    assert len(addresses) == 25


@pytest.mark.parametrize(("protected", "vm"), [
    ("azurerm_backup_protected_vm.web[0]", "azurerm_linux_virtual_machine.web[0]"),
    ("azurerm_backup_protected_vm.web[1]", "azurerm_linux_virtual_machine.web[1]"),
    ('azurerm_backup_protected_vm.api["api-a"]', 'azurerm_windows_virtual_machine.api["api-a"]'),
    ('azurerm_backup_protected_vm.api["api-b"]', 'azurerm_windows_virtual_machine.api["api-b"]'),
    ("module.db.azurerm_backup_protected_vm.db", "module.db.azurerm_linux_virtual_machine.db"),
])
def test_source_vm_references_are_paired_by_instance_key(protected: str, vm: str) -> None:
    assert by_address(load(ESTATE))[protected].references["source_vm_id"] == (vm,)


def test_module_inputs_resolve_through_var_to_the_parent_module() -> None:
    item = by_address(load(ESTATE))["module.db.azurerm_backup_protected_vm.db"]
    assert item.references["backup_policy_id"] == ("azurerm_backup_policy_vm.daily",)
    assert item.references["recovery_vault_name"] == ("azurerm_recovery_services_vault.rsv",)


def test_list_and_nested_block_references() -> None:
    resources = by_address(load(ESTATE))
    assert resources['azurerm_windows_virtual_machine.api["api-b"]'].references[
        "network_interface_ids"] == ('azurerm_network_interface.api["api-b"]',)
    assert resources["azurerm_network_interface.web[1]"].references[
        "ip_configuration.0.subnet_id"] == ("azurerm_subnet.app",)


def test_unknown_leaves_become_unknown_with_the_reference_text() -> None:
    resources = by_address(load(ESTATE))
    item = resources["azurerm_backup_protected_vm.web[1]"]
    assert item.properties["source_vm_id"] == Unknown("azurerm_linux_virtual_machine.web[1].id")
    assert item.properties["protection_state"] == Unknown("(known after apply)")
    vm = resources["azurerm_linux_virtual_machine.web[0]"]
    assert vm.properties["network_interface_ids"] == [
        Unknown("azurerm_network_interface.web[0].id")]
    assert vm.id == Unknown("(known after apply)")


def test_not_set_stays_none_and_only_unknown_is_unknown() -> None:
    resources = by_address(load("fixtures/plan/unknowns/tfplan.json"))
    vm = resources["azurerm_linux_virtual_machine.app"].properties
    assert vm["size"] == Unknown("terraform_data.size.output")
    assert vm["zone"] is None and vm["secure_boot_enabled"] is None
    policy = resources["azurerm_backup_policy_vm.daily"].properties
    assert isinstance(policy["instant_restore_retention_days"], Unknown)
    assert policy["backup"][0]["time"] == "23:00"


def test_actions_and_deleted_resources_are_left_out() -> None:
    document = load("fixtures/plan/deleted/tfplan.json")
    resources = by_address(document)
    assert "azurerm_linux_virtual_machine.old" not in resources
    assert "azurerm_backup_protected_vm.old" not in resources
    assert resources["azurerm_linux_virtual_machine.keep"].action == "no-op"
    assert resources["azurerm_linux_virtual_machine.keep"].id.endswith("/virtualMachines/vm-keep")


@pytest.mark.parametrize(("actions", "expected"), [
    (["no-op"], "no-op"), (["create"], "create"), (["update"], "update"), (["read"], "read"),
    (["delete", "create"], "replace"), (["create", "delete"], "replace"), (["delete"], None),
    (["forget"], None), (["create", "forget"], "create"),
])
def test_action_of(actions: list[str], expected: str | None) -> None:
    assert action_of(actions) == expected


def test_replace_keeps_before_for_transition_rules() -> None:
    vm = by_address(load("fixtures/plan/replace-trusted-launch/tfplan.json"))[
        "azurerm_windows_virtual_machine.app"]
    assert vm.action == "replace"
    assert vm.before is not None and vm.before["secure_boot_enabled"] is None
    assert vm.properties["secure_boot_enabled"] is True


def test_sensitive_values_never_reach_the_document() -> None:
    for path in (ESTATE, "fixtures/plan/replace-trusted-launch/tfplan.json",
                 "fixtures/plan/legacy-vhd/tfplan.json"):
        document = load(path)
        text = repr(document)
        for secret in (SECRET, "Old-Fixture-Secret-1!", "New-Fixture-Secret-2!",
                       "Legacy-Fixture-Secret-3!"):
            assert secret not in text
    vm = by_address(load(ESTATE))['azurerm_windows_virtual_machine.api["api-a"]']
    assert vm.properties["admin_password"] == Unknown("(sensitive value)")
    assert vm.sensitive_paths == frozenset({"admin_password"})
    legacy = by_address(load("fixtures/plan/legacy-vhd/tfplan.json"))[
        "azurerm_virtual_machine.legacy"]
    assert "os_profile.0.admin_password" in legacy.sensitive_paths


def test_the_plan_itself_does_hold_the_secret() -> None:
    """Guard for the test above: the fixture really contains the clear-text password."""
    assert SECRET in Path(ESTATE).read_text()


def test_spans_point_at_the_resource_object_in_planned_values() -> None:
    text = Path(ESTATE).read_text().splitlines()
    document = load(ESTATE)
    for resource in document.resources:
        line = text[resource.span.line - 1]
        assert line[resource.span.column - 1] == "{"
        assert json.dumps(resource.address) in text[resource.span.line]
    vm = by_address(document)["azurerm_linux_virtual_machine.jump"]
    assert '"size"' in text[vm.span_of("size").line - 1]


def test_single_line_plan_gives_distinct_columns() -> None:
    path = "fixtures/plan/single-line/tfplan.json"
    text = Path(path).read_text()
    document = load(path)
    columns = {r.span.column for r in document.resources}
    assert len(columns) == len(document.resources)
    for resource in document.resources:
        assert resource.span.line == 1
        start = resource.span.column - 1
        assert text[start] == "{"
        assert text[start + 1:].startswith('"address":' + json.dumps(resource.address))


def test_tf_sources_beside_the_plan_give_block_and_attribute_lines() -> None:
    document = load("fixtures/plan/unknowns/tfplan.json")
    assert "fixtures/plan/unknowns/main.tf" in document.files
    lines = Path("fixtures/plan/unknowns/main.tf").read_text().splitlines()
    vm = by_address(document)["azurerm_linux_virtual_machine.app"]
    assert vm.span.file == "fixtures/plan/unknowns/main.tf"
    assert lines[vm.span.line - 1].startswith('resource "azurerm_linux_virtual_machine" "app"')
    assert lines[vm.span.end_line - 1] == "}"
    assert lines[vm.span_of("size").line - 1].strip().startswith("size ")
    assert lines[vm.span_of("os_disk.0.caching").line - 1].strip().startswith("caching ")


def test_source_dir_option_reaches_local_child_modules() -> None:
    document = load(ESTATE, source_dir=ESTATE_TF)
    resources = by_address(document)
    db = resources["module.db.azurerm_linux_virtual_machine.db"]
    assert db.span.file == f"{ESTATE_TF}/modules/db/main.tf"
    web = resources["azurerm_linux_virtual_machine.web[1]"]
    assert web.span.file == f"{ESTATE_TF}/web.tf"
    lines = Path(web.span.file).read_text().splitlines()
    assert lines[web.span.line - 1] == 'resource "azurerm_linux_virtual_machine" "web" {'
    assert lines[web.span_of("os_disk.0.disk_size_gb").line - 1].strip().startswith(
        "disk_size_gb")


def test_format_version_0_1_is_read() -> None:
    resources = by_address(load("fixtures/plan/format-0.1/tfplan.json"))
    assert resources["azurerm_backup_protected_vm.vm"].references["source_vm_id"] == (
        "azurerm_linux_virtual_machine.vm",)


def test_format_version_0_2_is_read(tmp_path: Path) -> None:
    text = (REPO / "fixtures/plan/format-0.1/tfplan.json").read_text(encoding="utf-8")
    assert '"format_version": "0.1"' in text
    path = tmp_path / "tfplan.json"
    path.write_text(text.replace('"format_version": "0.1"', '"format_version": "0.2"'))
    (document,) = parse(Source(str(path), "terraform-plan"), ParseContext(FileLoader()))
    assert {r.address for r in document.resources} >= {"azurerm_backup_protected_vm.vm"}


def test_azapi_body_is_kept_as_values() -> None:
    resources = by_address(load("fixtures/plan/azapi-avm/tfplan.json"))
    item = resources['module.vm.azapi_resource.this_backup_intent["daily"]']
    assert item.properties["body"]["properties"]["sourceResourceId"] == Unknown(
        "(known after apply)")
    assert item.properties["name"] == "VM;iaasvmcontainerv2;rg-app;vm-avm"


# -- malformed input ----------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "plan.json"
    path.write_text(text)
    return str(path)


def test_truncated_json_reports_line_and_column(tmp_path: Path) -> None:
    text = Path(ESTATE).read_text()[:5000]
    with pytest.raises(InputError) as caught:
        load(write(tmp_path, text))
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        assert (caught.value.line, caught.value.column) == (exc.lineno, exc.colno)
    assert caught.value.line > 100


@pytest.mark.parametrize(("text", "fragment"), [
    ("[1, 2]", "not an object"),
    ('{"terraform_version": "1.9.8"}', "format_version"),
    ('{"format_version": "1.2", "variables": {}}', "planned_values"),
    ('{"format_version": 1.2, "planned_values": {}}', "format_version"),
    ('{\n  "format_version": "2.0",\n  "planned_values": {}\n}', "unsupported"),
    ('{"format_version": "1.2", "planned_values": []}', "planned_values must be an object"),
    ('{"format_version": "1.2", "planned_values": {}, "resource_changes": {}}',
     "resource_changes must be a list"),
])
def test_not_a_plan(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        load(write(tmp_path, text))


def test_unsupported_version_points_at_the_key(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load(write(tmp_path, '{\n  "planned_values": {},\n  "format_version": "2.0"\n}'))
    assert (caught.value.line, caught.value.column) == (3, 3)


@pytest.mark.parametrize("planned", [
    {"root_module": []},
    {"root_module": {"resources": [1, "x", None, {"address": 5}, {"address": "not an address"}]}},
    {"root_module": {"resources": [{"address": "azurerm_x.y", "values": [1, 2]}],
                     "child_modules": "nope"}},
    {"root_module": {"resources": [{"address": "azurerm_x.y", "values": {"a": 1},
                                    "sensitive_values": [True]}]}},
])
def test_odd_shapes_never_crash(tmp_path: Path, planned: object) -> None:
    plan = {"format_version": "1.2", "planned_values": planned,
            "resource_changes": [{"address": "azurerm_x.y", "change": "?"}],
            "configuration": {"root_module": {"resources": "no", "module_calls": []}}}
    try:
        document = load(write(tmp_path, json.dumps(plan)))
    except InputError:
        return
    assert all(isinstance(r, Resource) for r in document.resources)


def test_every_truncation_is_a_document_or_an_input_error(tmp_path: Path) -> None:
    text = Path("fixtures/plan/policy-switch-v2-to-v1/tfplan.json").read_text()
    for cut in range(0, len(text), max(1, len(text) // 60)):
        path = write(tmp_path, text[:cut] + ("}" * (cut % 3)))
        try:
            load(path)
        except InputError as error:
            assert error.line >= 1 and error.column >= 1


def test_data_sources_from_prior_state_and_deferred_reads(tmp_path: Path) -> None:
    vault_id = ("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-x/"
                "providers/Microsoft.RecoveryServices/vaults/rsv-x")
    data_read = {"address": "data.azurerm_recovery_services_vault.existing", "mode": "data",
                 "type": "azurerm_recovery_services_vault", "name": "existing",
                 "provider_name": "registry.terraform.io/hashicorp/azurerm",
                 "schema_version": 0, "values": {"id": vault_id, "name": "rsv-x"},
                 "sensitive_values": {}}
    deferred = {"address": "data.azurerm_virtual_machine.later", "mode": "data",
                "type": "azurerm_virtual_machine", "name": "later",
                "provider_name": "registry.terraform.io/hashicorp/azurerm",
                "change": {"actions": ["read"], "before": None, "after": {"name": "vm-x"},
                           "after_unknown": {"id": True}, "before_sensitive": False,
                           "after_sensitive": {}},
                "action_reason": "read_because_dependency_pending"}
    plan = {"format_version": "1.2", "terraform_version": "1.9.8",
            "planned_values": {"root_module": {}}, "resource_changes": [deferred],
            "prior_state": {"format_version": "1.0", "values": {"root_module": {
                "resources": [data_read]}}}}
    resources = by_address(load(write(tmp_path, json.dumps(plan, indent=2))))
    existing = resources["data.azurerm_recovery_services_vault.existing"]
    assert (existing.mode, existing.action, existing.id) == ("data", "read", vault_id)
    later = resources["data.azurerm_virtual_machine.later"]
    assert (later.mode, later.action) == ("data", "read")
    assert later.properties == {"name": "vm-x", "id": Unknown("(known after apply)")}
    assert existing.span.line > 1
