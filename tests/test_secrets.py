"""A planted secret never reaches any output, log or error message.

The same distinctive string is planted in every place a secret lives, in every format:
plan and state ``sensitive_values`` and ``before``, ``admin_password``, ``custom_data``,
``protected_settings``/``protectedSettings``, ARM ``securestring``/``secureObject``
parameters (defaults and parameter files, directly or through ``$ref`` to a definition,
whole or as an object property or array item, and Key Vault references), what-if
results, Bicep ``@secure()`` parameters, user-defined types (also through an import
namespace and a type member) and object properties (defaults and ``.bicepparam``
values) and sensitive Terraform variables and module outputs, also where they flow into
``for_each`` keys, ``count``, addresses and names. Then ``scan`` runs with every output
format and ``inventory`` with both, and an input error is made next to the secret.
"""

from __future__ import annotations

import base64
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


def state_json() -> str:
    """The plan's resources as deployed: ``terraform show -json`` of a state."""
    plan = json.loads(plan_json())
    return json.dumps({"format_version": "1.0", "terraform_version": "1.11.4",
                       "values": {"root_module": plan["planned_values"]["root_module"]}},
                      indent=2)


def whatif_json() -> str:
    """An ``az deployment group what-if --no-pretty-print`` result with secrets in it."""
    scope = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
             "Microsoft.Compute/virtualMachines/vm-whatif")
    after = {"apiVersion": "2024-03-01", "id": scope, "name": "vm-whatif",
             "type": "Microsoft.Compute/virtualMachines", "location": "westeurope",
             "properties": {"hardwareProfile": {"vmSize": "Standard_D2s_v5"},
                            "osProfile": {"computerName": "vm", "adminUsername": "azureuser",
                                          "adminPassword": SECRET, "customData": SECRET},
                            "storageProfile": {"imageReference": IMAGE}}}
    extension = {"apiVersion": "2024-03-01", "id": scope + "/extensions/ext", "name": "ext",
                 "type": "Microsoft.Compute/virtualMachines/extensions",
                 "location": "westeurope",
                 "properties": {"publisher": "Microsoft.Azure.Extensions",
                                "type": "CustomScript", "typeHandlerVersion": "2.1",
                                "protectedSettings": {"commandToExecute": SECRET}}}
    changes = [{"after": item, "before": None, "changeType": "Create", "delta": None,
                "resourceId": item["id"], "unsupportedReason": None}
               for item in (after, extension)]
    return json.dumps({"changes": changes, "error": None, "status": "Succeeded"}, indent=2)


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

# Secrets by type: Bicep @secure() on a user-defined type and on an object property,
# with .bicepparam values for both.
BICEP_TYPES = f'''\
import * as shared from 'types.bicep'

@secure()
type secretString = string

type credentials = {{
  user: string
  @secure()
  password: string
  inner: {{
    @secure()
    key: string
  }}
}}

param viaNamespace shared.sharedCredentials = {{ user: 'u', password: '{SECRET}' }}
param member credentials.inner = {{ key: '{SECRET}' }}

param pw secretString = '{SECRET}'
param creds credentials = {{ user: 'azureuser', password: '{SECRET}', inner: {{ key: 'k' }} }}
param fromParams secretString
param credsFromParams credentials

resource vm 'Microsoft.Compute/virtualMachines@2024-03-01' = {{
  name: 'vm-types-${{pw}}'
  location: 'westeurope'
  tags: {{
    a: creds.password, b: fromParams, c: credsFromParams.password, d: string(creds)
    e: viaNamespace.password, f: member.key
  }}
  properties: {{
    hardwareProfile: {{ vmSize: 'Standard_D2s_v5' }}
  }}
}}

resource vm2 'Microsoft.Compute/virtualMachines@2024-03-01' = {{
  name: 'vm-types2-${{creds.password}}'
  location: 'westeurope'
  properties: {{
    hardwareProfile: {{ vmSize: 'Standard_D2s_v5' }}
  }}
}}
'''
BICEPPARAM_TYPES = (f"using './main.bicep'\n\nparam fromParams = '{SECRET}'\n"
                    f"param credsFromParams = {{ user: 'x', password: '{SECRET}', "
                    "inner: { key: 'k' } }\n")
