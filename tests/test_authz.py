"""Role assignments (A19, BKP-ACT-005) and backup intent for scale sets (C16, BKP-CMP-013):
the linkers in both vocabularies, the rules' conditions, and organisation.protect-tag."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from azbackup_policy.policies import actions, compute

from azbackup_policy import load_estate
from azbackup_policy.cli import main
from azbackup_policy.config import ConfigError, load_config
from azbackup_policy.engine import EngineSettings, run
from azbackup_policy.model import (
    Estate,
    PolicyAssignment,
    RoleAssignment,
    ScaleSet,
    Unknown,
    Vault,
)
from azbackup_policy.rules import Kind, Rule

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
CONTRIBUTOR = "5e467623-bb1f-42f4-a55d-6e525e11384b"
OPERATOR = "00c29273-979b-4161-815c-10b084fb9324"
WITH_TAG = "345fa903-145c-4fe1-8bcd-93ec2adccde8"
WITHOUT_TAG = "09ce66bc-1220-4153-8104-e3f51c936913"
ROLES = "/providers/Microsoft.Authorization/roleDefinitions"
POLICIES = "/providers/Microsoft.Authorization/policyDefinitions"
NEW_VAULT_WITH_TAG = "83644c87-93dd-49fe-bf9f-6aff8fd0834e"


def outcome(rule: Rule, estate: Estate, strict: bool = False,
            organisation: dict[str, Any] | None = None) -> dict[str, Kind]:
    engine = EngineSettings(strict=strict, options={"organisation": organisation or {}})
    result = run([("main.tf", estate)], [rule], engine)
    assert not result.failures
    return {f.resource.address: f.kind for f in result.findings}


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


# ------------------------------------------------------------------ linkers

HCL = '''
data "azurerm_subscription" "current" {}
data "azurerm_role_definition" "operator" {
  name = "Backup Operator"
}
resource "azurerm_resource_group" "app" {
  name     = "rg-app"
  location = "westeurope"
}
resource "azurerm_role_assignment" "rg" {
  scope                = azurerm_resource_group.app.id
  role_definition_name = "Backup Contributor"
  principal_id         = var.team
}
resource "azurerm_role_assignment" "sub" {
  scope              = data.azurerm_subscription.current.id
  role_definition_id = data.azurerm_role_definition.operator.id
  principal_id       = var.team
}
resource "azurerm_role_assignment" "mg" {
  scope              = "/providers/Microsoft.Management/managementGroups/mg-platform"
  role_definition_id = "@ROLE@"
  principal_id       = "11111111-1111-1111-1111-111111111111"
}
resource "azurerm_role_assignment" "literal" {
  scope                = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-app"
  role_definition_name = "Backup Operator"
  principal_id         = var.team
}
resource "azurerm_subscription_policy_assignment" "untagged" {
  name                 = "backup-untagged"
  subscription_id      = "/subscriptions/00000000-0000-0000-0000-000000000001"
  policy_definition_id = "@POLICY@"
  location             = "westeurope"
  parameters           = <<PARAMS
{"exclusionTagName": {"value": "backup"}, "exclusionTagValue": {"value": ["none"]}}
PARAMS
}
resource "azurerm_linux_virtual_machine_scale_set" "web" {
  name                = "vmss-web"
  resource_group_name = azurerm_resource_group.app.name
  location            = "westeurope"
  sku                 = "Standard_D2s_v5"
  tags = {
    backup = "none"
  }
}
variable "team" {
  type = string
}
'''.replace("@ROLE@", f"{ROLES}/{CONTRIBUTOR}").replace("@POLICY@", f"{POLICIES}/{WITHOUT_TAG}")


def test_azurerm_role_and_policy_assignments(tmp_path: Path) -> None:
    estate = load_estate(str(write(tmp_path, "main.tf", HCL).parent))
    found = {a.address.split(".")[-1]: (a.scope_level, a.role_definition_id,
                                        a.role_definition_name) for a in estate.role_assignments}
    assert found == {
        "rg": ("resourceGroup", None, "Backup Contributor"),
        "sub": ("subscription", Unknown("data.azurerm_role_definition.operator.id"),
                "Backup Operator"),
        "mg": ("managementGroup", CONTRIBUTOR, None),
        "literal": ("resourceGroup", None, "Backup Operator"),
    }
    (policy,) = estate.policy_assignments
    assert (policy.scope, policy.definition_id, policy.parameters) == (
        SUB, WITHOUT_TAG, {"exclusionTagName": "backup", "exclusionTagValue": ["none"]})
    assert estate.scale_sets[0].tags == {"backup": "none"}


SUBSCRIPTION_TEMPLATE = {
    "$schema": "https://schema.management.azure.com/schemas/2018-05-01/"
               "subscriptionDeploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {"teamObjectId": {"type": "string"}},
    "resources": [
        {"type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01",
         "name": "[guid(subscription().id, parameters('teamObjectId'))]",
         "properties": {"roleDefinitionId": "[subscriptionResourceId('Microsoft.Authorization/"
                                            f"roleDefinitions', '{OPERATOR}')]",
                        "principalId": "[parameters('teamObjectId')]"}},
        {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "app",
         "resourceGroup": "rg-app", "location": "westeurope",
         "properties": {
             "mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
             "parameters": {"teamObjectId": {"value": "[parameters('teamObjectId')]"}},
             "template": {
                 "$schema": "https://schema.management.azure.com/schemas/2019-04-01/"
                            "deploymentTemplate.json#",
                 "contentVersion": "1.0.0.0",
                 "parameters": {"teamObjectId": {"type": "string"}},
                 "resources": [
                     {"type": "Microsoft.Authorization/roleAssignments",
                      "apiVersion": "2022-04-01",
                      "name": "[guid(resourceGroup().id, parameters('teamObjectId'))]",
                      "properties": {
                          "roleDefinitionId": "[subscriptionResourceId('Microsoft.Authorization/"
                                              f"roleDefinitions', '{CONTRIBUTOR}')]",
                          "principalId": "[parameters('teamObjectId')]"}},
                     {"type": "Microsoft.RecoveryServices/vaults/providers/roleAssignments",
                      "apiVersion": "2022-04-01",
                      "name": "[concat('rsv-app/Microsoft.Authorization/', "
                              "guid('rsv-app', parameters('teamObjectId')))]",
                      "properties": {
                          "roleDefinitionId": "[subscriptionResourceId('Microsoft.Authorization/"
                                              f"roleDefinitions', '{OPERATOR}')]",
                          "principalId": "[parameters('teamObjectId')]"}}]}}},
    ],
}


def test_arm_levels_come_from_each_templates_schema(tmp_path: Path) -> None:
    path = write(tmp_path, "azuredeploy.json", json.dumps(SUBSCRIPTION_TEMPLATE))
    estate = load_estate(str(path))
    levels = sorted((a.scope_level, a.role_definition_id) for a in estate.role_assignments)
    assert levels == [("resource", OPERATOR), ("resourceGroup", CONTRIBUTOR),
                      ("subscription", OPERATOR)]
    principals = {a.principal_id for a in estate.role_assignments}
    assert principals == {Unknown("parameters('teamObjectId')")}  # the same principal


def test_bicep_extension_scope_and_subscription_module(tmp_path: Path) -> None:
    write(tmp_path, "sub.bicep", "targetScope = 'subscription'\nparam principalId string\n"
          "resource ra 'Microsoft.Authorization/roleAssignments@2022-04-01' = {\n"
          "  name: guid(subscription().id, principalId)\n  properties: {\n"
          "    roleDefinitionId: subscriptionResourceId("
          f"'Microsoft.Authorization/roleDefinitions', '{OPERATOR}')\n"
          "    principalId: principalId\n  }\n}\n")
    main_bicep = write(tmp_path, "main.bicep", (
        "param teamId string\n"
        "resource rsv 'Microsoft.RecoveryServices/vaults@2024-04-01' = {\n"
        "  name: 'rsv-app'\n  location: 'westeurope'\n  sku: {\n    name: 'RS0'\n"
        "    tier: 'Standard'\n  }\n  properties: {}\n}\n"
        "resource ra 'Microsoft.Authorization/roleAssignments@2022-04-01' = {\n"
        "  name: guid(rsv.id, teamId)\n  scope: rsv\n  properties: {\n"
        f"    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', "
        f"'{CONTRIBUTOR}')\n    principalId: teamId\n  }}\n}}\n"
        "module sub 'sub.bicep' = {\n  name: 'sub'\n  scope: subscription()\n"
        "  params: {\n    principalId: teamId\n  }\n}\n"))
    estate = load_estate(str(main_bicep))
    assert sorted(str(a.scope_level) for a in estate.role_assignments) == [
        "resource", "subscription"]
    assert outcome(actions.backup_role_resource_group_only, estate) == {}


# ------------------------------------------------------------------ BKP-ACT-005

def role(address: str, level: object, principal: object = "p1", guid: object = CONTRIBUTOR,
         name: object = None) -> RoleAssignment:
    return RoleAssignment(address=address, scope=f"{SUB}/resourceGroups/rg-app",
                          scope_level=level, principal_id=principal, role_definition_id=guid,
                          role_definition_name=name)


def test_act_005_conditions() -> None:
    vault = Vault(address="rsv")  # soft delete not set: on by default
    rules = actions.backup_role_resource_group_only
    narrow = (role("rg", "resourceGroup"),
              role("res", "resource", guid=None, name="backup operator"))
    assert outcome(rules, Estate(vaults=(vault,), role_assignments=narrow)) == {
        "rg": Kind.VIOLATION, "res": Kind.VIOLATION}
    off = Vault(address="rsv", soft_delete="Disabled")
    assert outcome(rules, Estate(vaults=(off,), role_assignments=narrow)) == {}
    assert outcome(rules, Estate(role_assignments=narrow)) == {}  # no vault in the unit
    wide = (*narrow, role("mg", "managementGroup", guid="acdd72a7-3385-48ef-bd42-f606fba81ae7"))
    assert outcome(rules, Estate(vaults=(vault,), role_assignments=wide)) == {}
    reader = (role("reader", "resourceGroup", guid="a795c7a0-d4a2-40c1-ae25-d81f01202912"),)
    assert outcome(rules, Estate(vaults=(vault,), role_assignments=reader)) == {}
    other = (*narrow, role("sub", "subscription", principal="p2"))
    assert outcome(rules, Estate(vaults=(vault,), role_assignments=other)) == {
        "rg": Kind.VIOLATION, "res": Kind.VIOLATION}


def test_act_005_unknowns_are_reviews_in_strict_mode_only() -> None:
    rules = actions.backup_role_resource_group_only
    estate = Estate(vaults=(Vault(address="rsv"),), role_assignments=(
        role("unknown_role", "resourceGroup", guid=Unknown("var.role_id")),
        role("unknown_scope", Unknown("var.scope"), principal="p2")))
    assert outcome(rules, estate) == {}
    assert outcome(rules, estate, strict=True) == {
        "unknown_role": Kind.REVIEW, "unknown_scope": Kind.REVIEW}
    # Another assignment of the same principal at an unknown scope may be the wide one.
    hidden = Estate(vaults=(Vault(address="rsv"),), role_assignments=(
        role("rg", "resourceGroup"), role("elsewhere", Unknown("var.scope"), guid=None)))
    assert outcome(rules, hidden) == {}


# ------------------------------------------------------------------ BKP-CMP-013

def scale_set(address: str, tags: object = None, location: str = "westeurope",
              ident: object = None, mode: str = "Uniform") -> ScaleSet:
    return ScaleSet(address=address, name=address, tags={} if tags is None else tags,
                    location=location, id=ident, orchestration_mode=mode)


def assignment(definition: str, parameters: object, scope: object = None) -> PolicyAssignment:
    return PolicyAssignment(address="pa", definition_id=definition,
                            parameters=parameters, scope=scope)  # type: ignore[arg-type]


def test_cmp_013_by_policy_assignment() -> None:
    rule = compute.uniform_scale_set_instances
    sets = (scale_set("tagged", {"Backup": "DAILY"}), scale_set("other", {"backup": "none"}),
            scale_set("far", {"backup": "daily"}, location="northeurope"),
            scale_set("outside", {"backup": "daily"}, ident=f"{SUB}/resourceGroups/rg-other/"
                      "providers/Microsoft.Compute/virtualMachineScaleSets/outside"),
            scale_set("flexible", {"backup": "daily"}, mode="Flexible"))
    including = assignment(WITH_TAG, {"vaultLocation": "westeurope", "inclusionTagName": "backup",
                                      "inclusionTagValue": ["daily"]},
                           scope=f"{SUB}/resourceGroups/rg-app")
    assert outcome(rule, Estate(scale_sets=sets, policy_assignments=(including,))) == {
        "tagged": Kind.VIOLATION}
    excluding = assignment(WITHOUT_TAG, {"exclusionTagName": "backup",
                                         "exclusionTagValue": ["none"]})
    assert outcome(rule, Estate(scale_sets=sets[:3], policy_assignments=(excluding,))) == {
        "tagged": Kind.VIOLATION, "far": Kind.VIOLATION}
    everything = assignment(NEW_VAULT_WITH_TAG, {})
    assert outcome(rule, Estate(scale_sets=sets[:2], policy_assignments=(everything,))) == {
        "tagged": Kind.VIOLATION, "other": Kind.VIOLATION}
    unrelated = assignment("0015ea4d-51ff-4ce3-8d8c-f3f8f0179a56", {})
    assert outcome(rule, Estate(scale_sets=sets, policy_assignments=(unrelated,))) == {}


def test_cmp_013_unknown_intent_is_a_review_in_strict_mode() -> None:
    rule = compute.uniform_scale_set_instances
    estate = Estate(scale_sets=(scale_set("web", {"backup": "daily"}),),
                    policy_assignments=(assignment(WITH_TAG, Unknown("jsonencode(...)")),))
    assert outcome(rule, estate) == {}
    assert outcome(rule, estate, strict=True) == {"web": Kind.REVIEW}
    unknown_tags = Estate(scale_sets=(scale_set("web", Unknown("var.tags")),))
    assert outcome(rule, unknown_tags, organisation={"protect_tag": "backup"}, strict=True) == {
        "web": Kind.REVIEW}


@pytest.mark.parametrize(("setting", "expected"), [
    ("backup", {"required": Kind.VIOLATION, "optional": Kind.VIOLATION}),
    ("Backup=REQUIRED", {"required": Kind.VIOLATION}),
    ("owner=ops", {}),
])
def test_cmp_013_by_protect_tag(setting: str, expected: dict[str, Kind]) -> None:
    estate = Estate(scale_sets=(scale_set("required", {"backup": "required"}),
                                scale_set("optional", {"backup": "optional"}),
                                scale_set("untagged")))
    assert outcome(compute.uniform_scale_set_instances, estate,
                   organisation={"protect_tag": setting}) == expected


def test_protect_tag_from_the_configuration(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, ".azbackup-policy.yaml", "organisation:\n  protect-tag: backup=required\n")
    write(tmp_path, "main.tf", '''resource "azurerm_linux_virtual_machine_scale_set" "web" {
  name                = "vmss-web"
  resource_group_name = "rg-app"
  location            = "westeurope"
  sku                 = "Standard_D2s_v5"
  tags = {
    backup = "required"
  }
}
''')
    assert load_config(str(tmp_path / ".azbackup-policy.yaml")).organisation.protect_tag == \
        "backup=required"
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    code = main(["scan", ".", "--format", "json", "--select", "BKP-CMP-013"], stdout=out,
                stderr=err, environ={})
    assert code == 1, err.getvalue()
    (finding,) = json.loads(out.getvalue())["findings"]
    assert "organisation.protect-tag" in finding["message"]
    write(tmp_path, ".azbackup-policy.yaml", "organisation:\n  protect-tag: '=required'\n")
    with pytest.raises(ConfigError, match="protect-tag: must be a tag name, or NAME=VALUE"):
        load_config(str(tmp_path / ".azbackup-policy.yaml"))


PARTLY_KNOWN = '''
resource "azurerm_backup_policy_vm" "daily" {
  name                = "pol-daily"
  resource_group_name = "rg-app"
  recovery_vault_name = "rsv-app"
  backup {
    frequency = "Daily"
    time      = "23:00"
  }
  retention_daily {
    count = 30
  }
}
resource "azurerm_resource_group_policy_assignment" "backup_by_tag" {
  name                 = "backup-by-tag"
  resource_group_id    = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-app"
  policy_definition_id = "@POLICY@"
  location             = "westeurope"
  parameters = jsonencode({
    vaultLocation     = { value = "westeurope" }
    inclusionTagName  = { value = "backup" }
    inclusionTagValue = { value = ["daily"] }
    backupPolicyId    = { value = azurerm_backup_policy_vm.daily.id }
  })
}
resource "azurerm_linux_virtual_machine_scale_set" "web" {
  name                = "vmss-web"
  resource_group_name = "rg-app"
  location            = "westeurope"
  sku                 = "Standard_D2s_v5"
  tags = {
    backup = "daily"
  }
}
'''.replace("@POLICY@", f"{POLICIES}/{WITH_TAG}")


def test_jsonencode_parameters_with_unknown_parts_keep_the_known_ones(tmp_path: Path) -> None:
    """The usual module: the policy's id is known only after apply, so Terraform's jsonencode
    is unknown as a whole; the tag name and value written beside it are still read, and the
    backup-by-tag assignment makes the tagged Uniform scale set a finding."""
    estate = load_estate(str(write(tmp_path, "main.tf", PARTLY_KNOWN).parent))
    (policy,) = estate.policy_assignments
    assert isinstance(policy.parameters, dict)
    assert policy.parameters["inclusionTagName"] == "backup"
    assert policy.parameters["inclusionTagValue"] == ["daily"]
    assert isinstance(policy.parameters["backupPolicyId"], Unknown)
    assert outcome(compute.uniform_scale_set_instances, estate) == {
        "azurerm_linux_virtual_machine_scale_set.web": Kind.VIOLATION}


def test_jsonencode_azapi_body_with_unknown_parts_keeps_the_known_ones(tmp_path: Path) -> None:
    """azapi v1 writes bodies as jsonencode(...); a reference inside no longer hides the rest."""
    text = '''
resource "azapi_resource" "vault" {
  type      = "Microsoft.RecoveryServices/vaults@2024-04-01"
  name      = "rsv-app"
  location  = "westeurope"
  parent_id = var.resource_group_id
  body = jsonencode({
    sku        = { name = "RS0", tier = "Standard" }
    properties = {
      publicNetworkAccess = var.public_access
      redundancySettings  = { standardTierStorageRedundancy = "LocallyRedundant",
                              crossRegionRestore = "Disabled" }
    }
  })
}
variable "resource_group_id" {
  type = string
}
variable "public_access" {
  type = string
}
'''
    estate = load_estate(str(write(tmp_path, "main.tf", text).parent))
    (vault,) = estate.vaults
    assert vault.redundancy == "LocallyRedundant"
    assert isinstance(vault.public_network_access, Unknown)
