"""Suppressions and YAML rules through the real parsers, one format at a time.

Each input holds two unprotected VMs: ``vm-jump`` carries an inline suppression of the
coverage rule (plan JSON cannot: it is suppressed through the configuration), ``vm-web``
does not.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from azbackup_policy.cli import main

SUPPRESS = 'ignore[BKP-COV-001] reason="jump host, rebuilt nightly" until=2099-12-31'

HCL_VM = """\
resource "azurerm_linux_virtual_machine" "{key}" {{
  name                  = "vm-{key}"
  resource_group_name   = "rg-app"
  location              = "westeurope"
  size                  = "Standard_B2s"
  admin_username        = "azureuser"
  network_interface_ids = []

  os_disk {{
    caching              = "ReadWrite"
    storage_account_type = "Standard_LRS"
  }}

  source_image_reference {{
    publisher = "Canonical"
    offer     = "0001-com-ubuntu-server-jammy"
    sku       = "22_04-lts-gen2"
    version   = "latest"
  }}
}}
"""

BICEP_VM = """\
resource {key}Vm 'Microsoft.Compute/virtualMachines@2024-07-01' = {{
  name: 'vm-{key}'
  location: 'westeurope'
  properties: {{
    hardwareProfile: {{ vmSize: 'Standard_B2s' }}
    storageProfile: {{
      osDisk: {{ createOption: 'FromImage', managedDisk: {{ storageAccountType: 'Standard_LRS' }} }}
    }}
  }}
}}
"""


def arm_vm(key: str, metadata: dict[str, str] | None) -> dict[str, object]:
    vm: dict[str, object] = {
        "type": "Microsoft.Compute/virtualMachines", "apiVersion": "2024-07-01",
        "name": f"vm-{key}", "location": "westeurope",
        "properties": {
            "hardwareProfile": {"vmSize": "Standard_B2s"},
            "storageProfile": {"osDisk": {"createOption": "FromImage", "managedDisk": {
                "storageAccountType": "Standard_LRS"}}},
        },
    }
    if metadata:
        vm["metadata"] = metadata
    return vm


def plan_vm(key: str) -> tuple[dict[str, object], dict[str, object], dict[str, object]]:
    address = f"azurerm_linux_virtual_machine.{key}"
    values = {"name": f"vm-{key}", "resource_group_name": "rg-app", "location": "westeurope",
              "size": "Standard_B2s", "admin_username": "azureuser", "tags": None,
              "os_disk": [{"caching": "ReadWrite", "storage_account_type": "Standard_LRS",
                           "diff_disk_settings": [], "disk_size_gb": 30}]}
    common = {"address": address, "mode": "managed", "type": "azurerm_linux_virtual_machine",
              "name": key, "provider_name": "registry.terraform.io/hashicorp/azurerm"}
    planned = {**common, "schema_version": 0, "values": values, "sensitive_values": {}}
    change = {**common, "change": {"actions": ["create"], "before": None, "after": values,
                                   "after_unknown": {"id": True}, "before_sensitive": False,
                                   "after_sensitive": {}}}
    config = {"address": address, "mode": "managed", "type": "azurerm_linux_virtual_machine",
              "name": key, "provider_config_key": "azurerm", "expressions": {
                  "name": {"constant_value": f"vm-{key}"}, "size": {"constant_value":
                                                                    "Standard_B2s"}},
              "schema_version": 0}
    return planned, change, config


def write_inputs(fmt: str, root: Path) -> Path:
    folder = root / "infra"
    folder.mkdir()
    if fmt == "terraform-hcl":
        text = f"# azbackup-policy: {SUPPRESS}\n" + HCL_VM.format(key="jump") + "\n" + \
            HCL_VM.format(key="web")
        (folder / "main.tf").write_text(text, encoding="utf-8")
    elif fmt == "bicep":
        text = f"// azbackup-policy: {SUPPRESS}\n" + BICEP_VM.format(key="jump") + "\n" + \
            BICEP_VM.format(key="web")
        (folder / "main.bicep").write_text(text, encoding="utf-8")
    elif fmt == "arm":
        template = {
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/"
                       "deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "resources": [arm_vm("jump", {"azbackup-policy": SUPPRESS}), arm_vm("web", None)],
        }
        (folder / "azuredeploy.json").write_text(json.dumps(template, indent=2), "utf-8")
    else:
        parts = [plan_vm("jump"), plan_vm("web")]
        plan = {
            "format_version": "1.2", "terraform_version": "1.9.5",
            "planned_values": {"root_module": {"resources": [p[0] for p in parts]}},
            "resource_changes": [p[1] for p in parts],
            "configuration": {"root_module": {"resources": [p[2] for p in parts]}},
        }
        (folder / "tfplan.json").write_text(json.dumps(plan, indent=2), "utf-8")
        (root / ".azbackup-policy.yaml").write_text(
            "suppressions:\n  - rule: BKP-COV-001\n"
            "    address: azurerm_linux_virtual_machine.jump\n"
            "    reason: jump host, rebuilt nightly\n    until: 2099-12-31\n", "utf-8")
    return folder


def scan_json(root: Path, *argv: str) -> tuple[int, dict[str, object], str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["scan", "infra", "--format", "json", *argv], stdout=out, stderr=err,
                environ={})
    return code, json.loads(out.getvalue()), err.getvalue()


FORMATS = ["terraform-hcl", "terraform-plan", "arm", "bicep"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_suppression_through_the_real_parser(fmt: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    write_inputs(fmt, tmp_path)
    monkeypatch.chdir(tmp_path)
    code, data, err = scan_json(tmp_path, "--select", "BKP-COV-001")
    assert code == 1, err
    state = {f["vm"]: f["suppression"] for f in data["findings"]}  # type: ignore[union-attr]
    assert state == {
        "vm-jump": {"reason": "jump host, rebuilt nightly", "until": "2099-12-31",
                    "source": "config" if fmt == "terraform-plan" else "inline"},
        "vm-web": None,
    }
    assert data["warnings"] == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_yaml_rule_through_the_real_parser(fmt: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    write_inputs(fmt, tmp_path)
    (tmp_path / "rules.yaml").write_text("""\
rules:
  - id: ACME-SIZE-001
    name: no-burstable-sizes
    area: organisation
    severity: error
    summary: VMs do not use burstable B-series sizes.
    help: Burstable sizes run out of credits during backup snapshots.
    target: vm
    condition:
      all:
        - {field: size, in: [Standard_B1s, Standard_B2s]}
        - {field: name, equals: vm-web}
    message: "VM {name} uses the burstable size {size}"
""", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, data, err = scan_json(tmp_path, "--no-config", "--rules", "rules.yaml",
                                "--select", "ACME-SIZE-001")
    assert code == 1, err
    messages = [f["message"] for f in data["findings"]]  # type: ignore[union-attr]
    assert messages == ["VM vm-web uses the burstable size Standard_B2s"]