BICEP_SHARED_TYPES = """\
@export()
type sharedCredentials = {
  user: string
  @secure()
  password: string
}
"""


def arm_v2_template() -> str:
    """languageVersion 2.0: parameters typed through $ref to secure definitions."""
    def vm(name: str, tags: dict[str, str]) -> dict[str, object]:
        return {"type": "Microsoft.Compute/virtualMachines", "apiVersion": "2024-03-01",
                "name": name, "location": "westeurope", "tags": tags,
                "properties": {"hardwareProfile": {"vmSize": "Standard_D2s_v5"}}}

    definitions = {
        "secretString": {"type": "securestring"},
        "alias": {"$ref": "#/definitions/secretString"},
        "credentials": {"type": "object", "properties": {
            "user": {"type": "string"}, "password": {"$ref": "#/definitions/alias"}}},
        "credentialList": {"type": "array", "items": {"$ref": "#/definitions/credentials"}},
        "loop": {"type": "object", "properties": {"next": {"$ref": "#/definitions/loop"}}},
    }
    parameters = {
        "pw": {"$ref": "#/definitions/secretString", "defaultValue": SECRET},
        "aliased": {"$ref": "#/definitions/alias", "defaultValue": SECRET},
        "creds": {"$ref": "#/definitions/credentials",
                  "defaultValue": {"user": "azureuser", "password": SECRET}},
        "list": {"$ref": "#/definitions/credentialList",
                 "defaultValue": [{"user": "a", "password": SECRET}]},
        "loop": {"$ref": "#/definitions/loop", "defaultValue": {"next": {}}},
        "fromFile": {"$ref": "#/definitions/secretString"},
        "credsFromFile": {"$ref": "#/definitions/credentials"},
        "fromVault": {"type": "string"},
    }
    resources = {
        "vm": vm("[format('vm-v2-{0}', parameters('pw'))]", {
            "a": "[parameters('aliased')]", "b": "[parameters('creds').password]",
            "c": "[parameters('list')[0].password]", "d": "[parameters('fromFile')]",
            "e": "[parameters('credsFromFile').password]", "f": "[parameters('fromVault')]",
            "g": "[string(parameters('creds'))]"}),
        "vm2": vm("[concat('vm-v2b-', parameters('creds').password)]", {}),
    }
    return json.dumps({"$schema": ARM_SCHEMA, "languageVersion": "2.0",
                       "contentVersion": "1.0.0.0", "definitions": definitions,
                       "parameters": parameters, "resources": resources}, indent=2)


def arm_v2_parameters() -> str:
    vault = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
             "Microsoft.KeyVault/vaults/kv")
    return json.dumps({"$schema": PARAMS_SCHEMA, "contentVersion": "1.0.0.0", "parameters": {
        "fromFile": {"value": SECRET},
        "credsFromFile": {"value": {"user": "azureuser", "password": SECRET}},
        "fromVault": {"reference": {"keyVault": {"id": vault}, "secretName": "admin"}}}})


# Terraform: sensitive variables and a sensitive module output flowing into for_each
# keys, count, addresses and names.
HCL_FLOW = f'''\
variable "names" {{
  type      = set(string)
  sensitive = true
  default   = ["{SECRET}"]
}}

variable "pw" {{
  type      = string
  sensitive = true
  default   = "{SECRET}"
}}

variable "how_many" {{
  type      = number
  sensitive = true
  default   = 2
}}

module "secrets" {{
  source = "./modules/secrets"
}}

resource "azurerm_linux_virtual_machine" "keyed" {{
  for_each              = var.names
  name                  = each.key
  location              = "westeurope"
  resource_group_name   = "rg"
  size                  = "Standard_D2s_v5"
  admin_username        = "azureuser"
  network_interface_ids = []
  os_disk {{
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }}
}}

resource "azurerm_linux_virtual_machine" "mixed" {{
  for_each              = toset([var.pw, module.secrets.token])
  name                  = "vm-${{each.value}}"
  location              = "westeurope"
  resource_group_name   = "rg"
  size                  = "Standard_D2s_v5"
  admin_username        = "azureuser"
  network_interface_ids = []
  os_disk {{
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }}
}}

resource "azurerm_linux_virtual_machine" "counted" {{
  count                 = var.how_many
  name                  = "vm-${{count.index}}-${{module.secrets.token}}"
  location              = "westeurope"
  resource_group_name   = "rg"
  size                  = "Standard_D2s_v5"
  admin_username        = "azureuser"
  network_interface_ids = []
  tags                  = {{ token = module.secrets.token }}
  os_disk {{
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }}
}}
'''
HCL_SECRET_MODULE = f'''\
locals {{
  token = "{SECRET}"
}}

output "token" {{
  value     = local.token
  sensitive = true
}}
'''

