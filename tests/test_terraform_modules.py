"""Terraform modules are followed the way Terraform does, inside the repository.

Each test builds a small repository (a folder holding ``.git``) in the layout real estates
use: environments calling shared modules, a module repository whose examples call ``../../``,
registry modules installed by ``terraform init`` (``.terraform/modules/modules.json``), and a
module with one file that cannot be parsed. ``inventory`` must list the VMs with the right
protection, and ``scan`` must give the same findings (addresses and fingerprints) whether it
is run on the deployment folder, from inside it, or on the whole repository.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from azbackup_policy.cli import main

VM_MODULE = '''variable "name" {
  type = string
}

variable "subnet_id" {
  type    = string
  default = null
}

resource "azurerm_network_interface" "this" {
  name                = "nic-${var.name}"
  location            = "westeurope"
  resource_group_name = "rg-${var.name}"

  ip_configuration {
    name                          = "primary"
    subnet_id                     = var.subnet_id
    private_ip_address_allocation = "Dynamic"
  }
}

resource "azurerm_linux_virtual_machine" "this" {
  name                  = "vm-${var.name}"
  location              = "westeurope"
  resource_group_name   = "rg-${var.name}"
  size                  = "Standard_D2s_v5"
  admin_username        = "azureuser"
  network_interface_ids = [azurerm_network_interface.this.id]

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }

  source_image_reference {
    publisher = "Canonical"
    offer     = "0001-com-ubuntu-server-jammy"
    sku       = "22_04-lts-gen2"
    version   = "latest"
  }
}

output "vm_id" {
  value = azurerm_linux_virtual_machine.this.id
}
'''

VAULT = '''resource "azurerm_recovery_services_vault" "this" {
  name                = "rsv-{env}"
  location            = "westeurope"
  resource_group_name = "rg-{env}"
  sku                 = "Standard"
}

resource "azurerm_backup_policy_vm" "daily" {
  name                = "daily"
  resource_group_name = azurerm_recovery_services_vault.this.resource_group_name
  recovery_vault_name = azurerm_recovery_services_vault.this.name

  backup {
    frequency = "Daily"
    time      = "23:00"
  }

  retention_daily {
    count = 14
  }
}

resource "azurerm_backup_protected_vm" "this" {
  resource_group_name = azurerm_recovery_services_vault.this.resource_group_name
  recovery_vault_name = azurerm_recovery_services_vault.this.name
  source_vm_id        = {vm_id}
  backup_policy_id    = azurerm_backup_policy_vm.daily.id
}
'''


def vault(env: str, vm_id: str) -> str:
    return VAULT.replace("{env}", env).replace("{vm_id}", vm_id)


def write(root: Path, files: dict[str, str]) -> Path:
    (root / ".git").mkdir(parents=True, exist_ok=True)  # the repository boundary
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def run(monkeypatch: pytest.MonkeyPatch, cwd: Path, *args: str) -> tuple[int, dict[str, Any]]:
    monkeypatch.chdir(cwd)
    out, err = io.StringIO(), io.StringIO()
    extra = ["--fail-on", "never"] if args[0] == "scan" else []
    code = main([args[0], "--no-config", "--format", "json", *extra, *args[1:]],
                stdout=out, stderr=err, environ={})
    return code, json.loads(out.getvalue())


def findings(report: dict[str, Any]) -> set[tuple[str, str, str, str]]:
    return {(f["rule_id"], f["kind"], f["resource"]["address"], f["fingerprint"])
            for f in report["findings"]}


def protection_of(report: dict[str, Any]) -> dict[str, str | None]:
    return {vm["address"]: (vm["protection"] or {}).get("address") for vm in report["vms"]}


def same_three_ways(monkeypatch: pytest.MonkeyPatch, repo: Path, deployment: str,
                    *args: str) -> set[tuple[str, str, str, str]]:
    """The deployment's findings, equal on the folder, from inside it and within the repo."""
    _, on_folder = run(monkeypatch, repo, "scan", deployment, *args)
    _, inside = run(monkeypatch, repo / deployment, "scan", ".", *args)
    _, whole = run(monkeypatch, repo, "scan", ".", *args)
    assert findings(on_folder) == findings(inside)
    assert findings(on_folder) <= findings(whole)
    assert len(on_folder["errors"]) == len(inside["errors"]) == len(whole["errors"])
    return findings(on_folder)


