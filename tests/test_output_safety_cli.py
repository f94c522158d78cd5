"""Hostile names, lone surrogates and undecodable file names through the command line.

One repository holds a VM in each input format whose name carries terminal escapes,
CI command markers and a lone surrogate (``"\\ud800"`` in plan and state JSON, ARM,
what-if results, tfvars; ``'\\u{D800}'`` in Bicep), next to files whose names are not
UTF-8 or hold a newline and a workflow command. Every output format, the inventory and
the baseline are written; each must exit 1 or 2 with no traceback, encode as UTF-8, and
hold no command that the GitHub runner or the Azure Pipelines agent would run, other
than our own.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from ci_scanner import github_commands, injected, unsafe_characters

from azbackup_policy.cli import SCAN_FORMATS, main

ATTACK = "\\u001b]52;c;ZXZpbA==\\u0007\\n::error::INJECTED ##vso[task.setvariable variable=X]1"
ARM_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
ENV = {"GITHUB_ACTIONS": "true", "TF_BUILD": "True"}

HCL = '''\
variable "name" {
  type = string
}

resource "azurerm_linux_virtual_machine" "vm" {
  name                  = "${var.name}-hcl"
  location              = "westeurope"
  resource_group_name   = "rg"
  size                  = "Standard_D2s_v5"
  admin_username        = "azureuser"
  network_interface_ids = []
  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }
}
'''
BICEP = '''\
resource vm 'Microsoft.Compute/virtualMachines@2024-03-01' = {
  name: 'bicep\\u{D800}\\u{1B}]0;title\\u{7}\\n::error::INJECTED ##vso[task.complete]'
  location: 'westeurope'
  properties: {
    hardwareProfile: { vmSize: 'Standard_D2s_v5' }
  }
}
'''
ARM = ('{"$schema": "' + ARM_SCHEMA + '", "contentVersion": "1.0.0.0", "resources": [{'
       '"type": "Microsoft.Compute/virtualMachines", "apiVersion": "2024-03-01", '
       '"name": "arm\\ud800' + ATTACK + '", "location": "westeurope", '
       '"properties": {"hardwareProfile": {"vmSize": "Standard_D2s_v5"}}}]}')


def plan() -> str:
    values = {"name": "plan\ud800\x1b[2J\n::warning::INJECTED ##[command]x",
              "location": "westeurope", "resource_group_name": "rg", "size": "Standard_D2s_v5",
              "admin_username": "azureuser", "network_interface_ids": [],
              "os_disk": [{"caching": "ReadWrite", "storage_account_type": "Premium_LRS"}]}
    resource = {"address": "azurerm_linux_virtual_machine.vm", "mode": "managed",
                "type": "azurerm_linux_virtual_machine", "name": "vm", "values": values,
                "sensitive_values": {}}
    change = {"address": resource["address"], "mode": "managed", "type": resource["type"],
              "name": "vm", "change": {"actions": ["create"], "before": None,
                                       "after": values, "after_unknown": {}}}
    return json.dumps({"format_version": "1.2", "terraform_version": "1.9.8",
                       "planned_values": {"root_module": {"resources": [resource]}},
                       "resource_changes": [change]})


def state() -> str:
    return json.dumps({"format_version": "1.0", "terraform_version": "1.9.8",
                       "values": json.loads(plan())["planned_values"]})


def whatif() -> str:
    vm_id = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
             "Microsoft.Compute/virtualMachines/whatif\ud800\x1b]0;t\x07 ::error::INJECTED")
    after = {"apiVersion": "2024-03-01", "id": vm_id, "location": "westeurope",
             "name": vm_id.rpartition("/")[2], "type": "Microsoft.Compute/virtualMachines",
             "properties": {"hardwareProfile": {"vmSize": "Standard_D2s_v5"}}}
    return json.dumps({"status": "Succeeded", "error": None, "changes": [
        {"changeType": "Create", "resourceId": vm_id, "before": None, "after": after,
         "delta": None, "unsupportedReason": None}]})


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    files = {"plan/tfplan.json": plan(), "arm/azuredeploy.json": ARM,
             "bicep/main.bicep": BICEP, "tf/main.tf": HCL,
             "state/tfstate.json": state(), "whatif/whatif.json": whatif(),
             "tf/terraform.tfvars": f'name = "tf\\ud800{ATTACK}"\n',
             "odd/broken\n::error::INJECTED.tf": 'resource "x" {\n',
             "odd2/##vso[task.complete]##[error].bicep": "resource vm 'x@1' = {\n"}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8", errors="surrogatepass")
    latin = os.fsencode(root / "latin1") + b"/caf\xe9.tf"
    os.makedirs(os.fsencode(root / "latin1"), exist_ok=True)
    with open(latin, "wb") as handle:
        handle.write(b'resource "azurerm_linux_virtual_machine" "v" {\n  name = "x"\n')
    return root


def run(*argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, environ=ENV if env is None else env)
    return code, out.getvalue(), err.getvalue()


def assert_clean(code: int, *texts: str) -> None:
    assert code in (1, 2)
    for text in texts:
        assert "Traceback" not in text
        assert unsafe_characters(text) == []
        text.encode("utf-8")


def test_the_hostile_names_are_read(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard against a vacuous pass: the four VMs and the three broken files are there."""
    monkeypatch.chdir(repo)
    _, out, _ = run("inventory", "--no-config", "--format", "json", ".", env={})
    data = json.loads(out)
    names = sorted(str(vm["name"])[:4] for vm in data["vms"])
    assert names == ["arm\ud800", "bice", "plan", "plan", "tf\ud800\x1b", "what"], names
    assert len({e["file"] for e in data["errors"]}) == 3
    assert any("INJECTED" in str(vm["name"]) for vm in data["vms"])