# Custom data read for the Linux rules (which then fire) in every Terraform idiom: a file
# beside the module, a template with a secret variable, a cloudinit_config part, a heredoc.
CLOUD_INIT = (f"#cloud-config\nruncmd:\n  - echo {SECRET} > /etc/token\n"
              "  - zpool create data /dev/sdc\n")
HCL_CUSTOM_DATA = """\
resource "azurerm_recovery_services_vault" "rsv" {
  name                = "rsv"
  location            = "westeurope"
  resource_group_name = "rg"
  sku                 = "Standard"
}

resource "azurerm_backup_policy_vm" "daily" {
  name                = "daily"
  resource_group_name = "rg"
  recovery_vault_name = azurerm_recovery_services_vault.rsv.name
  backup {
    frequency = "Daily"
    time      = "23:00"
  }
  retention_daily {
    count = 30
  }
}

locals {
  token = "PLANTED"
  sources = {
    file     = filebase64("${path.module}/cloud-init.yaml")
    template = base64encode(templatefile("${path.module}/init.tftpl", { token = local.token }))
    config   = data.cloudinit_config.init.rendered
    heredoc  = base64gzip(<<-EOT
      #cloud-config
      runcmd:
        - echo ${local.token}
        - mount -t nfs4 nfs.example.com:/x /mnt/x
    EOT
    )
  }
}

data "cloudinit_config" "init" {
  part {
    content_type = "text/x-shellscript"
    content      = "#!/bin/sh\\ndocker login -p ${local.token}\\napt-get install -y docker-ce\\n"
  }
}

resource "azurerm_linux_virtual_machine" "cd" {
  for_each              = local.sources
  name                  = "vm-cd-${each.key}"
  location              = "westeurope"
  resource_group_name   = "rg"
  size                  = "Standard_D2s_v5"
  admin_username        = "azureuser"
  network_interface_ids = []
  custom_data           = each.value
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

resource "azurerm_backup_protected_vm" "cd" {
  for_each            = azurerm_linux_virtual_machine.cd
  resource_group_name = "rg"
  recovery_vault_name = azurerm_recovery_services_vault.rsv.name
  source_vm_id        = each.value.id
  backup_policy_id    = azurerm_backup_policy_vm.daily.id
}
""".replace("PLANTED", SECRET)
CUSTOM_DATA_FILES = {"tf-custom-data/main.tf": HCL_CUSTOM_DATA,
                     "tf-custom-data/cloud-init.yaml": CLOUD_INIT,
                     "tf-custom-data/init.tftpl": CLOUD_INIT.replace(SECRET, "${token}")}

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
             "bicep/main.bicep": BICEP, "bicep/main.bicepparam": BICEPPARAM,
             "bicep-types/main.bicep": BICEP_TYPES,
             "bicep-types/main.bicepparam": BICEPPARAM_TYPES,
             "bicep-types/types.bicep": BICEP_SHARED_TYPES,
             "arm-v2/azuredeploy.json": arm_v2_template(),
             "arm-v2/azuredeploy.parameters.json": arm_v2_parameters(),
             "state/tfstate.json": state_json(), "whatif/whatif.json": whatif_json(),
             "tf-flow/main.tf": HCL_FLOW, "tf-flow/modules/secrets/main.tf": HCL_SECRET_MODULE,
             **CUSTOM_DATA_FILES, **BROKEN}
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
    names = {vm["name"] for vm in data["vms"] if isinstance(vm["name"], str)}
    assert {"vm-plan", "vm-hcl", "vm-arm", "vm-bicep"} <= names, names
    addresses = {vm["address"] for vm in data["vms"]}
    for unit in ("keyed", "mixed", "counted"):  # the key is redacted, the VM is there
        assert f'azurerm_linux_virtual_machine.{unit}["(sensitive)"]' in addresses, addresses
    files = [vm["location"]["file"] for vm in data["vms"]]
    for folder in ("bicep-types", "arm-v2"):
        assert sum(Path(f).parent.name == folder for f in files) == 2, files
    for folder in ("state", "whatif"):
        assert sum(Path(f).parent.name == folder for f in files) == 1, files


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
    encoded = base64.b64encode(CLOUD_INIT.encode()).decode()
    assert not any(encoded[8:40] in text for text in outputs)


