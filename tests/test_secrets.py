"""A planted secret never reaches any output, log or error message.

The same distinctive string is planted in every place a secret lives, in every format:
plan ``sensitive_values`` and ``before``, ``admin_password``, ``custom_data``,
``protected_settings``/``protectedSettings``, ARM ``securestring``/``secureObject``
parameters (defaults and parameter files), Bicep ``@secure()`` parameters (defaults and
``.bicepparam`` values) and sensitive Terraform variables. Then ``scan`` runs with every
output format and ``inventory`` with both, and an input error is made next to the secret.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from azbackup_policy.cli import SCAN_FORMATS, main

SECRET = "S3cr3t-PLANTED-9f2c"
ARM_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
PARAMS_SCHEMA = ("https://schema.management.azure.com/schemas/2019-04-01/"
                 "deploymentParameters.json#")
IMAGE = {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy",
         "sku": "22_04-lts-gen2", "version": "latest"}


def plan_json() -> str:
    vm_values = {
        "name": "vm-plan", "location": "westeurope", "resource_group_name": "rg",
        "size": "Standard_D2s_v5", "admin_username": "azureuser",
        "admin_password": SECRET, "custom_data": SECRET,
        "network_interface_ids": [], "tags": {"owner": SECRET},
        "os_disk": [{"caching": "ReadWrite", "storage_account_type": "Premium_LRS"}],
        "source_image_reference": [{k: v for k, v in IMAGE.items()}],
    }
    sensitive = {"admin_password": True, "custom_data": True, "tags": {"owner": True}}
    extension = {"name": "ext", "virtual_machine_id": "x",
                 "publisher": "Microsoft.Azure.Extensions", "type": "CustomScript",
                 "type_handler_version": "2.1",
                 "protected_settings": json.dumps({"commandToExecute": SECRET})}
    resources = [
        {"address": "azurerm_linux_virtual_machine.vm", "mode": "managed",
         "type": "azurerm_linux_virtual_machine", "name": "vm", "values": vm_values,
         "sensitive_values": sensitive},
        {"address": "azurerm_virtual_machine_extension.ext", "mode": "managed",
         "type": "azurerm_virtual_machine_extension", "name": "ext", "values": extension,
         "sensitive_values": {"protected_settings": True}},
    ]
    changes = [{"address": "azurerm_linux_virtual_machine.vm", "mode": "managed",
                "type": "azurerm_linux_virtual_machine", "name": "vm",
                "change": {"actions": ["delete", "create"], "before": vm_values,
                           "after": vm_values, "after_unknown": {},
                           "before_sensitive": sensitive, "after_sensitive": sensitive}}]
    configuration = {"root_module": {"variables": {"pw": {"default": SECRET,
                                                          "sensitive": True}}}}
    return json.dumps({"format_version": "1.2", "terraform_version": "1.11.4",
                       "variables": {"pw": {"value": SECRET}},
                       "planned_values": {"root_module": {"resources": resources}},
                       "resource_changes": changes, "configuration": configuration}, indent=2)


HCL = f'''\
variable "pw" {{
  type      = string
  sensitive = true
  default   = "{SECRET}"
}}

variable "settings" {{
  sensitive = true
  default   = {{ token = "{SECRET}" }}
}}

resource "azurerm_linux_virtual_machine" "vm" {{
  name                  = "vm-hcl"
  location              = "westeurope"
  resource_group_name   = "rg"
  size                  = "Standard_D2s_v5"
  admin_username        = "azureuser"
  admin_password        = var.pw
  custom_data           = base64encode("{SECRET}")
  network_interface_ids = []
  tags                  = {{ owner = var.pw }}
  os_disk {{
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }}
  source_image_reference {{
    publisher = "Canonical"
    offer     = "0001-com-ubuntu-server-jammy"
    sku       = "22_04-lts-gen2"
    version   = "latest"
  }}
}}

resource "azurerm_virtual_machine_extension" "ext" {{
  name                 = "ext"
  virtual_machine_id   = azurerm_linux_virtual_machine.vm.id
  publisher            = "Microsoft.Azure.Extensions"
  type                 = "CustomScript"
  type_handler_version = "2.1"
  protected_settings   = jsonencode(var.settings)
}}
'''


def arm_template() -> str:
    vm = {"type": "Microsoft.Compute/virtualMachines", "apiVersion": "2024-03-01",
          "name": "vm-arm", "location": "westeurope",
          "tags": {"owner": "[parameters('pw')]", "other": "[parameters('obj').token]"},
          "properties": {
              "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
              "osProfile": {"computerName": "vm", "adminUsername": "azureuser",
                            "adminPassword": SECRET, "customData": SECRET},
              "storageProfile": {"imageReference": IMAGE, "osDisk": {
                  "createOption": "FromImage",
                  "managedDisk": {"storageAccountType": "Premium_LRS"}}}},
          "resources": [{"type": "extensions", "apiVersion": "2024-03-01", "name": "ext",
                         "location": "westeurope",
                         "properties": {"publisher": "Microsoft.Azure.Extensions",
                                        "type": "CustomScript", "typeHandlerVersion": "2.1",
                                        "protectedSettings": {"commandToExecute": SECRET}}}]}
    return json.dumps({"$schema": ARM_SCHEMA, "contentVersion": "1.0.0.0", "parameters": {
        "pw": {"type": "securestring", "defaultValue": SECRET},
        "obj": {"type": "secureObject", "defaultValue": {"token": SECRET}},
        "fromFile": {"type": "securestring"}},
        "resources": [vm]}, indent=2)


def arm_parameters() -> str:
    return json.dumps({"$schema": PARAMS_SCHEMA, "contentVersion": "1.0.0.0",
                       "parameters": {"fromFile": {"value": SECRET}, "pw": {"value": SECRET}}})


BICEP = f'''\
@secure()
param pw string = '{SECRET}'

@secure()
param obj object = {{ token: '{SECRET}' }}

@secure()
param fromParams string

resource vm 'Microsoft.Compute/virtualMachines@2024-03-01' = {{
  name: 'vm-bicep'
  location: 'westeurope'
  tags: {{ owner: pw, other: obj.token, given: fromParams }}
  properties: {{
    hardwareProfile: {{ vmSize: 'Standard_D2s_v5' }}
    osProfile: {{
      computerName: 'vm'
      adminUsername: 'azureuser'
      adminPassword: '{SECRET}'
      customData: base64('{SECRET}')
    }}
    storageProfile: {{
      imageReference: {{
        publisher: 'Canonical'
        offer: '0001-com-ubuntu-server-jammy'
        sku: '22_04-lts-gen2'
        version: 'latest'
      }}
      osDisk: {{ createOption: 'FromImage', managedDisk: {{ storageAccountType: 'Premium_LRS' }} }}
    }}
  }}
}}

resource ext 'Microsoft.Compute/virtualMachines/extensions@2024-03-01' = {{
  parent: vm
  name: 'ext'
  location: 'westeurope'
  properties: {{
    publisher: 'Microsoft.Azure.Extensions'
    type: 'CustomScript'
    typeHandlerVersion: '2.1'
    protectedSettings: {{ commandToExecute: '{SECRET}' }}
  }}
}}
'''
BICEPPARAM = f"using './main.bicep'\n\nparam fromParams = '{SECRET}'\nparam pw = '{SECRET}'\n"

# Input errors right next to a secret, one per format.
BROKEN = {
    "broken-plan/tfplan.json": plan_json().replace(f'"{SECRET}"', f'"{SECRET}" ,,', 1),
    "broken-arm/azuredeploy.json": arm_template().replace(
        f'"adminPassword": "{SECRET}"', f'"adminPassword": "[concat(\'{SECRET}\']"'),
    "broken-arm2/azuredeploy.json": arm_template().replace(
        f'"defaultValue": "{SECRET}"', f'"defaultValue": "{SECRET}\x01"'),
    "broken-bicep/main.bicep": BICEP.replace(f"'{SECRET}'", f"'{SECRET}", 1),
    "broken-bicep2/main.bicep": BICEP.replace(f"adminPassword: '{SECRET}'",
                                              f"adminPassword: '{SECRET}' ))"),
    "broken-tf/main.tf": HCL.replace(f'default   = "{SECRET}"', f'default   = "{SECRET}" ))'),
    "broken-tf2/main.tf": HCL.replace(f'base64encode("{SECRET}")',
                                      f'"x" "{SECRET}"'),
}


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("secrets")
    files = {"plan/tfplan.json": plan_json(), "tf/main.tf": HCL,
             "arm/azuredeploy.json": arm_template(),
             "arm/azuredeploy.parameters.json": arm_parameters(),
             "bicep/main.bicep": BICEP, "bicep/main.bicepparam": BICEPPARAM, **BROKEN}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*args], stdout=out, stderr=err, environ={"GITHUB_ACTIONS": "true",
                                                          "TF_BUILD": "True"})
    return code, out.getvalue(), err.getvalue()


def test_the_secret_is_read_and_the_broken_files_fail(estate: Path) -> None:
    """Guard against a vacuous pass: every unit is scanned and every broken file fails."""
    code, out, err = run("inventory", "--no-config", "--format", "json", str(estate))
    data = json.loads(out)
    assert code == 2
    assert {Path(e["file"]).parent.name for e in data["errors"]} == {
        Path(name).parent.name for name in BROKEN}, err
    names = {vm["name"] for vm in data["vms"]}
    assert {"vm-plan", "vm-hcl", "vm-arm", "vm-bicep"} <= names, names


def test_no_output_contains_the_secret(estate: Path, tmp_path: Path) -> None:
    outputs: list[str] = []
    args = ["scan", "--no-config", "--strict", "--fail-on", "never", str(estate)]
    for fmt in SCAN_FORMATS:
        args += ["--format", fmt, "--output", str(tmp_path / f"out.{fmt}")]
    args += ["--format", "text", "--write-baseline", str(tmp_path / "baseline.json")]
    code, out, err = run(*args)
    assert code == 2, err
    outputs += [out, err]
    for fmt in ("json", "text"):
        code, out, err = run("inventory", "--no-config", "--format", fmt, str(estate))
        outputs += [out, err]
    files = sorted(tmp_path.iterdir())
    assert len(files) == len(SCAN_FORMATS) + 1
    outputs += [f.read_text(encoding="utf-8") for f in files]
    for index, text in enumerate(outputs):
        assert SECRET not in text, (index, text[max(0, text.find(SECRET) - 300):
                                            text.find(SECRET) + 100])
    assert SECRET[:10] not in "".join(outputs)


def test_input_errors_near_the_secret_do_not_quote_it(estate: Path) -> None:
    for name in BROKEN:
        code, out, err = run("scan", "--no-config", "--format", "json", str(estate / name))
        assert code == 2 and err.count(":") >= 3, (name, err)  # errors on stderr once
        assert SECRET not in out + err, (name, err)