@pytest.mark.parametrize("fmt", [f for f in SCAN_FORMATS if f != "text"])  # text: below
def test_every_format_on_stdout(repo: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    monkeypatch.chdir(repo)
    code, out, err = run("scan", "--no-config", "--format", fmt, ".")
    assert_clean(code, out, err)
    own = len(out.splitlines())
    counts = {"github": {"ours_github": own}, "azure-devops": {"ours_azure": own}}
    assert injected(out, **counts.get(fmt, {})) == []
    assert [c.name for c in github_commands(err)][::2] == ["stop-commands"]
    assert injected(err, token=github_commands(err)[0].data) == []


def test_text_in_ci_adds_our_annotations_only(repo: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    _, annotations, _ = run("scan", "--no-config", "--format", "github", ".")
    _, logissues, _ = run("scan", "--no-config", "--format", "azure-devops", ".")
    code, out, err = run("scan", "--no-config", ".")
    assert_clean(code, out, err)
    commands = github_commands(out)
    token = commands[0].data
    assert [c.name for c in commands[:2]] == ["stop-commands", token] and len(token) == 32
    assert injected(out, token=token, ours_github=len(annotations.splitlines()),
                    ours_azure=len(logissues.splitlines())) == []
    assert len(commands) == 2 + len(annotations.splitlines())


def test_files_inventory_and_baseline(repo: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    args = ["scan", "--no-config", "--strict", "--fail-on", "never", "."]
    for fmt in SCAN_FORMATS:
        args += ["--format", fmt, "--output", str(tmp_path / f"out.{fmt}")]
    args += ["--write-baseline", str(tmp_path / "baseline.json")]
    code, out, err = run(*args)
    assert_clean(code, out, err)
    for path in sorted(tmp_path.iterdir()):
        text = path.read_bytes().decode("utf-8")
        assert_clean(code, text)
        if path.suffix in (".json", ".sarif"):
            json.loads(text)
        if path.suffix not in (".github", ".azure-devops"):
            assert injected(text) == [], path.name
    for fmt in ("json", "text"):
        code, out, err = run("inventory", "--no-config", "--format", fmt, ".")
        assert_clean(code, out, err)
        token = github_commands(out)[0].data if fmt == "text" else None
        assert injected(out, token=token) == []