def test_custom_data_rules_fire_on_secret_custom_data(estate: Path) -> None:
    """Guard against a vacuous pass: the custom data holding the secret was read."""
    code, out, err = run("scan", "--no-config", "--format", "json", "--fail-on", "never",
                         str(estate / "tf-custom-data"))
    assert code == 0, err
    found = {(f["rule_id"], f["vm"]) for f in json.loads(out)["findings"]}
    assert {("BKP-LNX-006", f"vm-cd-{key}") for key in ("file", "template")} | {
        ("BKP-LNX-004", "vm-cd-config"), ("BKP-LNX-005", "vm-cd-heredoc")} <= found, found


def test_input_errors_near_the_secret_do_not_quote_it(estate: Path) -> None:
    for name in BROKEN:
        code, out, err = run("scan", "--no-config", "--format", "json", str(estate / name))
        assert code == 2 and err.count(":") >= 3, (name, err)  # errors on stderr once
        assert SECRET not in out + err, (name, err)


def test_secure_parts_follow_refs_items_and_cycles() -> None:
    from azbackup_policy.parsers.arm.evaluator import SECURE
    from azbackup_policy.parsers.arm.secure import has_secure, redact

    definitions = {
        "s": {"type": "secureString"}, "alias": {"$ref": "#/definitions/s"},
        "obj": {"type": "object", "properties": {"Password": {"$ref": "#/definitions/alias"}},
                "additionalProperties": {"type": "string"}},
        "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "secureObject"}],
                 "items": False},
        "self": {"type": "object", "properties": {"next": {"$ref": "#/definitions/self"}}},
    }
    # 60 definitions, each two properties of the next: looked at once each, not 2**60 times.
    for level in range(60):
        definitions[f"d{level}"] = {"type": "object", "properties": {
            "a": {"$ref": f"#/definitions/d{level + 1}"},
            "b": {"$ref": f"#/definitions/d{level + 1}"}}}
    definitions["d60"] = {"type": "string"}
    ref = {"$ref": "#/definitions/obj"}
    assert redact({"password": SECRET, "user": "u"}, ref, definitions) == {
        "password": SECURE, "user": "u"}
    assert redact("[createObject('password', 'x')]", ref, definitions) is SECURE
    assert redact(["a", {"k": SECRET}], {"$ref": "#/definitions/pair"}, definitions) == [
        "a", SECURE]
    assert redact({"next": {"next": {}}}, {"$ref": "#/definitions/self"}, definitions) == {
        "next": {"next": {}}}
    assert not has_secure({"$ref": "#/definitions/d0"}, definitions)
    assert not has_secure({"$ref": "#/definitions/missing"}, definitions)
    assert redact(SECRET, {"$ref": "#/definitions/alias"}, definitions) is SECURE
    # Bicep type members and import namespaces, as pointers into the definitions.
    assert redact(SECRET, {"$ref": "#/definitions/obj/properties/password"},
                  definitions) is SECURE
    assert redact(SECRET, {"$ref": "#/definitions/obj/additionalProperties"},
                  definitions) == SECRET
    assert redact({"k": 1}, {"$ref": "#/definitions/pair/prefixItems"}, definitions) == {"k": 1}
    assert redact({"password": SECRET}, {"$ref": "#/definitions/ns/properties/obj"},
                  definitions) == {"password": SECURE}