# -- environments calling a shared module ---------------------------------------------------

ENVS = {
    "modules/vm/main.tf": VM_MODULE,
    "envs/prod/main.tf": 'module "web" {\n  source = "../../modules/vm"\n  name   = "prod"\n}\n'
    + vault("prod", "module.web.vm_id"),
    "envs/dev/main.tf": 'module "web" {\n  source = "../../modules/vm"\n  name   = "dev"\n}\n',
}
WEB_VM = "module.web.azurerm_linux_virtual_machine.this"


def test_environments_follow_the_shared_module(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    repo = write(tmp_path / "infra", ENVS)
    code, prod = run(monkeypatch, repo, "inventory", "envs/prod")
    assert code == 0 and prod["errors"] == [] and prod["not_followed"] == []
    assert protection_of(prod) == {WEB_VM: "azurerm_backup_protected_vm.this"}
    [vm] = prod["vms"]
    assert vm["location"]["file"] == "modules/vm/main.tf"  # its own file and line
    assert vm["location"]["line"] == VM_MODULE.splitlines().index(
        'resource "azurerm_linux_virtual_machine" "this" {') + 1
    _, dev = run(monkeypatch, repo / "envs" / "dev", "inventory", ".")
    assert protection_of(dev) == {WEB_VM: None}

    prod_findings = same_three_ways(monkeypatch, repo, "envs/prod")
    dev_findings = same_three_ways(monkeypatch, repo, "envs/dev")
    assert ("BKP-COV-001", "violation", WEB_VM) in {f[:3] for f in dev_findings}
    assert "BKP-COV-001" not in {f[0] for f in prod_findings}
    _, whole = run(monkeypatch, repo, "scan", ".")
    assert findings(whole) == prod_findings | dev_findings
    assert whole["errors"] == [] and whole["not_followed"] == []


def test_outside_the_repository_is_not_followed_not_an_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = write(tmp_path / "shared", {"vm/main.tf": VM_MODULE})
    repo = write(tmp_path / "app", {"main.tf": 'module "web" {\n  source = "../shared/vm"\n'
                                    '  name   = "app"\n}\n' + vault("app", "module.web.vm_id")})
    code, report = run(monkeypatch, repo, "scan", ".")
    assert code == 0 and report["errors"] == []
    [entry] = report["not_followed"]
    assert (entry["file"], entry["line"], entry["source"]) == ("main.tf", 2, "../shared/vm")
    assert "outside the scan root" in entry["reason"]
    assert "--allow-outside-root" in entry["hint"]
    code, strict = run(monkeypatch, repo, "scan", ".", "--strict", "--fail-on", "never")
    assert {f[:3] for f in findings(strict)} >= {("BKP-COV-006", "review", "module.web")}
    _, followed = run(monkeypatch, repo, "inventory", ".", "--allow-outside-root")
    assert protection_of(followed) == {WEB_VM: "azurerm_backup_protected_vm.this"}
    assert shared.is_dir()


# -- a module repository: examples call ../../, the root calls ./modules/backup ---------------

MODULE_REPO = {
    "main.tf": VM_MODULE + '''
module "backup" {
  source = "./modules/backup"
  vm_id  = azurerm_linux_virtual_machine.this.id
}
''',
    "modules/backup/main.tf": 'variable "vm_id" {\n  type = string\n}\n\n'
    + vault("example", "var.vm_id"),
    "examples/basic/main.tf": 'module "vm" {\n  source = "../../"\n  name   = "basic"\n}\n',
}


def test_module_repository_examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = write(tmp_path / "terraform-azurerm-vm", MODULE_REPO)
    code, report = run(monkeypatch, repo / "examples" / "basic", "inventory", ".")
    assert code == 0 and report["errors"] == [] and report["not_followed"] == []
    assert protection_of(report) == {
        "module.vm.azurerm_linux_virtual_machine.this":
            "module.vm.module.backup.azurerm_backup_protected_vm.this",
    }
    example = same_three_ways(monkeypatch, repo, "examples/basic")
    assert "BKP-COV-001" not in {f[0] for f in example}


# -- registry modules installed by terraform init --------------------------------------------

REGISTRY_CALL = '''module "web" {
  source  = "Azure/avm-res-compute-virtualmachine/azurerm"
  version = "0.19.0"
  name    = "reg"
}
'''
INSTALLED_WEB = VM_MODULE + '''
module "backup" {
  source  = "contoso/vm-backup/azurerm"
  version = "~> 1.2"
  vm_id   = azurerm_linux_virtual_machine.this.id
}
'''
MANIFEST = {"Modules": [
    {"Key": "", "Source": "", "Dir": "."},
    {"Key": "web", "Source": "registry.terraform.io/Azure/avm-res-compute-virtualmachine/azurerm",
     "Version": "0.19.0", "Dir": ".terraform/modules/web"},
    {"Key": "web.backup", "Source": "registry.terraform.io/contoso/vm-backup/azurerm",
     "Version": "1.2.3", "Dir": ".terraform/modules/web.backup"},
]}


def registry_repo(root: Path, manifest: dict[str, Any] | None = MANIFEST) -> Path:
    files = {
        "deploy/main.tf": REGISTRY_CALL,
        "deploy/.terraform/modules/web/main.tf": INSTALLED_WEB,
        "deploy/.terraform/modules/web.backup/main.tf":
            'variable "vm_id" {\n  type = string\n}\n\n' + vault("reg", "var.vm_id"),
    }
    if manifest is not None:
        files["deploy/.terraform/modules/modules.json"] = json.dumps(manifest, indent=2)
    return write(root, files)


def test_registry_modules_from_the_module_manifest(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    repo = registry_repo(tmp_path / "estate")
    code, report = run(monkeypatch, repo, "inventory", "deploy")
    assert code == 0 and report["errors"] == [] and report["not_followed"] == []
    assert protection_of(report) == {
        WEB_VM: "module.web.module.backup.azurerm_backup_protected_vm.this"}
    [vm] = report["vms"]
    assert vm["location"]["file"] == "deploy/.terraform/modules/web/main.tf"
    found = same_three_ways(monkeypatch, repo, "deploy")
    assert "BKP-COV-001" not in {f[0] for f in found}


def test_registry_module_without_init_is_not_followed_with_a_hint(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = registry_repo(tmp_path / "estate", manifest=None)
    code, report = run(monkeypatch, repo, "scan", "deploy")
    assert code == 0 and report["errors"] == [] and report["findings"] == []
    [entry] = report["not_followed"]
    assert (entry["file"], entry["line"]) == ("deploy/main.tf", 2)
    assert entry["reason"] == "registry module, not installed"
    assert entry["hint"].startswith("run `terraform init` (`-backend=false` is enough)")
    code, strict = run(monkeypatch, repo, "scan", "deploy", "--strict", "--fail-on", "note")
    [review] = strict["findings"]
    assert (review["rule_id"], review["kind"], review["resource"]["address"]) == (
        "BKP-COV-006", "review", "module.web")
    assert review["location"]["file"] == "deploy/main.tf" and review["location"]["line"] == 2
    assert code == 0  # a review never fails the run
    assert same_three_ways(monkeypatch, repo, "deploy", "--strict") == findings(strict)


def test_stale_manifest_is_not_followed(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    stale = json.loads(json.dumps(MANIFEST))
    stale["Modules"][1]["Version"] = "0.18.1"
    repo = registry_repo(tmp_path / "estate", stale)
    _, report = run(monkeypatch, repo, "inventory", "deploy")
    [entry] = report["not_followed"]
    assert "0.18.1" in entry["reason"] and "out of date" in entry["hint"]
    moved = json.loads(json.dumps(MANIFEST))
    moved["Modules"][2]["Source"] = "registry.terraform.io/contoso/other/azurerm"
    repo = registry_repo(tmp_path / "moved", moved)
    _, report = run(monkeypatch, repo, "inventory", "deploy")
    assert [(n["source"], n["line"]) for n in report["not_followed"]] == [
        ("contoso/vm-backup/azurerm",
         INSTALLED_WEB.splitlines().index('  source  = "contoso/vm-backup/azurerm"') + 1)]
    assert protection_of(report) == {WEB_VM: None}


def test_git_module_and_nested_keys_under_count(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    source = "git::https://example.com/platform/terraform-vm.git?ref=v2.0.0"
    manifest = {"Modules": [
        {"Key": "web", "Source": source, "Dir": ".terraform/modules/web"},
        {"Key": "web.backup", "Source": "registry.terraform.io/contoso/vm-backup/azurerm",
         "Version": "1.2.3", "Dir": ".terraform/modules/web.backup"},
    ]}
    repo = registry_repo(tmp_path / "estate", manifest)
    call = (f'module "web" {{\n  source = "{source}"\n  count  = 2\n'
            '  name   = "g${count.index}"\n}\n')
    (repo / "deploy" / "main.tf").write_text(call, encoding="utf-8")
    _, report = run(monkeypatch, repo, "inventory", "deploy")
    assert report["not_followed"] == []
    assert protection_of(report) == {
        f"module.web[{i}].azurerm_linux_virtual_machine.this":
            f"module.web[{i}].module.backup.azurerm_backup_protected_vm.this" for i in (0, 1)}


# -- one file that cannot be parsed ----------------------------------------------------------

BROKEN = '''resource "azurerm_backup_protected_vm" "this" {
  source_vm_id = module.web.vm_id
  backup_policy_id = = "daily"
}
'''


def test_one_bad_file_does_not_hide_the_module(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    repo = write(tmp_path / "infra", {
        "modules/vm/main.tf": VM_MODULE,
        "envs/prod/main.tf": ENVS["envs/dev/main.tf"],
        "envs/prod/backup.tf": BROKEN,
    })
    code, report = run(monkeypatch, repo, "inventory", "envs/prod")
    assert code == 2
    assert [(e["file"], e["line"]) for e in report["errors"]] == [("envs/prod/backup.tf", 3)]
    assert protection_of(report) == {WEB_VM: None}  # main.tf and the module are still read
    code, scan = run(monkeypatch, repo, "scan", "envs/prod")
    assert code == 2 and "BKP-COV-001" not in {f["rule_id"] for f in scan["findings"]}
    assert "envs/prod/backup.tf" not in scan["files_scanned"]
    strict = same_three_ways(monkeypatch, repo, "envs/prod", "--strict")
    assert ("BKP-COV-001", "review", WEB_VM) in {f[:3] for f in strict}


# -- pre-commit: a change to a shared module scans the deployments that call it ---------------

def test_changed_module_scans_its_callers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = write(tmp_path / "infra", ENVS)
    _, changed = run(monkeypatch, repo, "scan", "--changed-files", "modules/vm/main.tf")
    _, callers = run(monkeypatch, repo, "scan", "envs/dev", "envs/prod")
    assert findings(changed) == findings(callers)
    assert ("BKP-COV-001", "violation", WEB_VM) in {f[:3] for f in findings(changed)}
    assert changed["files_scanned"] == callers["files_scanned"] == [
        "envs/dev/main.tf", "envs/prod/main.tf", "modules/vm/main.tf"]


# -- the AVM VM module's backup: an azapi update and a PUT action of the protected item -------

AZAPI_ITEM = '''resource "azapi_resource" "vault" {
  type      = "Microsoft.RecoveryServices/vaults@2024-04-01"
  name      = "rsv-app"
  parent_id = "/subscriptions/0000/resourceGroups/rg-app"
  location  = "westeurope"
  body = {
    sku        = { name = "Standard" }
    properties = { publicNetworkAccess = "Enabled" }
  }
}

locals {
  container = "iaasvmcontainerv2;rg-app;${azurerm_linux_virtual_machine.this.name}"
  item_id = join("/", [azapi_resource.vault.id, "backupFabrics/Azure/protectionContainers",
  local.container, "protectedItems", "VM;${local.container}"])
  item_type = join("/", ["Microsoft.RecoveryServices/vaults",
  "backupFabrics/protectionContainers/protectedItems@2024-10-01"])
  item = {
    protectedItemType = "Microsoft.Compute/virtualMachines"
    sourceResourceId  = azurerm_linux_virtual_machine.this.id
    policyId          = azurerm_backup_policy_vm.daily.id
  }
}

resource "azurerm_backup_policy_vm" "daily" {
  name                = "daily"
  resource_group_name = "rg-app"
  recovery_vault_name = azapi_resource.vault.name

  backup {
    frequency = "Daily"
    time      = "23:00"
  }

  retention_daily {
    count = 14
  }
}

'''


WRITERS = {
    "ensure": 'resource "azapi_resource_action" "ensure" {\n  type        = local.item_type\n'
    '  resource_id = local.item_id\n  method      = "PUT"\n'
    '  body        = { properties = local.item }\n}\n',
    "item": 'resource "azapi_update_resource" "item" {\n  type        = local.item_type\n'
    '  resource_id = local.item_id\n  body        = { properties = local.item }\n}\n',
    "stop": 'resource "azapi_resource_action" "stop" {\n  type        = local.item_type\n'
    '  resource_id = local.item_id\n  method      = "DELETE"\n  when        = "destroy"\n}\n',
}


@pytest.mark.parametrize("writers", [("ensure", "item", "stop"), ("ensure", "stop"),
                                     ("stop",)])
def test_protected_item_written_by_azapi_update_or_put_action(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writers: tuple[str, ...]) -> None:
    text = AZAPI_ITEM + "\n".join(WRITERS[name] for name in writers)
    repo = write(tmp_path / "app", {"main.tf": VM_MODULE.replace("var.name", '"app"') + text})
    _, report = run(monkeypatch, repo, "inventory", ".")
    expected = {"ensure": "azapi_resource_action.ensure", "item": "azapi_update_resource.item"}
    writer = "item" if "item" in writers else "ensure" if "ensure" in writers else None
    assert protection_of(report) == {
        "azurerm_linux_virtual_machine.this": expected.get(writer or "")}
    for item in report["protections"]:
        assert (item["vault"], item["policy"]) == ("azapi_resource.vault",
                                                   "azurerm_backup_policy_vm.daily")


def test_a_module_not_followed_that_is_given_the_vm_may_protect_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backup = ('module "backup" {\n  source  = "contoso/vm-backup/azurerm"\n  version = "1.2.3"\n'
              '  vm_ids  = [azurerm_linux_virtual_machine.this.id]\n}\n')
    naming = 'module "naming" {\n  source  = "Azure/naming/azurerm"\n  suffix  = ["app"]\n}\n'
    vm = VM_MODULE.replace("var.name", '"app"')
    repo = write(tmp_path / "app", {"given/main.tf": vm + backup, "other/main.tf": vm + naming})
    _, report = run(monkeypatch, repo, "scan", ".")
    assert {f[:3] for f in findings(report) if f[0] == "BKP-COV-001"} == {
        ("BKP-COV-001", "violation", "azurerm_linux_virtual_machine.this")}
    assert [f["location"]["file"] for f in report["findings"]
            if f["rule_id"] == "BKP-COV-001"] == ["other/main.tf"]
    _, strict = run(monkeypatch, repo, "scan", "given", "--strict")
    assert {f[:3] for f in findings(strict)} >= {
        ("BKP-COV-001", "review", "azurerm_linux_virtual_machine.this"),
        ("BKP-COV-006", "review", "module.backup")}


def test_inventory_text_lists_what_was_not_followed(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    repo = registry_repo(tmp_path / "estate", manifest=None)
    monkeypatch.chdir(repo)
    out = io.StringIO()
    code = main(["inventory", "--no-config", "deploy"], stdout=out, stderr=io.StringIO(),
                environ={})
    assert code == 0
    assert out.getvalue().splitlines()[-1] == (
        "deploy/main.tf:2: not followed Azure/avm-res-compute-virtualmachine/azurerm (registry "
        "module, not installed; run `terraform init` (`-backend=false` is enough) before the "
        "scan, or scan the plan JSON)")
