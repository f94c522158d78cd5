"""Template features of the ARM parser: parameters, copy, conditions, nesting, spans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from azbackup_policy.discover import FileLoader, Source, display_path
from azbackup_policy.document import Document, Resource
from azbackup_policy.errors import InputError
from azbackup_policy.linkers.arm import link
from azbackup_policy.model import SourceSpan, Unknown
from azbackup_policy.parsers import ParseContext, ParseOptions
from azbackup_policy.parsers.arm import parse, parse_parameters_file, parse_template

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
VM = "Microsoft.Compute/virtualMachines"


@pytest.fixture(autouse=True)
def _cwd(in_repo: Path) -> None:
    """Every test runs in the repository root, so fixture paths display relative."""


def shown(path: Path) -> str:
    """How the tool displays ``path`` (relative to the repository root when inside it)."""
    return display_path(str(path))


def parse_file(path: Path | str, root: Path = FIXTURES, **options: Any) -> Document:
    context = ParseContext(FileLoader([str(root)]), ParseOptions(**options))
    (document,) = parse(Source(shown(Path(path)), "arm", True), context)
    return document


def by_name(document: Document, name: str) -> Resource:
    return next(r for r in document.resources if r.properties.get("name") == name)


def write_template(tmp_path: Path, resources: Any, **extra: Any) -> Path:
    path = tmp_path / "azuredeploy.json"
    path.write_text(json.dumps({"$schema": SCHEMA, "contentVersion": "1.0.0.0",
                                "resources": resources, **extra}), encoding="utf-8")
    return path


def vm(name: str, **extra: Any) -> dict[str, Any]:
    return {"type": VM, "apiVersion": "2024-03-01", "name": name, "location": "westeurope",
            "properties": {"hardwareProfile": {"vmSize": "Standard_B2s"}}, **extra}


ESTATE = FIXTURES / "scenarios" / "estate-basic" / "arm" / "azuredeploy.json"


def test_estate_basic_document() -> None:
    document = parse_file(ESTATE)
    assert document.format == "arm" and document.vocabulary == "arm"
    assert document.files == ("fixtures/scenarios/estate-basic/arm/azuredeploy.json",
                              "fixtures/scenarios/estate-basic/arm/azuredeploy.parameters.json")
    vms = [r for r in document.resources if r.type == VM]
    names = sorted(r.properties["name"] for r in vms)
    assert names == ["vm-api-a", "vm-api-b", "vm-db", "vm-jump", "vm-web-0", "vm-web-1"]
    web = by_name(document, "vm-web-1")
    assert web.address == "Microsoft.Compute/virtualMachines/vm-web-1[1]"
    assert web.api_version == "2024-03-01"
    assert web.properties["location"] == "westeurope"  # from the parameters file
    assert set(web.properties) == {"name", "location", "properties"}
    db = by_name(document, "vm-db")
    assert db.address == ("Microsoft.Resources/deployments/db/"
                          "Microsoft.Compute/virtualMachines/vm-db")


def test_secrets_never_reach_the_document() -> None:
    document = parse_file(ESTATE)
    for resource in document.resources:
        assert "vm-admin-password" not in repr(resource.properties)
    web = by_name(document, "vm-web-0")
    password = web.properties["properties"]["osProfile"]["adminPassword"]
    assert isinstance(password, Unknown)
    assert "properties.osProfile.adminPassword" in web.sensitive_paths


def test_extension_protected_settings_are_hidden() -> None:
    document = parse_file(FIXTURES / "arm" / "locks-extensions" / "azuredeploy.json")
    ade = by_name(document, "vm-app/AzureDiskEncryption")
    assert ade.type == "Microsoft.Compute/virtualMachines/extensions"
    assert "never-shown" not in repr(ade.properties)
    assert ade.sensitive_paths == frozenset({"properties.protectedSettings"})


def test_protected_item_name_keeps_known_parts() -> None:
    document = parse_file(ESTATE)
    item = next(r for r in document.resources if r.type.endswith("/protectedItems")
                and "vm-api-b" in r.address)
    assert item.address.startswith(
        "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/"
        "rsv-app/Azure/iaasvmcontainer;iaasvmcontainerv2;[resourceGroup().name];vm-api-b/")
    assert item.references["properties.sourceResourceId"] == (
        "Microsoft.Compute/virtualMachines/vm-api-b[1]",)
    assert item.references["properties.policyId"] == (
        "Microsoft.RecoveryServices/vaults/backupPolicies/rsv-app/pol-enhanced",)


def test_child_resources_get_full_type_and_name() -> None:
    document = parse_file(ESTATE)
    policy = by_name(document, "rsv-app/pol-daily")
    assert policy.type == "Microsoft.RecoveryServices/vaults/backupPolicies"
    assert policy.span.line == 84


def test_spans_and_property_spans() -> None:
    document = parse_file(ESTATE)
    web = by_name(document, "vm-web-0")
    assert (web.span.line, web.span.end_line) == (158, 188)
    assert web.property_spans["properties.hardwareProfile.vmSize"].line == 166
    # a whole object produced by an expression: its members point at the expression
    assert web.property_spans["properties.storageProfile.imageReference.offer"].line == 174
    assert web.span_of("properties.storageProfile.osDisk.nothing").line == 175


def test_comments_bom_crlf_fixture() -> None:
    document = parse_file(FIXTURES / "arm" / "comments-bom-crlf" / "azuredeploy.json")
    (resource,) = document.resources
    assert resource.properties["name"] == "vm-commented"
    assert (resource.span.line, resource.span.end_line) == (14, 31)
    assert resource.property_spans["properties.hardwareProfile.vmSize"].line == 21


def test_escapes_fixture() -> None:
    document = parse_file(FIXTURES / "arm" / "escapes" / "azuredeploy.json")
    tags = document.resources[0].properties["tags"]
    assert tags == {"literalBracket": "[not an expression]", "quoted": "it's vm-escape",
                    "plainText": "just text with [brackets] inside"}


def test_language_version_2() -> None:
    document = parse_file(FIXTURES / "arm" / "language-v2" / "azuredeploy.json")
    addresses = {r.address: r for r in document.resources}
    assert set(addresses) == {"vault", "vm", "policy"}
    assert addresses["vault"].mode == "data"
    assert addresses["vm"].mode == "managed"
    assert addresses["policy"].properties["name"] == "rsv-shared/pol-v2"


def test_property_copy_of_data_disks() -> None:
    document = parse_file(FIXTURES / "arm" / "property-copy" / "azuredeploy.json")
    (resource,) = document.resources
    disks = resource.properties["properties"]["storageProfile"]["dataDisks"]
    assert [(d["name"], d["lun"], d["diskSizeGB"]) for d in disks] == [
        ("vm-data-disk-0", 0, 128), ("vm-data-disk-1", 1, 256), ("vm-data-disk-2", 2, 1024)]
    assert "copy" not in resource.properties["properties"]["storageProfile"]
    span = resource.property_spans["properties.storageProfile.dataDisks.2.diskSizeGB"]
    assert (span.line, span.column) == (38, 31)


def test_conditions() -> None:
    document = parse_file(FIXTURES / "arm" / "conditions" / "azuredeploy.json")
    names = {r.properties["name"]: r for r in document.resources}
    assert set(names) == {"vm-maybe", "vm-prod"}
    assert names["vm-maybe"].condition == Unknown("parameters('deployWorker')")
    assert names["vm-prod"].condition is None


def test_nested_deployment_scopes() -> None:
    document = parse_file(FIXTURES / "arm" / "nested-scope" / "azuredeploy.json")
    inner = by_name(document, "vm-outer-value-inner")
    outer = by_name(document, "vm-outer-value-outer")
    assert inner.properties["properties"]["hardwareProfile"]["vmSize"] == "Standard_E2s_v5"
    assert outer.properties["properties"]["hardwareProfile"]["vmSize"] == "Standard_D2s_v5"
    assert inner.address.startswith("Microsoft.Resources/deployments/innerScope/")
    assert outer.address.startswith("Microsoft.Resources/deployments/outerScope/")
    assert inner.id is not None and getattr(inner.id, "resource_group", None) == "rg-inner"
    (remote,) = document.not_followed
    assert remote.source == "https://example.com/templates/vm.json"


def test_linked_template_by_relative_path() -> None:
    root = FIXTURES / "arm" / "linked-template"
    document = parse_file(root / "azuredeploy.json")
    assert document.files == ("fixtures/arm/linked-template/azuredeploy.json",
                              "fixtures/arm/linked-template/nested/db.json")
    (_deployment, db) = document.resources
    assert db.properties["name"] == "vm-linked-db"
    assert db.span.file == "fixtures/arm/linked-template/nested/db.json"
    assert db.address == ("Microsoft.Resources/deployments/dbDeployment/"
                          "Microsoft.Compute/virtualMachines/vm-linked-db")
    assert "not-a-real-password" not in repr(db.properties)


def test_linked_template_outside_the_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "elsewhere.json").write_text(json.dumps({"$schema": SCHEMA, "resources": []}))
    link = {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
            "name": "up", "properties": {"templateLink": {"relativePath": "../elsewhere.json"}}}
    path = write_template(tmp_path / "root", [link])
    with pytest.raises(InputError, match="outside the scan root") as caught:
        parse_file(path, root=tmp_path / "root")
    assert caught.value.line == 1
    assert len(parse_file(path, root=tmp_path).resources) == 1


def test_syntax_error_fixture() -> None:
    with pytest.raises(InputError) as caught:
        parse_file(FIXTURES / "arm" / "syntax-error" / "azuredeploy.json")
    assert (caught.value.line, caught.value.column) == (8, 7)


def test_suppression_comments_are_kept() -> None:
    document = parse_file(FIXTURES / "arm" / "locks-extensions" / "azuredeploy.json")
    resource = by_name(document, "vm-app")
    assert any("ignore BKP-CMP-001" in c for c in resource.comments)
    assert by_name(document, "vmss-flex").comments == ()


def test_copy_count_over_the_limit(tmp_path: Path) -> None:
    path = write_template(tmp_path, [vm("[concat('vm', copyIndex())]",
                                        copy={"name": "vms", "count": 20})])
    with pytest.raises(InputError, match="over the limit of 5"):
        parse_file(path, root=tmp_path, max_loop_count=5)
    assert len(parse_file(path, root=tmp_path).resources) == 20


def test_unknown_copy_count_gives_one_maybe_instance(tmp_path: Path) -> None:
    path = write_template(tmp_path, [vm("[concat('vm', copyIndex())]",
                                        copy={"name": "vms", "count": "[parameters('n')]"})],
                          parameters={"n": {"type": "int"}})
    (resource,) = parse_file(path, root=tmp_path).resources
    assert resource.address.endswith("[?]")
    assert isinstance(resource.condition, Unknown)


def test_unknown_names_link_by_expression_text(tmp_path: Path) -> None:
    nic = {"type": "Microsoft.Network/networkInterfaces", "apiVersion": "2023-09-01",
           "name": "[concat(parameters('prefix'), '-nic')]", "properties": {}}
    machine = vm("[parameters('prefix')]")
    machine["properties"]["networkProfile"] = {"networkInterfaces": [{"id": (
        "[resourceId('Microsoft.Network/networkInterfaces', "
        "concat(parameters('prefix'), '-nic'))]")}]}
    path = write_template(tmp_path, [nic, machine], parameters={"prefix": {"type": "string"}})
    document = parse_file(path, root=tmp_path)
    linked = document.resources[1].references["properties.networkProfile.networkInterfaces.0.id"]
    assert linked == (document.resources[0].address,)


def test_parameters_file_given_on_the_command_line(tmp_path: Path) -> None:
    path = write_template(tmp_path, [vm("[parameters('name')]")],
                          parameters={"name": {"type": "string", "defaultValue": "default"}})
    values = tmp_path / "prod.json"
    values.write_text(json.dumps({"parameters": {"name": {"value": "from-file"}}}))
    document = parse_file(path, root=tmp_path, parameter_files=(str(values),))
    assert document.resources[0].properties["name"] == "from-file"
    assert shown(values) in document.files


def test_parse_parameters_file(tmp_path: Path) -> None:
    context = ParseContext(FileLoader([str(tmp_path)]))
    lonely = tmp_path / "lonely.parameters.json"
    lonely.write_text("{}")
    beside = ESTATE.with_name("azuredeploy.parameters.json")
    assert parse_parameters_file(Source(str(beside), "arm-parameters", True), context) == []
    assert parse_parameters_file(Source(str(lonely), "arm-parameters", False), context) == []
    with pytest.raises(InputError, match="no template beside it"):
        parse_parameters_file(Source(str(lonely), "arm-parameters", True), context)
    given = ParseContext(FileLoader([str(tmp_path)]), ParseOptions(parameter_files=(
        str(lonely),)))
    assert parse_parameters_file(Source(str(lonely), "arm-parameters", True), given) == []


def test_parse_template_from_a_dict_with_foreign_positions() -> None:
    template = {"$schema": SCHEMA, "languageVersion": "2.0", "contentVersion": "1.0.0.0",
                "parameters": {"size": {"type": "string"}},
                "resources": {"vm": vm("vm-bicep", properties={"hardwareProfile": {
                    "vmSize": "[parameters('size')]"}})}}
    spans = {("resources", "vm"): SourceSpan("main.bicep", 3, 9),
             ("resources", "vm", "properties", "hardwareProfile", "vmSize"):
                 SourceSpan("main.bicep", 6, 6, 14)}
    context = ParseContext(FileLoader([]))
    document = parse_template(template, file="main.bicep", context=context, positions=spans,
                              parameters={"size": "Standard_D8s_v5"},
                              files=("modules/x.bicep",))
    (resource,) = document.resources
    assert resource.address == "vm"
    assert resource.span == SourceSpan("main.bicep", 3, 9)
    assert resource.properties["properties"]["hardwareProfile"]["vmSize"] == "Standard_D8s_v5"
    assert resource.property_spans["properties.hardwareProfile.vmSize"].line == 6
    assert document.files == ("main.bicep", "modules/x.bicep")


@pytest.mark.parametrize(
    "resources",
    [
        ["not an object"],
        [{"name": "x"}],
        "a string",
        [vm("x", copy={"name": "c", "count": -1})],
    ],
)
def test_bad_templates_raise_input_error(tmp_path: Path, resources: Any) -> None:
    path = write_template(tmp_path, resources)
    with pytest.raises(InputError):
        parse_file(path, root=tmp_path)


ESTATE_TEXT = ESTATE.read_text(encoding="utf-8")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=st.integers(0, len(ESTATE_TEXT)), length=st.integers(0, 40),
       insert=st.sampled_from(["", "[", "]", "'", '"', "{", "}", ",", "[concat(", "copyIndex()",
                               "/*", "//", "\\", "[[", "null", "-1", "999999999"]))
def test_mutated_templates_give_a_document_or_input_error(
        tmp_path_factory: pytest.TempPathFactory, start: int, length: int, insert: str) -> None:
    folder = tmp_path_factory.mktemp("mutant")
    path = folder / "azuredeploy.json"
    path.write_text(ESTATE_TEXT[:start] + insert + ESTATE_TEXT[start + length:],
                    encoding="utf-8")
    try:
        document = parse_file(path, root=folder)
    except InputError as error:
        assert error.line >= 1 and error.column >= 1
        return
    link(document)


def test_a_bad_expression_is_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    """An expression that fails becomes Unknown with a located problem; other values stay."""
    path = write_template(tmp_path, [vm("x", condition="[parameters('nope')]")])
    doc = parse_file(path, root=tmp_path)
    (resource,) = doc.resources
    assert isinstance(resource.condition, Unknown)
    (problem,) = doc.problems
    assert "no parameter 'nope'" in problem.message and problem.column > 1  # one-line JSON


ARTIFACTS = FIXTURES / "arm" / "artifacts-location"


def test_linked_templates_by_the_artifacts_location_convention() -> None:
    document = parse_file(ARTIFACTS / "azuredeploy.json")
    assert document.files == ("fixtures/arm/artifacts-location/azuredeploy.json",
                              "fixtures/arm/artifacts-location/nestedtemplates/vault.json",
                              "fixtures/arm/artifacts-location/nestedtemplates/vm.json",
                              "fixtures/arm/artifacts-location/nestedtemplates/app.json")
    vms = [r for r in document.resources if r.type == VM]
    assert [vm.properties["name"] for vm in vms] == [
        "vm-quickstart-web", "vm-quickstart-batch", "vm-quickstart-app"]
    assert {vm.span.file for vm in vms} == {
        "fixtures/arm/artifacts-location/nestedtemplates/vm.json"}
    [remote] = document.not_followed
    assert (remote.line, remote.source) == (
        136, "https://raw.githubusercontent.com/contoso/arm-library/main/monitoring/workspace.json")
    estate = link(document)
    vault = "Microsoft.Resources/deployments/vaultDeployment/Microsoft.RecoveryServices/" \
        "vaults/rsv-quickstart"
    policy = "Microsoft.Resources/deployments/vaultDeployment/Microsoft.RecoveryServices/" \
        "vaults/backupPolicies/rsv-quickstart/pol-daily"
    assert sorted((str(p.vm).rsplit("/", 1)[-1], p.vault, p.policy)
                  for p in estate.protections) == [
        ("vm-quickstart-app", vault, policy),  # linked by a linked template: two levels
        ("vm-quickstart-batch", vault, policy), ("vm-quickstart-web", vault, policy)]


def convention_template(uri: str, artifacts_default: str) -> dict[str, Any]:
    return {"$schema": SCHEMA, "contentVersion": "1.0.0.0",
            "parameters": {"_artifactsLocation": {"type": "string",
                                                  "defaultValue": artifacts_default},
                           "_artifactsLocationSasToken": {"type": "securestring",
                                                          "defaultValue": ""}},
            "resources": [{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
                           "name": "linked", "properties": {"mode": "Incremental",
                                                            "templateLink": {"uri": uri}}}]}


@pytest.mark.parametrize(("uri", "default", "reason"), [
    ("[uri(parameters('_artifactsLocation'), 'nested/missing.json')]",
     "[deployment().properties.templateLink.uri]", "linked template nested/missing.json is not"),
    ("[uri(parameters('_artifactsLocation'), 'nested/vm.json')]",
     "https://raw.githubusercontent.com/contoso/templates/main/", "a remote template"),
    ("[concat(parameters('_artifactsLocation'), 'nested/vm.json')]",  # a file URL + a path
     "[deployment().properties.templateLink.uri]", "azuredeploy.jsonnested/vm.json is not"),
])
def test_other_template_links_are_not_followed(tmp_path: Path, uri: str, default: str,
                                               reason: str) -> None:
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "vm.json").write_text(json.dumps({"$schema": SCHEMA, "resources": []}))
    (tmp_path / "azuredeploy.json").write_text(json.dumps(convention_template(uri, default)))
    document = parse_file(tmp_path / "azuredeploy.json", root=tmp_path)
    [skipped] = document.not_followed
    assert reason in skipped.reason
    assert document.files == (shown(tmp_path / "azuredeploy.json"),)


def test_an_artifacts_location_given_a_value_is_a_real_url(tmp_path: Path) -> None:
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "vm.json").write_text(json.dumps({"$schema": SCHEMA, "resources": []}))
    template = convention_template("[uri(parameters('_artifactsLocation'), 'nested/vm.json')]",
                                   "[deployment().properties.templateLink.uri]")
    (tmp_path / "azuredeploy.json").write_text(json.dumps(template))
    assert parse_file(tmp_path / "azuredeploy.json", root=tmp_path).not_followed == ()
    (tmp_path / "azuredeploy.parameters.json").write_text(json.dumps({"parameters": {
        "_artifactsLocation": {"value": "https://storage.example/artifacts/"}}}))
    [skipped] = parse_file(tmp_path / "azuredeploy.json", root=tmp_path).not_followed
    assert "remote" in skipped.reason


def test_a_template_beside_the_template_stays_inside_the_scan_root(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "outside.json").write_text(json.dumps({"$schema": SCHEMA, "resources": []}))
    template = convention_template("[uri(deployment().properties.templateLink.uri, "
                                   "'../outside.json')]", "")
    (tmp_path / "root" / "azuredeploy.json").write_text(json.dumps(template))
    with pytest.raises(InputError, match="outside the scan root"):
        parse_file(tmp_path / "root" / "azuredeploy.json", root=tmp_path / "root")


def test_user_defined_functions_are_evaluated() -> None:
    functions = [{"namespace": "contoso", "members": {
        "vmName": {"parameters": [{"name": "app", "type": "string"},
                                  {"name": "index", "type": "int"}],
                   "output": {"type": "string",
                              "value": "[format('vm-{0}-{1}', parameters('app'), "
                                       "contoso.pad(parameters('index')))]"}},
        "pad": {"parameters": [{"name": "n", "type": "int"}],
                "output": {"type": "string", "value": "[concat('0', string(parameters('n')))]"}},
        "loop": {"parameters": [], "output": {"type": "int", "value": "[contoso.loop()]"}},
        "broken": "not a function"}}]
    template = {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "functions": functions,
                "parameters": {"app": {"type": "string", "defaultValue": "web"}},
                "resources": [vm("[contoso.vmName(parameters('app'), 7)]"),
                              vm("[contoso.loop()]"), vm("[contoso.broken()]"),
                              vm("[contoso.vmName('only-one')]")]}
    document = parse_template(template, file="t.json", context=ParseContext(FileLoader([])),
                              positions={})
    names = [r.properties["name"] for r in document.resources]
    assert names[0] == "vm-web-07"
    assert all(isinstance(name, Unknown) for name in names[1:])
    assert sorted(p.message.split(" (in ")[0] for p in document.problems) == [
        "contoso.vmname() takes 2 arguments, got 1",
        "function contoso.loop() calls itself"]


def test_a_remote_linked_template_given_a_vm_may_protect_it(tmp_path: Path) -> None:
    template = {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": [
        vm("vm-guarded"), vm("vm-jump"),
        {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
         "name": "backup", "properties": {
             "mode": "Incremental",
             "templateLink": {"uri": "https://example.com/templates/protect-vm.json"},
             "parameters": {"vmId": {"value": "[resourceId('Microsoft.Compute/virtualMachines', "
                                              "'vm-guarded')]"}}}}]}
    (tmp_path / "azuredeploy.json").write_text(json.dumps(template))
    document = parse_file(tmp_path / "azuredeploy.json", root=tmp_path)
    [remote] = document.not_followed
    assert (remote.address, remote.reason) == ("Microsoft.Resources/deployments/backup",
                                              "a remote template is not read")
    assert remote.hint.startswith("keep the linked template in the repository")
    assert remote.given == ("Microsoft.Compute/virtualMachines/vm-guarded",)
    from azbackup_policy.linkers import link as link_with_unread

    estate = link_with_unread(document)
    assert [part.name for part in estate.unread_for(
        "Microsoft.Compute/virtualMachines/vm-guarded")] == [remote.source]
    assert estate.unread_for("Microsoft.Compute/virtualMachines/vm-jump") == ()
