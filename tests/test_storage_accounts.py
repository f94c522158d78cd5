"""BKP-NET-005 (N13, FL3): storage accounts the unit ties to VM backup or restore, behind a
firewall that denies other networks. The rule over the model, then the links each linker finds
(VHD URIs of unmanaged disks, azapi restores) through the real parsers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from policies_support import (
    VM_ADDR,
    Case,
    Setup,
    all_rules,
    assert_case,
    estate,
    matrix,
    observations,
    params,
    reviews,
    violations,
)

from azbackup_policy import ScanOptions
from azbackup_policy.engine import EngineSettings, run
from azbackup_policy.model import Estate, StorageAccount, Unknown
from azbackup_policy.pipeline import load_estate
from azbackup_policy.rules import Kind, Severity

RULE = "BKP-NET-005"
U = Unknown


def account(**kw: Any) -> StorageAccount:
    base: dict[str, Any] = dict(address="azurerm_storage_account.vhds", name="stvhds",
                                resource_type="azurerm_storage_account", vhd_of=(VM_ADDR,))
    return StorageAccount(**{**base, **kw})


def with_account(**kw: Any) -> Setup:
    return Setup(extra={"storage_accounts": [account(**kw)]})


CASES = [
    Case(RULE, with_account(default_action="Deny", bypass=("None",)),
         with_account(default_action="Allow", bypass=("None",)),
         "storage account stvhds holds the unmanaged disks (VHDs) of protected VM vm-a and denies "
         "other networks (default_action = Deny) without the trusted Azure services exception "
         "(bypass = None)", "default_action", with_account(default_action=U("var.action"))),
    Case(RULE, with_account(public_network_access="Disabled"),
         with_account(public_network_access="Enabled"), "has public network access disabled",
         "public_network_access", with_account(public_network_access=U("var.public"))),
    Case(RULE, with_account(vhd_of=(), restore_staging_of=("azapi_resource_action.restore",),
                            default_action="Deny", bypass=("Metrics",)),
         with_account(vhd_of=(), restore_staging_of=("azapi_resource_action.restore",)),
         "holds the staging data of the restore azapi_resource_action.restore", "default_action"),
]


@pytest.mark.parametrize(("case", "outcome"), params(CASES))
def test_rule(case: Case, outcome: str) -> None:
    assert_case(case, outcome)


def _severities(target: Estate) -> list[tuple[Severity, Kind]]:
    return [(f.severity, f.kind) for f in run([("main.tf", target)], [all_rules()[RULE]],
                                              EngineSettings(matrix=matrix())).findings]


@pytest.mark.parametrize("bypass", [None, ("AzureServices", "Logging"), ("azureservices",)])
def test_the_trusted_services_exception_makes_it_a_note(bypass: tuple[str, ...] | None) -> None:
    """Not set means the platform default (AzureServices); the matrix does not say whether the
    exception is enough, the storage firewall article says it is for unmanaged disks."""
    target = estate(with_account(default_action="Deny", bypass=bypass))
    assert _severities(target) == [(Severity.NOTE, Kind.VIOLATION)]
    assert "lets trusted Azure services through" in violations(RULE, target)[0].message


@pytest.mark.parametrize("setup", [
    with_account(default_action="Deny", vhd_of=()),  # a locked-down account no backup uses
    with_account(default_action="Deny", bypass=("None",), vhd_of=("azurerm_virtual_machine.x",)),
    Setup(protection=None, extra={"storage_accounts": [account(default_action="Deny")]}),
    with_account(default_action=None),  # not set: Allow
])
def test_accounts_not_tied_to_a_protected_vm_or_open_ones_are_not_reported(setup: Setup) -> None:
    assert observations(RULE, estate(setup), strict=True) == []


def test_an_unknown_bypass_is_a_review_not_a_finding() -> None:
    target = estate(with_account(default_action="Deny", bypass=U("var.bypass")))
    assert violations(RULE, target) == [] and violations(RULE, target, strict=True) == []
    assert [o.attribute for o in reviews(RULE, target)] == ["bypass"]


# ---- linkers: the links each format can write ----------------------------------------------

def _accounts(tmp_path: Path, name: str, text: str) -> dict[str, StorageAccount]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    found = load_estate(str(tmp_path / name if not name.endswith(".tf") else tmp_path),
                        ScanOptions(cwd=str(tmp_path)))
    return {str(a.name): a for a in found.storage_accounts}


HCL = '''
locals {
  recovery_points = join("/", ["Microsoft.RecoveryServices/vaults/backupFabrics",
  "protectionContainers/protectedItems/recoveryPoints"])
}

variable "public" {
  type = bool
}

resource "azurerm_storage_account" "a" {
  name                          = "sta"
  resource_group_name           = "rg-app"
  location                      = "westeurope"
  account_tier                  = "Standard"
  account_replication_type      = "LRS"
  public_network_access_enabled = var.public

  network_rules {
    default_action = "Deny"
    bypass         = ["Logging", "AzureServices"]
  }
}

resource "azurerm_storage_account" "b" {
  name                     = "stb"
  resource_group_name      = "rg-app"
  location                 = "westeurope"
  account_tier             = "Standard"
  account_replication_type = "LRS"
}

resource "azurerm_storage_account_network_rules" "b" {
  storage_account_id = azurerm_storage_account.b.id
  default_action     = "Deny"
  bypass             = ["None"]
}

resource "azurerm_storage_account" "other" {
  name                     = "stother"
  resource_group_name      = "rg-app"
  location                 = "westeurope"
  account_tier             = "Standard"
  account_replication_type = "LRS"
}

resource "azurerm_virtual_machine" "vm" {
  name                  = "vm-legacy"
  location              = "westeurope"
  resource_group_name   = "rg-app"
  network_interface_ids = []
  vm_size               = "Standard_D2s_v5"

  storage_os_disk {
    name          = "vm-legacy-os"
    create_option = "FromImage"
    vhd_uri       = "${azurerm_storage_account.a.primary_blob_endpoint}vhds/os.vhd"
  }

  storage_data_disk {
    name          = "vm-legacy-data0"
    lun           = 0
    create_option = "Empty"
    disk_size_gb  = 32
    vhd_uri       = "https://STB.blob.core.windows.net/vhds/data0.vhd"
  }
}

resource "azapi_resource_action" "restore" {
  type        = "${local.recovery_points}@2024-04-01"
  resource_id = "${azurerm_backup_protected_vm.vm.id}/recoveryPoints/${var.point}"
  action      = "restore"

  body = {
    properties = {
      objectType       = "IaasVMRestoreRequest"
      recoveryType     = "RestoreDisks"
      storageAccountId = azurerm_storage_account.b.id
    }
  }
}

resource "azapi_resource_action" "not_a_restore" {
  type        = "${local.recovery_points}@2024-04-01"
  resource_id = "${azurerm_backup_protected_vm.vm.id}/recoveryPoints/${var.point}"
  action      = "provisionInstantItemRecovery"

  body = {
    properties = {
      objectType       = "IaasVMILRRegistrationRequest"
      storageAccountId = azurerm_storage_account.other.id
    }
  }
}
'''


def test_azurerm_reads_firewalls_vhd_uris_and_declared_restores(tmp_path: Path) -> None:
    found = _accounts(tmp_path, "main.tf", HCL)
    a, b, other = found["sta"], found["stb"], found["stother"]
    assert (a.default_action, a.bypass, a.public_network_access) == (
        "Deny", ("AzureServices", "Logging"), U("var.public"))
    assert a.vhd_of == ("azurerm_virtual_machine.vm",) and a.restore_staging_of == ()
    # the separate network-rules resource sets b's firewall; its data disk VHD names it by host
    assert (b.default_action, b.bypass) == ("Deny", ("None",))
    assert b.attr_spans["default_action"].line == HCL.count("\n", 0, HCL.index(
        'default_action     = "Deny"')) + 1
    assert b.vhd_of == ("azurerm_virtual_machine.vm",)
    assert b.restore_staging_of == ("azapi_resource_action.restore",)
    assert other.vhd_of == () and other.restore_staging_of == ()


def _arm(resources: list[dict[str, Any]], parameters: dict[str, Any] | None = None) -> str:
    return json.dumps({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/"
                   "deploymentTemplate.json#",
        "contentVersion": "1.0.0.0", "parameters": parameters or {}, "resources": resources})


def _sa(name: str, acls: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-05-01",
            "name": name, "location": "westeurope", "sku": {"name": "Standard_LRS"},
            "kind": "StorageV2", "properties": {"networkAcls": acls} if acls else {}}


def _vhd_vm(name: str, uri: str) -> dict[str, Any]:
    return {"type": "Microsoft.Compute/virtualMachines", "apiVersion": "2024-07-01",
            "name": name, "location": "westeurope", "properties": {"storageProfile": {
                "osDisk": {"createOption": "FromImage", "name": f"{name}-os",
                           "vhd": {"uri": uri}}}}}


def test_arm_links_vhds_by_reference_host_and_unknown_name(tmp_path: Path) -> None:
    template = _arm([
        _sa("[parameters('first')]", {"defaultAction": "Deny", "bypass": "AzureServices, Logging"}),
        _sa("stsecond"), _sa("stthird"), _sa("stunused"),
        _vhd_vm("vm-a", "[concat('https://', parameters('first'), "
                        "'.blob.core.windows.net/v/a.vhd')]"),
        _vhd_vm("vm-b", "[concat(reference(resourceId('Microsoft.Storage/storageAccounts', "
                        "'stsecond'), '2023-05-01').primaryEndpoints.blob, 'v/b.vhd')]"),
        _vhd_vm("vm-c", "[concat('https://stthird.blob.', environment().suffixes.storage, "
                        "'/v/c.vhd')]"),
    ], {"first": {"type": "string"}})
    found = _accounts(tmp_path, "azuredeploy.json", template)
    first = next(a for name, a in found.items() if "first" in name)
    assert (first.default_action, first.bypass) == ("Deny", ("AzureServices", "Logging"))
    assert [a.vhd_of for a in (first, found["stsecond"], found["stthird"], found["stunused"])] \
        == [("Microsoft.Compute/virtualMachines/vm-a",),
            ("Microsoft.Compute/virtualMachines/vm-b",),
            ("Microsoft.Compute/virtualMachines/vm-c",), ()]


def test_bicep_links_vhds_through_the_account_symbol(tmp_path: Path) -> None:
    bicep = '''
resource sa 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'stvhds'
  location: 'westeurope'
  sku: {
    name: 'Standard_LRS'
  }
  kind: 'StorageV2'
  properties: {
    publicNetworkAccess: 'Disabled'
  }
}

resource vm 'Microsoft.Compute/virtualMachines@2024-07-01' = {
  name: 'vm-legacy'
  location: 'westeurope'
  properties: {
    storageProfile: {
      osDisk: {
        name: 'vm-legacy-os'
        createOption: 'FromImage'
        vhd: {
          uri: '${sa.properties.primaryEndpoints.blob}vhds/os.vhd'
        }
      }
    }
  }
}
'''
    found = _accounts(tmp_path, "main.bicep", bicep)["stvhds"]
    assert (found.public_network_access, found.vhd_of) == ("Disabled", ("vm",))


def test_the_inventory_lists_storage_accounts_with_their_uses() -> None:
    import io

    from azbackup_policy.cli import main

    root = Path(__file__).resolve().parent.parent
    out, err = io.StringIO(), io.StringIO()
    main(["inventory", str(root / "fixtures/rules/network/net-005/main.tf"), "--format", "json"],
         stdout=out, stderr=err)
    accounts = {a["name"]: a for a in json.loads(out.getvalue())["storage_accounts"]}
    assert accounts["stfailnet005staging"]["restore_staging_of"] == [
        "azapi_resource_action.restore"]
    assert accounts["stfailnet005deny"]["vhd_of"] == ["azurerm_virtual_machine.fail"]
    assert accounts["stpassnet005diag"]["vhd_of"] == []


def test_bypass_words_are_read_the_same_from_arm_text_and_terraform_lists() -> None:
    from azbackup_policy.linkers.storage import firewall_words

    assert firewall_words("Logging, AzureServices") == firewall_words(
        ["AzureServices", "Logging"]) == ("AzureServices", "Logging")
    assert firewall_words([]) is None and firewall_words("") is None  # not set: the default
    assert firewall_words(U("var.bypass")) == U("var.bypass")
