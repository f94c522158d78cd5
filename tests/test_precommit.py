"""Changed files -> the units the pre-commit hook scans as a whole."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO

from azbackup_policy.cli import main
from azbackup_policy.discover import FileLoader
from azbackup_policy.errors import InputError
from azbackup_policy.pipeline import ScanOptions
from azbackup_policy.precommit import Unit, _merge, affected_units, is_auto_tfvars
from azbackup_policy.report import InputProblem, Report

TEMPLATE_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
PARAMS_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def arm_template(*linked: str) -> str:
    resources = [
        {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
         "name": f"link{i}", "properties": {"mode": "Incremental",
                                            "templateLink": {"relativePath": rel}}}
        for i, rel in enumerate(linked)
    ]
    return json.dumps({"$schema": TEMPLATE_SCHEMA, "contentVersion": "1.0.0.0",
                       "resources": resources}, indent=2)


ARM_PARAMS = json.dumps({"$schema": PARAMS_SCHEMA, "contentVersion": "1.0.0.0",
                         "parameters": {"vmName": {"value": "vm-a"}}})
ROOT_TF = 'module "db" {\n  source = "./modules/db"\n  vault_name = "rsv-app"\n}\n'


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def units(*changed: str) -> list[Unit]:
    return affected_units(list(changed))


def test_tf_file_gives_its_whole_module_folder_once(repo: Path) -> None:
    write(repo, {"infra/main.tf": "", "infra/variables.tf": "", "infra/vm.tf.json": "{}"})
    assert units("infra/main.tf", "infra/variables.tf", "infra/vm.tf.json") == [Unit("infra")]


def test_changed_child_module_lifts_to_the_root_module_that_calls_it(repo: Path) -> None:
    write(repo, {"infra/main.tf": ROOT_TF, "infra/modules/db/main.tf": "",
                 "infra/modules/db/vars.tf": ""})
    assert units("infra/modules/db/vars.tf") == [Unit("infra")]


def test_module_shared_by_two_roots_gives_both_roots(repo: Path) -> None:
    call = 'module "vm" {\n  source = "../../modules/vm/"\n}\n'
    write(repo, {"envs/dev/main.tf": call, "envs/prod/main.tf": call,
                 "modules/vm/main.tf": "", "modules/other/main.tf": ""})
    assert units("modules/vm/main.tf") == [Unit("envs/dev"), Unit("envs/prod")]
    assert units("modules/other/main.tf") == [Unit("modules/other")]


def test_callers_are_searched_in_the_whole_repository(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    call = 'module "vm" {\n  source = "../../modules/vm"\n}\n'
    write(repo, {".git/HEAD": "ref: refs/heads/main\n", "envs/dev/main.tf": call,
                 "envs/prod/main.tf": call, "modules/vm/main.tf": "", "tools/README": ""})
    monkeypatch.chdir(repo / "tools")
    from azbackup_policy.precommit import _repository

    root = _repository(None)
    assert os.path.samefile(root, repo)
    assert affected_units(["../modules/vm/main.tf"], root=root) == [  # outside cwd: absolute
        Unit((repo / "envs/dev").as_posix()), Unit((repo / "envs/prod").as_posix())]


def test_module_recorded_in_the_module_manifest_is_a_callee(repo: Path) -> None:
    manifest = {"Modules": [{"Key": "", "Source": "", "Dir": "."},
                            {"Key": "vm", "Source": "..\\..\\modules\\vm",
                             "Dir": "..\\..\\modules\\vm"}]}
    write(repo, {"envs/prod/main.tf": 'module "vm" {\n  source = "..\\\\..\\\\modules\\\\vm"\n}\n',
                 "envs/prod/.terraform/modules/modules.json": json.dumps(manifest),
                 "modules/vm/main.tf": ""})
    assert units("modules/vm/main.tf") == [Unit("envs/prod")]


def test_tf_json_module_call_is_followed(repo: Path) -> None:
    call = {"module": {"db": {"source": "./db"}}}
    write(repo, {"root/main.tf.json": json.dumps(call), "root/db/main.tf": ""})
    assert units("root/db/main.tf") == [Unit("root")]


def test_registry_sources_and_provider_sources_are_not_edges(repo: Path) -> None:
    text = ('terraform {\n  required_providers {\n    azurerm = { source = "hashicorp/azurerm" }\n'
            '  }\n}\nmodule "vm" {\n  source = "Azure/avm-res-compute-virtualmachine/azurerm"\n}\n')
    write(repo, {"a/main.tf": text, "b/main.tf": ""})
    assert units("b/main.tf") == [Unit("b")]


def test_tfvars_named_goes_with_its_folder_auto_loaded_does_not(repo: Path) -> None:
    write(repo, {"infra/main.tf": "", "infra/prod.tfvars": "", "infra/terraform.tfvars": "",
                 "infra/x.auto.tfvars.json": "{}"})
    assert units("infra/prod.tfvars") == [Unit("infra", var_files=("infra/prod.tfvars",))]
    assert units("infra/terraform.tfvars", "infra/x.auto.tfvars.json") == [Unit("infra")]
    assert is_auto_tfvars("a/terraform.tfvars.json") and not is_auto_tfvars("prod.tfvars")


def test_bicep_module_lifts_to_root_and_its_bicepparam(repo: Path) -> None:
    write(repo, {
        "bicep/main.bicep": "module db './modules/db.bicep' = {\n  params: {}\n}\n"
                            "module avm 'br/public:avm/res/compute/virtual-machine:0.5.0' = {}\n",
        "bicep/modules/db.bicep": "import { diskType } from '../types/disk.bicep'\n",
        "bicep/types/disk.bicep": "@export()\ntype diskType = string\n",
        "bicep/main.bicepparam": "using './main.bicep'\nparam vmCount = 2\n",
        "bicep/other.bicep": "",
    })
    expected = [Unit("bicep/main.bicep", parameters=("bicep/main.bicepparam",))]
    assert units("bicep/types/disk.bicep") == expected
    assert units("bicep/modules/db.bicep") == expected
    assert units("bicep/main.bicepparam") == expected
    assert units("bicep/other.bicep") == [Unit("bicep/other.bicep")]


def test_bicep_loops_of_modules_and_two_parameter_files(repo: Path) -> None:
    write(repo, {
        "main.bicep": "module vms 'vm.bicep' = [for i in range(0, 2): {\n  name: 'vm${i}'\n}]\n",
        "vm.bicep": "",
        "dev.bicepparam": "using 'main.bicep'\n",
        "prod.bicepparam": "using './main.bicep'\n",
    })
    assert units("vm.bicep") == [Unit("main.bicep", parameters=("dev.bicepparam",)),
                                 Unit("main.bicep", parameters=("prod.bicepparam",))]


def test_arm_parameters_and_linked_templates(repo: Path) -> None:
    write(repo, {
        "arm/azuredeploy.json": arm_template("nested/db.json"),
        "arm/azuredeploy.parameters.json": ARM_PARAMS,
        "arm/nested/db.json": arm_template(),
    })
    expected = [Unit("arm/azuredeploy.json", parameters=("arm/azuredeploy.parameters.json",))]
    assert units("arm/azuredeploy.parameters.json") == expected
    assert units("arm/nested/db.json") == expected
    assert units("arm/azuredeploy.json") == expected


def test_arm_parameters_by_environment_name_and_by_the_only_template(repo: Path) -> None:
    write(repo, {
        "a/vm.json": arm_template(), "a/vm.parameters.prod.json": ARM_PARAMS,
        "a/unrelated.json": arm_template(),
        "b/template.json": arm_template(), "b/dev-values.json": ARM_PARAMS,
    })
    assert units("a/vm.parameters.prod.json") == [
        Unit("a/vm.json", parameters=("a/vm.parameters.prod.json",))]
    assert units("b/dev-values.json") == [
        Unit("b/template.json", parameters=("b/dev-values.json",))]


def test_parameters_without_a_template_are_scanned_alone(repo: Path) -> None:
    write(repo, {"p/a.json": arm_template(), "p/b.json": arm_template(),
                 "p/values.json": ARM_PARAMS})
    assert units("p/values.json") == [Unit("p/values.json")]


def test_plan_json_is_itself_and_other_files_are_ignored(repo: Path) -> None:
    plan = {"format_version": "1.2", "terraform_version": "1.9.0", "planned_values": {}}
    write(repo, {"tfplan.json": json.dumps(plan), "package.json": '{"name": "x"}',
                 "README.md": "", "broken.json": "{"})
    assert units("tfplan.json", "package.json", "README.md", "broken.json") == [
        Unit("tfplan.json")]


def test_state_and_whatif_json_are_themselves(repo: Path) -> None:
    state = {"format_version": "1.0", "terraform_version": "1.9.0",
             "values": {"root_module": {}}}
    whatif = {"changes": [{"changeType": "Create", "resourceId": "/subscriptions/x"}],
              "error": None, "status": "Succeeded"}
    write(repo, {"state.json": json.dumps(state), "infra/whatif.json": json.dumps(whatif),
                 "infra/main.bicep": ""})
    assert units("state.json", "infra/whatif.json") == [
        Unit("infra/whatif.json"), Unit("state.json")]


def test_deleted_files_and_folders_without_tf_are_ignored(repo: Path) -> None:
    write(repo, {"infra/main.tf": ""})
    assert units("gone/main.tf", "gone.bicep", "gone.tfvars", "infra/gone.tf") == [
        Unit("infra")]


def test_include_cycle_scans_the_changed_file(repo: Path) -> None:
    write(repo, {"a.bicep": "module b 'b.bicep' = {}\n", "b.bicep": "module a 'a.bicep' = {}\n"})
    assert units("a.bicep") == [Unit("a.bicep")]


def test_includers_inside_skipped_folders_do_not_count(repo: Path) -> None:
    write(repo, {".terraform/modules/x/main.tf": 'module "m" {\n  source = "../../../m"\n}\n',
                 "m/main.tf": ""})
    assert units("m/main.tf") == [Unit("m")]


def test_changed_file_outside_the_root_still_follows_its_own_using(
    repo: Path, tmp_path: Path
) -> None:
    write(repo, {"elsewhere/main.bicep": "", "elsewhere/main.bicepparam": "using 'main.bicep'\n",
                 "root/x.bicep": ""})
    found = affected_units(["elsewhere/main.bicepparam"], root="root")
    assert found == [Unit("elsewhere/main.bicep", parameters=("elsewhere/main.bicepparam",))]


def test_scan_changed_runs_one_scan_per_parameter_set(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(repo, {"infra/main.tf": "", "infra/prod.tfvars": "", "b/main.bicep": "",
                 "b/main.bicepparam": "using 'main.bicep'\n"})
    calls: list[tuple[list[str], tuple[str, ...], tuple[str, ...]]] = []

    def fake_scan(paths: list[str], options: ScanOptions, rules: object = None,
                  formats: object = None) -> Report:
        assert rules == ["given"]
        calls.append((list(paths), options.parameter_files, options.var_files))
        return Report(tool_version="t", errors=(InputProblem("x", 1, 1, "same"),))

    monkeypatch.setattr("azbackup_policy.pipeline.scan", fake_scan)
    from azbackup_policy.precommit import scan_changed

    report = scan_changed(["infra/main.tf", "infra/prod.tfvars", "b/main.bicep"],
                          ScanOptions(var_files=("common.tfvars",)), rules=["given"])  # type: ignore[list-item]
    assert sorted(calls) == [
        (["b/main.bicep"], ("b/main.bicepparam",), ("common.tfvars",)),
        (["infra"], (), ("common.tfvars",)),
        (["infra"], (), ("common.tfvars", "infra/prod.tfvars")),
    ]
    assert report.errors == (InputProblem("x", 1, 1, "same"),)


def test_cli_changed_files_discovers_plugins_once_for_all_groups(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(repo, {"a/main.tf": "", "a/prod.tfvars": "", "b/main.bicep": ""})
    from azbackup_policy import plugins

    reads: list[str] = []
    real = plugins.metadata.entry_points

    def counted(**kwargs: str) -> object:
        reads.append(kwargs.get("group", ""))
        return real(**kwargs)

    monkeypatch.setattr(plugins.metadata, "entry_points", counted)
    out, err = io.StringIO(), io.StringIO()
    code = main(["scan", "--changed-files", "a/main.tf", "a/prod.tfvars", "b/main.bicep",
                 "--format", "json"], stdout=out, stderr=err, environ={})
    assert code == 0, err.getvalue()
    assert len(json.loads(out.getvalue())["files_scanned"]) >= 2  # several scans ran
    assert reads == ["azbackup_policy"]


def test_merge_of_nothing_is_an_empty_report() -> None:
    assert _merge([], "error") == Report(tool_version=_merge([], "x").tool_version,
                                         fail_on="error")


def test_cli_changed_files_with_nothing_to_scan_passes(repo: Path) -> None:
    write(repo, {"package.json": '{"name": "x"}', "notes.md": ""})
    out, err = io.StringIO(), io.StringIO()
    code = main(["scan", "--changed-files", "package.json", "notes.md", "--format", "json"],
                stdout=out, stderr=err, environ={})
    assert (code, err.getvalue()) == (0, "")
    data = json.loads(out.getvalue())
    assert (data["findings"], data["files_scanned"], data["errors"]) == ([], [], [])


# --- end to end: the real `pre-commit try-repo` installs this repository's hook and runs it.
# The hook source is a snapshot of the working tree committed to a temporary git repository,
# so the hook that runs is the one being tested, and every run shares one installed
# environment (same revision); pre-commit builds it with pip once per test session.

BIN = Path(sys.executable).parent
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
           "GIT_CONFIG_NOSYSTEM": "1"}



def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, **GIT_ENV, "HOME": str(cwd)}
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(name, None)
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=True, timeout=60)
    return done.stdout.strip()


def working_tree_files() -> list[str]:
    listed = git("ls-files", "--cached", "--others", "--exclude-standard", cwd=REPO)
    return [name for name in listed.splitlines() if (REPO / name).is_file()]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This repository's working tree, committed once: (path, revision)."""
    source = tmp_path_factory.mktemp("hook-source")
    for name in working_tree_files():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    git("init", "-q", cwd=source)
    git("add", "-A", cwd=source)
    git("commit", "-q", "-m", "snapshot", cwd=source)
    return source, git("rev-parse", "HEAD", cwd=source)


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("pre-commit-home")
    yield home
    shutil.rmtree(home, ignore_errors=True)


