"""Compiling Bicep to the ARM template ``bicep build`` writes: one test per construct.

Expected shapes follow the Bicep documentation of each construct and of the compiled
JSON (languageVersion 2.0: resources keyed by symbolic name, expressions as "[...]").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from azbackup_policy.discover import FileLoader
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers.bicep import Compiled, compile_file, compile_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bicep"


def build(name: str) -> Compiled:
    context = ParseContext(FileLoader([str(FIXTURES)]))
    return compile_file(str(FIXTURES / name / "main.bicep"), context)


def template(name: str) -> dict[str, Any]:
    return build(name).template


def snippet(text: str) -> dict[str, Any]:
    return compile_text(text, "s.bicep", "/tmp/s.bicep", ParseContext(FileLoader())).template


def test_top_level_shape_is_language_version_2() -> None:
    out = template("scope-metadata")
    assert out["languageVersion"] == "2.0"
    assert out["$schema"].endswith("/deploymentTemplate.json#")
    assert isinstance(out["resources"], dict)


def test_target_scope_and_metadata() -> None:
    out = template("scope-metadata")
    assert out["metadata"]["owner"] == "platform"
    assert out["metadata"]["description"].startswith("Recovery Services vault for the app tier.")
    sub = snippet("targetScope = 'subscription'\n")
    assert sub["$schema"].endswith("/subscriptionDeploymentTemplate.json#")


def test_param_decorators() -> None:
    params = template("param-decorators")["parameters"]
    assert params["vmSize"]["allowed"] == ["Standard_B2s", "Standard_D2s_v5"]
    assert params["vmSize"]["metadata"]["description"] == "Size of the VM."
    assert params["count"]["minValue"] == 1 and params["count"]["maxValue"] == 10
    assert params["vaultName"]["minLength"] == 3 and params["vaultName"]["maxLength"] == 24
    assert params["vaultName"]["metadata"]["description"] == "Vault name."
    assert params["adminPassword"] == {"type": "securestring"}
    assert params["protectedSettings"]["type"] == "secureObject"
    assert params["location"]["metadata"]["example"] == "westeurope"
    assert params["location"]["defaultValue"] == "[resourceGroup().location]"


def test_param_type_syntaxes() -> None:
    params = template("param-types")["parameters"]
    assert params["redundancy"]["allowed"] == ["GeoRedundant", "LocallyRedundant",
                                               "ZoneRedundant"]
    assert params["tier"] == {"type": "string", "allowed": ["Standard", "RS0"],
                              "defaultValue": "Standard"}
    assert params["zones"]["type"] == "array" and params["zones"]["items"] == {"type": "string"}
    assert params["sizes"]["items"]["allowed"] == ["Standard_B2s", "Standard_D2s_v5"]
    assert params["tag"]["nullable"] is True and params["tag"]["defaultValue"] is None
    disk = params["dataDisk"]
    assert disk["nullable"] is True
    assert disk["properties"]["lun"]["metadata"]["description"] == "LUN of the disk."
    assert disk["properties"]["sizeGB"]["minValue"] == 4
    assert disk["properties"]["caching"]["nullable"] is True
    assert disk["additionalProperties"] == {"type": "string"}
    assert params["osDisk"]["type"] == "object"
    assert params["osDisk"]["defaultValue"]["managedDisk"]["storageAccountType"] == "Premium_LRS"
    assert params["pair"]["prefixItems"] == [{"type": "string"}, {"type": "int"}]
    assert params["existingVault"]["type"] == "string"
    vault = template("param-types")["resources"]["vault"]
    assert vault["sku"]["name"] == "[parameters('tier')]"


def test_typed_variables() -> None:
    out = template("typed-var")
    assert out["variables"] == {"vmName": "vm-typed", "diskSizes": [64, 128],
                                "settings": {"size": "Standard_D2s_v5"}}
    vm = out["resources"]["vm"]
    assert vm["name"] == "[variables('vmName')]"
    assert vm["properties"]["hardwareProfile"]["vmSize"] == "[variables('settings').size]"
    assert vm["properties"]["storageProfile"]["osDisk"]["diskSizeGB"] == \
        "[variables('diskSizes')[1]]"


def test_user_types_and_functions() -> None:
    out = template("type-func")
    assert out["definitions"]["diskSpec"]["properties"]["sku"]["allowed"] == [
        "Premium_LRS", "StandardSSD_LRS"]
    assert out["definitions"]["diskSpec"]["metadata"]["__bicep_export!"] is True
    assert out["definitions"]["tagSet"]["additionalProperties"] is False
    assert out["parameters"]["disks"]["items"] == {"$ref": "#/definitions/diskSpec"}
    function = out["functions"][0]
    assert function["namespace"] == "__bicep"
    member = function["members"]["vmName"]
    assert [p["name"] for p in member["parameters"]] == ["app", "index"]
    assert member["output"]["value"] == (
        "[format('vm-{0}-{1}', parameters('app'), parameters('index'))]")
    assert out["resources"]["vm"]["name"] == "[__bicep.vmName('web', 3)]"


def test_imports_from_a_local_file_are_inlined() -> None:
    compiled = build("import-extension")
    out = compiled.template
    assert out["variables"]["vmSize"] == "Standard_D2s_v5"
    assert out["variables"]["imageRef"]["publisher"] == "Canonical"
    assert out["variables"]["image"] == "[variables('imageRef')]"
    vm = out["resources"]["vm"]
    assert vm["properties"]["hardwareProfile"]["vmSize"] == "[variables('vmSize')]"
    assert vm["properties"]["storageProfile"]["imageReference"] == "[variables('image')]"
    assert compiled.positions[("variables", "imageRef")].file.endswith("shared.bicep")
    assert [Path(f).name for f in compiled.files] == ["main.bicep", "shared.bicep"]


def test_wildcard_and_registry_imports() -> None:
    out = compile_text(
        "import * as shared from './shared.bicep'\n"
        "import { sizes } from 'br/public:avm/utl/types/avm-common-types:0.5.1'\n"
        "var a = shared.vmSize\nvar b = sizes\n",
        "s.bicep", str(FIXTURES / "import-extension" / "s.bicep"),
        ParseContext(FileLoader([str(FIXTURES)]))).template
    assert out["variables"]["a"] == "[variables('vmSize')]"
    assert out["variables"]["b"] == "[__bicep_imported('sizes')]"


def test_undeclared_name_is_an_input_error() -> None:
    compiled = compile_text("var a = 1\nvar b = toUpper(missing)\nvar c = 2\n", "s.bicep",
                            "/tmp/s.bicep", ParseContext(FileLoader()))
    [problem] = compiled.problems
    assert "'missing' is not declared" in problem.message
    assert (problem.line, problem.column) == (2, 17)
    assert compiled.template["variables"] == {"a": 1, "c": 2}  # the rest is still read


def test_existing_resources() -> None:
    out = template("existing")
    shared = out["resources"]["vault"]
    assert shared["existing"] is True
    assert shared["resourceGroup"] == "[parameters('vaultResourceGroup')]"
    assert "scope" not in shared
    assert out["outputs"]["sharedVaultId"]["value"] == (
        "[resourceId(parameters('vaultResourceGroup'), "
        "'Microsoft.RecoveryServices/vaults', 'rsv-shared')]")
    assert out["outputs"]["localVaultId"]["value"] == (
        "[resourceId('Microsoft.RecoveryServices/vaults', 'rsv-local')]")


def test_parent_property() -> None:
    out = template("parent")
    policy = out["resources"]["policy"]
    assert policy["type"] == "Microsoft.RecoveryServices/vaults/backupPolicies"
    assert policy["name"] == "rsv-parent/pol-weekly"
    assert policy["dependsOn"] == ["vault"]
    assert "parent" not in policy
    assert out["outputs"]["policyId"]["value"] == (
        "[resourceId('Microsoft.RecoveryServices/vaults/backupPolicies', 'rsv-parent', "
        "'pol-weekly')]")
    # A child's ``.name`` is its own name, not the full one (Azure/bicep#1922).
    assert out["outputs"]["policyName"]["value"] == "pol-weekly"


def test_nested_children_and_double_colon() -> None:
    out = template("nested-children")
    assert list(out["resources"]) == ["vault", "vault::policy", "vault::storageConfig"]
    policy = out["resources"]["vault::policy"]
    assert policy["type"] == "Microsoft.RecoveryServices/vaults/backupPolicies"
    assert policy["apiVersion"] == "2024-04-01"  # inherited from the parent
    assert policy["name"] == "rsv-nested/pol-nested"
    config = out["resources"]["vault::storageConfig"]
    assert config["apiVersion"] == "2023-04-01"
    assert config["type"] == "Microsoft.RecoveryServices/vaults/backupstorageconfig"
    assert out["outputs"]["policyId"]["value"] == (
        "[resourceId('Microsoft.RecoveryServices/vaults/backupPolicies', 'rsv-nested', "
        "'pol-nested')]")
    assert out["outputs"]["configName"]["value"] == "vaultstorageconfig"  # its own name


def test_extension_resource_scope() -> None:
    out = template("extension-scope")
    lock = out["resources"]["lock"]
    assert lock["scope"] == "[format('Microsoft.Compute/virtualMachines/{0}', 'vm-locked')]"
    assert lock["properties"]["level"] == "CanNotDelete"
    assert out["outputs"]["lockId"]["value"] == (
        "[extensionResourceId(resourceId('Microsoft.Compute/virtualMachines', 'vm-locked'), "
        "'Microsoft.Authorization/locks', 'no-delete')]")


def test_outputs() -> None:
    outputs = template("output")["outputs"]
    assert outputs["vaultId"] == {
        "type": "string", "value": "[resourceId('Microsoft.RecoveryServices/vaults', 'rsv-out')]"}
    assert outputs["vaultName"]["value"] == "rsv-out"
    assert outputs["settings"]["metadata"]["description"] == "Whether the vault is geo-redundant."
    assert outputs["settings"]["value"]["geo"] is True
    assert outputs["names"]["copy"] == {"count": "[length(range(0, 2))]",
                                        "input": "[format('item-{0}', range(0, 2)[copyIndex()])]"}


def test_resource_loops() -> None:
    resources = template("loops")["resources"]
    by_range = resources["byRange"]
    assert by_range["copy"] == {"name": "byRange", "count": "[length(range(0, 3))]"}
    assert by_range["name"] == "[format('nic-range-{0}', range(0, 3)[copyIndex()])]"
    indexed = resources["byItemAndIndex"]
    assert indexed["name"] == (
        "[format('nic-{0}-{1}', parameters('names')[copyIndex()], copyIndex())]")
    filtered = resources["filtered"]
    assert filtered["condition"] == (
        "[or(not(equals(parameters('names')[copyIndex()], 'beta')), parameters('deployBeta'))]")
    formatted = resources["formatted"]
    assert formatted["copy"]["mode"] == "serial" and formatted["copy"]["batchSize"] == 2
    assert formatted["condition"] == "[greater(copyIndex(), 0)]"
    over_object = resources["overObject"]
    assert over_object["copy"]["count"] == (
        "[length(items(createObject('a', 'x', 'b', 'y')))]")


def test_variable_and_output_loops() -> None:
    out = template("loops")
    copy = out["variables"]["copy"][0]
    assert copy["name"] == "upperNames"
    assert copy["input"] == "[toUpper(parameters('names')[copyIndex('upperNames')])]"
    assert out["outputs"]["ids"]["copy"]["input"] == (
        "[resourceId('Microsoft.Network/networkInterfaces', "
        "format('nic-range-{0}', range(0, 3)[range(0, 3)[copyIndex()]]))]")


def test_conditions() -> None:
    resources = template("condition")["resources"]
    assert resources["vault"]["condition"] == "[parameters('deployVault')]"
    assert resources["lock"]["condition"] == (
        "[and(equals(parameters('environment'), 'prod'), parameters('deployVault'))]")
    assert resources["lock"]["dependsOn"] == ["vault"]


def test_safe_access_non_null_and_coalesce() -> None:
    variables = template("safe-access")["variables"]
    assert variables["size"] == "[coalesce(tryGet(parameters('settings'), 'sku'), 'Standard_B2s')]"
    assert variables["zone"] == "[coalesce(tryGet(parameters('settings'), 'zone'), '1')]"
    assert variables["fromOverrides"] == "[parameters('overrides').size]"
    assert variables["nested"] == (
        "[coalesce(tryGet(tryGet(tryGet(parameters('overrides'), 'storage'), 'osDisk'), "
        "'caching'), 'ReadWrite')]")


def test_spreads() -> None:
    vm = template("spread")["resources"]["vm"]
    assert vm["tags"] == (
        "[shallowMerge(createArray(variables('baseTags'), createObject('app', 'web')))]")
    assert vm["zones"] == "[flatten(createArray(createArray('1'), variables('extraZones')))]"
    assert vm["properties"]["securityProfile"] == (
        "[shallowMerge(createArray(if(parameters('encryptionAtHost'), "
        "createObject('encryptionAtHost', true()), createObject()), "
        "createObject('securityType', 'TrustedLaunch')))]")


def test_ternaries_across_lines() -> None:
    variables = template("ternary")["variables"]
    assert variables["size"] == (
        "[if(empty(parameters('sku')), 'Standard_D2s_v5', parameters('sku'))]")
    assert variables["tier"] == (
        "[if(parameters('highAvailability'), if(empty(parameters('sku')), 'gold', 'silver'), "
        "'bronze')]")


def test_multiline_strings() -> None:
    variables = template("multiline-string")["variables"]
    assert variables["script"] == "#!/bin/bash\necho 'hello ${not-interpolated}'\n"
    assert variables["oneLine"] == "no newline at start"


def test_interpolation_and_escapes() -> None:
    variables = template("interpolation")["variables"]
    assert variables["vmName"] == "[format('vm-{0}-{1}', parameters('app'), parameters('index'))]"
    assert variables["quoted"] == "[format('it''s {0}', parameters('app'))]"
    assert variables["literalDollar"] == "cost: ${app} and $5"
    assert variables["escapes"] == "tab\there\nnewline \\ backslash A"
    assert variables["nestedInterp"] == (
        "[format('{0}', toUpper(format('{0}-x', parameters('app'))))]")
    assert variables["braces"] == "[format('json {{{0}}}', parameters('app'))]"


def test_lambdas() -> None:
    variables = template("lambda")["variables"]
    assert variables["luns"] == "[map(parameters('disks'), lambda('d', lambdaVariables('d').lun))]"
    assert variables["total"] == (
        "[reduce(parameters('disks'), 0, lambda('acc', 'disk', "
        "add(lambdaVariables('acc'), lambdaVariables('disk').size)))]")


def test_disable_next_line_pragma() -> None:
    vm = template("pragma")["resources"]["vm"]
    assert vm["location"] == "[variables('location')]"


def test_assert_is_accepted() -> None:
    assert template("assert")["resources"]["vm"]["name"] == "vm-assert"


def test_crlf_file() -> None:
    compiled = build("crlf")
    assert compiled.template["resources"]["vm"]["properties"]["hardwareProfile"]["vmSize"] == \
        "[parameters('size')]"
    assert compiled.positions[("resources", "vm", "name")].line == 4


def test_property_loop_becomes_copy() -> None:
    storage = template("property-loop")["resources"]["vm"]["properties"]["storageProfile"]
    copy = storage["copy"][0]
    assert copy["name"] == "dataDisks"
    assert copy["count"] == "[length(parameters('dataDiskSizes'))]"
    assert copy["input"]["lun"] == "[copyIndex('dataDisks')]"
    assert copy["input"]["diskSizeGB"] == "[parameters('dataDiskSizes')[copyIndex('dataDisks')]]"


def test_azbackup_policy_comments_go_to_the_comments_property() -> None:
    resources = template("comments")["resources"]
    assert resources["jump"]["comments"] == (
        "azbackup-policy: ignore BKP-CMP-001 reason: jump box is rebuilt from an image")
    assert resources["web"]["comments"].startswith("azbackup-policy: ignore BKP-STO-003")
    assert "comments" not in resources["plain"]


def test_literal_strings_starting_with_bracket_are_escaped() -> None:
    out = snippet("var a = '[not an expression]'\n")
    assert out["variables"]["a"] == "[[not an expression]"


def test_operators() -> None:
    out = snippet("param a int = 1\nvar v = [\n  a + 1\n  a - 1\n  a * 2\n  a / 2\n  a % 2\n"
                  "  -a\n  !(a > 1)\n  a >= 1\n  a <= 1\n  a < 1\n  'A' =~ 'a'\n  'A' !~ 'b'\n]\n")
    assert out["variables"]["v"] == [
        "[add(parameters('a'), 1)]", "[sub(parameters('a'), 1)]", "[mul(parameters('a'), 2)]",
        "[div(parameters('a'), 2)]", "[mod(parameters('a'), 2)]", "[sub(0, parameters('a'))]",
        "[not(greater(parameters('a'), 1))]", "[greaterOrEquals(parameters('a'), 1)]",
        "[lessOrEquals(parameters('a'), 1)]", "[less(parameters('a'), 1)]",
        "[equals(toLower('A'), toLower('a'))]", "[not(equals(toLower('A'), toLower('b')))]",
    ]


def test_namespaced_functions_and_resource_functions() -> None:
    out = snippet("resource st 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {\n"
                  "  name: 'st1'\n}\nvar rg = az.resourceGroup().name\n"
                  "var key = st.listKeys().keys[0].value\nvar loc = st.location\n"
                  "var props = st.properties.primaryEndpoints\n")
    assert out["variables"]["rg"] == "[resourceGroup().name]"
    assert out["variables"]["key"] == (
        "[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st1'), "
        "'2023-05-01').keys[0].value]")
    assert out["variables"]["loc"] == "[reference('st', '2023-05-01', 'full').location]"
    assert out["variables"]["props"] == "[reference('st').primaryEndpoints]"


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()
                                        and p.name not in ("module-cycle",)))
def test_every_fixture_compiles_with_positions(name: str) -> None:
    compiled = build(name)
    for key in compiled.template["resources"]:
        assert ("resources", key) in compiled.positions