def make_target(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git("init", "-q", cwd=root)
    git("add", "-A", cwd=root)
    return root


def try_repo(target: Path, hook: tuple[Path, str], home: Path,
             *files: str) -> subprocess.CompletedProcess[str]:
    source, rev = hook
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1",
           "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GITHUB_ACTIONS", "TF_BUILD"):
        env.pop(name, None)
    command = [str(BIN / "pre-commit"), "try-repo", str(source), "azbackup-policy",
               "--ref", rev, "--verbose", "--color", "never", "--files", *files]
    return subprocess.run(command, cwd=target, env=env, capture_output=True, text=True,
                          timeout=170)


@pytest.mark.slow
def test_hook_passes_files_of_no_known_kind(tmp_path: Path, hook_repo: tuple[Path, str],
                                     pre_commit_home: Path) -> None:
    target = make_target(tmp_path, {"package.json": '{"name": "web"}\n'})
    result = try_repo(target, hook_repo, pre_commit_home, "package.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


PROVIDER_TF = '''terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
  }
}

provider "azurerm" {
  features {}
}
'''

VARIABLES_TF = '''variable "vm_name" {
  type    = string
  default = "{name}"
}

variable "subnet_id" {
  type = string
}

variable "ssh_public_key" {
  type = string
}
'''

VM_TF = PROVIDER_TF + '''
resource "azurerm_resource_group" "app" {
  name     = "rg-app"
  location = "westeurope"
}

resource "azurerm_network_interface" "app" {
  name                = "nic-${var.vm_name}"
  location            = azurerm_resource_group.app.location
  resource_group_name = azurerm_resource_group.app.name

  ip_configuration {
    name                          = "internal"
    subnet_id                     = var.subnet_id
    private_ip_address_allocation = "Dynamic"
  }
}

resource "azurerm_linux_virtual_machine" "app" {
  name                            = var.vm_name
  resource_group_name             = azurerm_resource_group.app.name
  location                        = azurerm_resource_group.app.location
  size                            = "Standard_D2s_v5"
  admin_username                  = "azureuser"
  disable_password_authentication = true
  network_interface_ids           = [azurerm_network_interface.app.id]

  admin_ssh_key {
    username   = "azureuser"
    public_key = var.ssh_public_key
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
    disk_size_gb         = 64
  }

  source_image_reference {
    publisher = "Canonical"
    offer     = "0001-com-ubuntu-server-jammy"
    sku       = "22_04-lts-gen2"
    version   = "latest"
  }
}
'''

BACKUP_TF = '''resource "azurerm_recovery_services_vault" "app" {
  name                         = "rsv-app"
  location                     = azurerm_resource_group.app.location
  resource_group_name          = azurerm_resource_group.app.name
  sku                          = "Standard"
  storage_mode_type            = "GeoRedundant"
  cross_region_restore_enabled = true
}

resource "azurerm_backup_policy_vm" "daily" {
  name                           = "pol-daily"
  resource_group_name            = azurerm_resource_group.app.name
  recovery_vault_name            = azurerm_recovery_services_vault.app.name
  timezone                       = "UTC"
  instant_restore_retention_days = 2

  backup {
    frequency = "Daily"
    time      = "23:00"
  }

  retention_daily {
    count = 30
  }
}

resource "azurerm_backup_protected_vm" "app" {
  resource_group_name = azurerm_resource_group.app.name
  recovery_vault_name = azurerm_recovery_services_vault.app.name
  source_vm_id        = azurerm_linux_virtual_machine.app.id
  backup_policy_id    = azurerm_backup_policy_vm.daily.id
}
'''


@pytest.fixture(scope="module")
def tf_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with a protected VM (protection in a sibling file) and an unprotected one."""
    return make_target(tmp_path_factory.mktemp("target"), {
        "app/main.tf": VM_TF,
        "app/variables.tf": VARIABLES_TF.replace("{name}", "vm-app"),
        "app/backup.tf": BACKUP_TF,
        "jump/main.tf": VM_TF,
        "jump/variables.tf": VARIABLES_TF.replace("{name}", "vm-jump"),
    })


@pytest.mark.slow
def test_hook_fails_on_a_violation_seen_through_a_sibling_file(
    tf_target: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    result = try_repo(tf_target, hook_repo, pre_commit_home, "jump/main.tf")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Failed" in result.stdout
    assert "BKP-COV-001" in result.stdout
    assert "vm-jump" in result.stdout  # the name is a variable default in jump/variables.tf


@pytest.mark.slow
def test_hook_passes_a_clean_change_whose_protection_is_in_a_sibling_file(
    tf_target: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    result = try_repo(tf_target, hook_repo, pre_commit_home, "app/main.tf")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout
    assert "BKP-COV-001" not in result.stdout


# --- files a module or template reads (file functions, Bicep load functions) --------------

NOEXEC_CLOUD_INIT = ("#cloud-config\nmounts:\n"
                     '  - [ "LABEL=var", "/var", "ext4", "defaults,nodev,noexec", "0", "2" ]\n')
PLAIN_CLOUD_INIT = "#cloud-config\npackage_upgrade: true\n"
MOUNTS_TFTPL = ("#cloud-config\nmounts:\n%{ for m in mounts ~}\n"
                "  - [ ${m.device}, ${m.path}, xfs, '${m.options}' ]\n%{ endfor ~}\n")
VM_READS_TF = ROOT_TF.replace("db", "vm") + '''locals {
  init = templatefile("${path.module}/templates/mounts.tftpl", {
    mounts = [{ device = "/dev/sdc1", path = "/data", options = "defaults" }]
  })
}
'''
CHILD_READS_TF = '''resource "azurerm_linux_virtual_machine" "vm" {
  name        = "vm"
  custom_data = filebase64("${path.module}/cloud-init.yaml")
  user_data   = base64encode(file(join("/", [path.module, "scripts", "setup.sh"])))
  tags = {
    bootstrap = fileexists("bootstrap.sh") ? "yes" : "no" # from the root module's folder
    shared    = file("${path.root}/shared/motd.txt")
    named     = file("${path.module}/${var.name}.yaml") # not known without evaluating
  }
}
'''


def test_a_file_a_terraform_module_reads_stands_for_the_roots_that_call_it(repo: Path) -> None:
    write(repo, {
        "envs/prod/main.tf": VM_READS_TF, "envs/prod/templates/mounts.tftpl": MOUNTS_TFTPL,
        "envs/prod/bootstrap.sh": "", "envs/prod/shared/motd.txt": "",
        "envs/prod/modules/vm/main.tf": CHILD_READS_TF,
        "envs/prod/modules/vm/cloud-init.yaml": PLAIN_CLOUD_INIT,
        "envs/prod/modules/vm/scripts/setup.sh": "", "envs/prod/modules/vm/prod.yaml": "",
        "envs/prod/modules/vm/bootstrap.sh": "",  # not the one a bare path names
        "json/main.tf.json": json.dumps({"locals": {
            "init": '${filebase64("${path.module}/init.txt")}'}}),
        "json/init.txt": "",
    })
    prod = [Unit("envs/prod")]
    for read in ("modules/vm/cloud-init.yaml", "modules/vm/scripts/setup.sh",
                 "templates/mounts.tftpl", "bootstrap.sh", "shared/motd.txt"):
        assert units(f"envs/prod/{read}") == prod, read
    assert units("json/init.txt") == [Unit("json")]
    assert units("envs/prod/modules/vm/prod.yaml", "envs/prod/modules/vm/bootstrap.sh") == []
    assert affected_units([], deleted=["envs/prod/modules/vm/cloud-init.yaml"]) == prod


def test_a_file_a_bicep_file_reads_stands_for_the_templates_that_include_it(repo: Path) -> None:
    write(repo, {
        "main.bicep": "module vm './modules/vm.bicep' = {\n  name: 'vm'\n}\n"
                      "var tags = loadJsonContent('config/tags.json')\n",
        "main.bicepparam": "using './main.bicep'\nparam note = loadTextContent('note.txt')\n",
        "modules/vm.bicep": "var init = base64(loadTextContent('cloud-init.yaml'))\n"
                            "var named = loadTextContent('${name}.yaml')\n"
                            "var data = loadFileAsBase64('win/setup.ps1')\n",
        "modules/cloud-init.yaml": PLAIN_CLOUD_INIT, "config/tags.json": "{}", "note.txt": "",
        "modules/other.yaml": "", "modules/win/setup.ps1": "Write-Output ok\n",
    })
    expected = [Unit("main.bicep", parameters=("main.bicepparam",))]
    assert units("modules/cloud-init.yaml") == expected
    assert units("modules/win/setup.ps1") == expected
    assert units("config/tags.json") == expected
    assert units("note.txt") == expected
    assert units("modules/other.yaml") == []


def test_unrelated_files_scan_nothing_and_are_never_opened(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, {"app/main.tf": CHILD_READS_TF, "app/cloud-init.yaml": PLAIN_CLOUD_INIT,
                 "docs/notes.yaml": "a: 1\n", "app/prod.yaml": ""})
    (repo / "docs" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
    (repo / "docs" / "huge.bin").write_bytes(b"\xff" * (12 * 1024 * 1024))
    opened: list[str] = []
    real = FileLoader.read_bytes

    def spy(self: FileLoader, path: str) -> bytes:
        opened.append(os.path.basename(path))
        return real(self, path)

    monkeypatch.setattr(FileLoader, "read_bytes", spy)
    changed = ["docs/notes.yaml", "docs/logo.png", "docs/huge.bin", "app/prod.yaml"]
    assert units(*changed) == []
    assert "main.tf" in opened  # the module, for what it reads; none of the changed files
    assert not {os.path.basename(name) for name in changed} & set(opened)
    out, err = io.StringIO(), io.StringIO()
    code = main(["scan", "--changed-files", *changed, "--format", "json"], stdout=out,
                stderr=err, environ={})
    assert (code, err.getvalue()) == (0, "")
    assert json.loads(out.getvalue())["files_scanned"] == []


def test_a_read_file_outside_the_repository_is_not_followed(repo: Path) -> None:
    write(repo, {
        "repo/app/main.tf": 'locals {\n  a = filebase64("${path.module}/../../shared/ci.yaml")\n'
                            '  b = file("/etc/hostname")\n  c = file("../escape.sh")\n'
                            '  d = file("~/.ssh/id_rsa.pub")\n}\n',
        "repo/app/~/.ssh/id_rsa.pub": "",  # Terraform reads the home folder's, not this
        "repo/app/main.bicep": "var a = loadTextContent('../../shared/ci.yaml')\n",
        "shared/ci.yaml": PLAIN_CLOUD_INIT, "repo/escape.sh": "", "escape.sh": "",
    })
    for read in ("shared/ci.yaml", "escape.sh", "/etc/hostname", "repo/app/~/.ssh/id_rsa.pub"):
        assert affected_units([read], root="repo") == [], read
    assert affected_units([], deleted=["shared/ci.yaml"], root="repo") == []
    assert affected_units(["repo/escape.sh"], root="repo") == [Unit("repo/app")]


def lnx_findings(changed: str) -> tuple[int, list[str]]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["scan", "--changed-files", changed, "--format", "json"], stdout=out,
                stderr=err, environ={})
    assert code in (0, 1), err.getvalue()
    return code, sorted(f["rule_id"] for f in json.loads(out.getvalue())["findings"]
                        if f["rule_id"].startswith("BKP-LNX"))


def with_custom_data(expression: str) -> str:
    return VM_TF.replace("  disable_password_authentication = true\n",
                         "  disable_password_authentication = true\n"
                         f"  custom_data = {expression}\n")


def test_noexec_added_to_a_cloud_init_file_fails_the_module_that_reads_it(repo: Path) -> None:
    write(repo, {"app/main.tf": with_custom_data('filebase64("${path.module}/cloud-init.yaml")'),
                 "app/backup.tf": BACKUP_TF, "app/cloud-init.yaml": PLAIN_CLOUD_INIT,
                 "app/variables.tf": VARIABLES_TF.replace("{name}", "vm-app")})
    assert lnx_findings("app/cloud-init.yaml") == (0, [])
    (repo / "app" / "cloud-init.yaml").write_text(NOEXEC_CLOUD_INIT, encoding="utf-8")
    assert lnx_findings("app/cloud-init.yaml") == (1, ["BKP-LNX-003"])


def test_noexec_added_to_a_template_fails_the_module_that_renders_it(repo: Path) -> None:
    render = ('base64encode(templatefile("${path.module}/mounts.tftpl", { mounts = [{ '
              'device = "/dev/sdc1", path = "/var", options = "defaults" }] }))')
    write(repo, {"app/main.tf": with_custom_data(render), "app/backup.tf": BACKUP_TF,
                 "app/variables.tf": VARIABLES_TF.replace("{name}", "vm-app"),
                 "app/mounts.tftpl": MOUNTS_TFTPL})
    assert lnx_findings("app/mounts.tftpl") == (0, [])
    (repo / "app" / "mounts.tftpl").write_text(
        MOUNTS_TFTPL.replace("${m.options}", "${m.options},noexec"), encoding="utf-8")
    assert lnx_findings("app/mounts.tftpl") == (1, ["BKP-LNX-003"])


BICEP_VM = """resource vault 'Microsoft.RecoveryServices/vaults@2024-04-01' = {
  name: 'rsv-app'
  location: 'westeurope'
  sku: {
    name: 'RS0'
    tier: 'Standard'
  }
  properties: {}
}

resource daily 'Microsoft.RecoveryServices/vaults/backupPolicies@2024-04-01' = {
  parent: vault
  name: 'pol-daily'
  properties: {
    backupManagementType: 'AzureIaasVM'
    instantRpRetentionRangeInDays: 2
    schedulePolicy: {
      schedulePolicyType: 'SimpleSchedulePolicy'
      scheduleRunFrequency: 'Daily'
      scheduleRunTimes: ['2026-01-01T23:00:00Z']
    }
    retentionPolicy: {
      retentionPolicyType: 'LongTermRetentionPolicy'
      dailySchedule: {
        retentionTimes: ['2026-01-01T23:00:00Z']
        retentionDuration: {
          count: 30
          durationType: 'Days'
        }
      }
    }
    timeZone: 'UTC'
  }
}

resource vm 'Microsoft.Compute/virtualMachines@2024-07-01' = {
  name: 'vm-app'
  location: 'westeurope'
  properties: {
    hardwareProfile: {
      vmSize: 'Standard_D2s_v5'
    }
    storageProfile: {
      imageReference: {
        publisher: 'Canonical'
        offer: '0001-com-ubuntu-server-jammy'
        sku: '22_04-lts-gen2'
        version: 'latest'
      }
      osDisk: {
        createOption: 'FromImage'
        managedDisk: {
          storageAccountType: 'Premium_LRS'
        }
      }
    }
    osProfile: {
      computerName: 'vm-app'
      adminUsername: 'azureuser'
      linuxConfiguration: {
        disablePasswordAuthentication: true
      }
      customData: base64(loadTextContent('cloud-init.yaml'))
    }
  }
}

resource item 'PROTECTED_ITEM' = {
  name: 'ITEM_NAME'
  properties: {
    protectedItemType: 'Microsoft.Compute/virtualMachines'
    policyId: daily.id
    sourceResourceId: vm.id
  }
}
""" \
    .replace("PROTECTED_ITEM", "Microsoft.RecoveryServices/vaults/backupFabrics/"
             "protectionContainers/protectedItems@2024-04-01") \
    .replace("ITEM_NAME", "rsv-app/Azure/iaasvmcontainer;iaasvmcontainerv2;rg-app;vm-app/"
             "vm;iaasvmcontainerv2;rg-app;vm-app")


def test_noexec_added_to_a_cloud_init_file_fails_the_bicep_file_that_loads_it(
        repo: Path) -> None:
    write(repo, {"vm/main.bicep": BICEP_VM, "vm/cloud-init.yaml": PLAIN_CLOUD_INIT})
    assert lnx_findings("vm/cloud-init.yaml") == (0, [])
    (repo / "vm" / "cloud-init.yaml").write_text(NOEXEC_CLOUD_INIT, encoding="utf-8")
    assert lnx_findings("vm/cloud-init.yaml") == (1, ["BKP-LNX-003"])


@pytest.mark.slow
def test_hook_fails_when_only_a_cloud_init_file_the_module_reads_changes(
    tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    target = make_target(tmp_path, {
        "app/main.tf": with_custom_data('filebase64("${path.module}/cloud-init.yaml")'),
        "app/backup.tf": BACKUP_TF, "app/cloud-init.yaml": NOEXEC_CLOUD_INIT,
        "app/variables.tf": VARIABLES_TF.replace("{name}", "vm-app"), "logo.png": "\x89PNG"})
    result = try_repo(target, hook_repo, pre_commit_home, "app/cloud-init.yaml", "logo.png")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BKP-LNX-003" in result.stdout and "vm-app" in result.stdout


# --- deletions and files that are not staged ---------------------------------------------


def test_a_deleted_file_stands_for_its_module_and_its_callers(repo: Path) -> None:
    write(repo, {"infra/main.tf": ROOT_TF, "infra/modules/db/main.tf": "",
                 "app/main.tf": ""})
    assert affected_units([], deleted=["app/backup.tf"]) == [Unit("app")]
    assert affected_units([], deleted=["infra/modules/db/backup.tf"]) == [Unit("infra")]
    shutil.rmtree(repo / "infra" / "modules")  # the whole module deleted: its caller
    assert affected_units([], deleted=["infra/modules/db/main.tf"]) == [Unit("infra")]
    assert affected_units([], deleted=["gone/main.tf", "README.md"]) == []


def test_a_deleted_bicep_module_stands_for_the_templates_that_used_it(repo: Path) -> None:
    write(repo, {"main.bicep": "module db './db.bicep' = {\n  name: 'db'\n}\n"})
    assert affected_units([], deleted=["db.bicep"]) == [Unit("main.bicep")]


def test_files_that_are_not_staged_are_read_as_absent(repo: Path) -> None:
    write(repo, {"app/main.tf": "", "app/extra.tf": "", "app/sub/x.tf": ""})
    loader = FileLoader(hidden=[str(repo / "app" / "extra.tf"),
                                str(repo / "app" / "sub") + "/"])
    assert loader.list_dir("app") == [os.path.join("app", "main.tf")]
    assert not loader.exists("app/extra.tf") and not loader.exists("app/sub/x.tf")
    with pytest.raises(InputError, match="not staged"):
        loader.read_text("app/extra.tf")


def run_hook_on_the_staged_change(target: Path, hook: tuple[Path, str],
                                  home: Path) -> subprocess.CompletedProcess[str]:
    """``pre-commit try-repo`` without --files: the hook sees what is staged, as on commit."""
    source, rev = hook
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1",
           "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GITHUB_ACTIONS", "TF_BUILD"):
        env.pop(name, None)
    command = [str(BIN / "pre-commit"), "try-repo", str(source), "azbackup-policy",
               "--ref", rev, "--verbose", "--color", "never"]
    return subprocess.run(command, cwd=target, env=env, capture_output=True, text=True,
                          timeout=170)


@pytest.fixture
def committed_target(tmp_path: Path) -> Path:
    target = make_target(tmp_path, {
        "app/main.tf": VM_TF,
        "app/variables.tf": VARIABLES_TF.replace("{name}", "vm-app"),
        "app/backup.tf": BACKUP_TF,
    })
    git("commit", "-q", "-m", "protected", cwd=target)
    return target


@pytest.mark.slow
def test_hook_refuses_a_staged_deletion_of_the_protected_item(
    committed_target: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    git("rm", "-q", "app/backup.tf", cwd=committed_target)
    result = run_hook_on_the_staged_change(committed_target, hook_repo, pre_commit_home)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Failed" in result.stdout
    assert "BKP-COV-001" in result.stdout and "vm-app" in result.stdout


@pytest.mark.slow
def test_an_untracked_file_beside_a_staged_change_does_not_decide_the_commit(
    committed_target: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    (committed_target / "app" / "extra.tf").write_text(  # unprotected, and never staged
        'resource "azurerm_linux_virtual_machine" "extra" {\n  name = "vm-extra"\n'
        '  resource_group_name = "rg-app"\n  location = "westeurope"\n'
        '  size = "Standard_D2s_v5"\n}\n', encoding="utf-8")
    variables = committed_target / "app" / "variables.tf"
    variables.write_text("# reviewed\n" + variables.read_text(encoding="utf-8"),
                         encoding="utf-8")
    git("add", "app/variables.tf", cwd=committed_target)
    result = run_hook_on_the_staged_change(committed_target, hook_repo, pre_commit_home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "vm-extra" not in result.stdout
