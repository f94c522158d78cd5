"""Generate synthetic estates of N VMs in all four formats, for the benchmarks.

Each VM has a NIC and a managed data disk, and nine VMs in ten a protected item (the
tenth gives a BKP-COV-001 finding, so the reporters have work too); two vaults and
twenty policies serve them all. Resources are written out one by one (no count/copy), so
the size of the input grows with N as it does in real large plans.

    python benchmarks/generate.py 1000 benchmarks/out/n1000
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg-bench"
LOCATION = "westeurope"
VAULTS = 2
POLICIES_PER_VAULT = 10
PROVIDER = "registry.terraform.io/hashicorp/azurerm"
ARM_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
ITEM_TYPE = "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems"
POLICY_TYPE = "Microsoft.RecoveryServices/vaults/backupPolicies"
RUN_TIME = "2026-01-01T23:00:00Z"
UNPROTECTED_EVERY = 10



def _vault(v: int) -> str:
    return f"rsv-bench-{v}"


def _policy(v: int, p: int) -> str:
    return f"pol-bench-{v}-{p}"


def _container(i: int) -> str:
    return f"iaasvmcontainer;iaasvmcontainerv2;{RG};vm-{i}"


def _assignment(i: int) -> tuple[int, int]:
    return i % VAULTS, (i // VAULTS) % POLICIES_PER_VAULT


def protected(i: int) -> bool:
    """Every tenth VM has no protected item, so every scan reports some findings."""
    return i % UNPROTECTED_EVERY != UNPROTECTED_EVERY - 1


# ---------------------------------------------------------------- plan JSON

def _plan_vm(i: int) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(type, name, values, after_unknown) of one VM's resources."""
    v = _assignment(i)[0]
    vm_values = {
        "name": f"vm-{i}", "resource_group_name": RG, "location": LOCATION,
        "size": "Standard_D2s_v5", "admin_username": "azureuser",
        "admin_password": None, "provision_vm_agent": True, "allow_extension_operations": True,
        "secure_boot_enabled": None, "vtpm_enabled": None, "priority": "Regular",
        "encryption_at_host_enabled": None, "zone": None, "tags": {"env": "bench"},
        "os_disk": [{"caching": "ReadWrite", "storage_account_type": "Premium_LRS",
                     "diff_disk_settings": [], "disk_size_gb": 64,
                     "write_accelerator_enabled": False,
                     "disk_encryption_set_id": None, "security_encryption_type": None}],
        "source_image_reference": [{"publisher": "Canonical",
                                    "offer": "0001-com-ubuntu-server-jammy",
                                    "sku": "22_04-lts-gen2", "version": "latest"}],
        "admin_ssh_key": [{"username": "azureuser", "public_key": "ssh-ed25519 AAAA bench"}],
    }
    vm_unknown = {"id": True, "network_interface_ids": [True], "private_ip_address": True,
                  "os_disk": [{"name": True}], "virtual_machine_id": True}
    nic_values = {"name": f"nic-{i}", "resource_group_name": RG, "location": LOCATION,
                  "accelerated_networking_enabled": False,
                  "ip_configuration": [{"name": "internal", "private_ip_address_allocation":
                                        "Dynamic", "private_ip_address_version": "IPv4",
                                        "public_ip_address_id": None}]}
    disk_values = {"name": f"disk-{i}", "resource_group_name": RG, "location": LOCATION,
                   "storage_account_type": "Premium_LRS", "create_option": "Empty",
                   "disk_size_gb": 128, "max_shares": None, "zone": None}
    attach_values = {"lun": 0, "caching": "ReadOnly", "create_option": "Attach",
                     "write_accelerator_enabled": False}
    item_values = {"resource_group_name": RG, "recovery_vault_name": _vault(v),
                   "exclude_disk_luns": None, "include_disk_luns": None}
    resources = [
        ("azurerm_linux_virtual_machine", f"vm{i}", vm_values, vm_unknown),
        ("azurerm_network_interface", f"nic{i}", nic_values, {"id": True}),
        ("azurerm_managed_disk", f"disk{i}", disk_values, {"id": True}),
        ("azurerm_virtual_machine_data_disk_attachment", f"attach{i}", attach_values,
         {"id": True, "managed_disk_id": True, "virtual_machine_id": True}),
        ("azurerm_backup_protected_vm", f"item{i}", item_values,
         {"id": True, "source_vm_id": True, "backup_policy_id": True,
          "protection_state": True}),
    ]
    return resources if protected(i) else resources[:-1]


def _plan_expressions(type_: str, i: int) -> dict[str, Any]:
    v, p = _assignment(i)
    if type_ == "azurerm_linux_virtual_machine":
        return {"name": {"constant_value": f"vm-{i}"},
                "network_interface_ids": {"references": [
                    f"azurerm_network_interface.nic{i}.id", f"azurerm_network_interface.nic{i}"]}}
    if type_ == "azurerm_virtual_machine_data_disk_attachment":
        return {"managed_disk_id": {"references": [f"azurerm_managed_disk.disk{i}.id",
                                                    f"azurerm_managed_disk.disk{i}"]},
                "virtual_machine_id": {"references": [
                    f"azurerm_linux_virtual_machine.vm{i}.id",
                    f"azurerm_linux_virtual_machine.vm{i}"]},
                "lun": {"constant_value": 0}}
    if type_ == "azurerm_backup_protected_vm":
        return {"source_vm_id": {"references": [f"azurerm_linux_virtual_machine.vm{i}.id",
                                                 f"azurerm_linux_virtual_machine.vm{i}"]},
                "backup_policy_id": {"references": [
                    f"azurerm_backup_policy_vm.pol{v}_{p}.id",
                    f"azurerm_backup_policy_vm.pol{v}_{p}"]},
                "recovery_vault_name": {"references": [
                    f"azurerm_recovery_services_vault.rsv{v}.name",
                    f"azurerm_recovery_services_vault.rsv{v}"]}}
    return {"name": {"constant_value": f"{type_}-{i}"}}


def _shared_plan_resources() -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    out = []
    for v in range(VAULTS):
        out.append(("azurerm_recovery_services_vault", f"rsv{v}",
                    {"name": _vault(v), "resource_group_name": RG, "location": LOCATION,
                     "sku": "Standard", "storage_mode_type": "GeoRedundant",
                     "cross_region_restore_enabled": True, "public_network_access_enabled": True,
                     "encryption": [], "tags": None}, {"id": True, "immutability": True}))
        for p in range(POLICIES_PER_VAULT):
            out.append(("azurerm_backup_policy_vm", f"pol{v}_{p}",
                        {"name": _policy(v, p), "resource_group_name": RG,
                         "recovery_vault_name": _vault(v), "policy_type": "V2",
                         "timezone": "UTC", "instant_restore_retention_days": 7,
                         "backup": [{"frequency": "Daily", "time": "23:00",
                                     "hour_interval": None, "hour_duration": None,
                                     "weekdays": None}],
                         "retention_daily": [{"count": 30}], "retention_weekly": [],
                         "retention_monthly": [], "retention_yearly": [],
                         "tiering_policy": [], "instant_restore_resource_group": []},
                        {"id": True}))
    return out


def plan_json(n: int) -> dict[str, Any]:
    resources = [(0, *r) for r in _shared_plan_resources()]
    for i in range(n):
        resources.extend((i, *r) for r in _plan_vm(i))
    planned, changes, config = [], [], []
    for index, type_, name, values, unknown in resources:
        address = f"{type_}.{name}"
        planned.append({"address": address, "mode": "managed", "type": type_, "name": name,
                        "provider_name": PROVIDER,
                        "schema_version": 0, "values": values, "sensitive_values": {}})
        changes.append({"address": address, "mode": "managed", "type": type_, "name": name,
                        "provider_name": PROVIDER,
                        "change": {"actions": ["create"], "before": None, "after": values,
                                   "after_unknown": unknown, "before_sensitive": False,
                                   "after_sensitive": {}}})
        config.append({"address": address, "mode": "managed", "type": type_, "name": name,
                       "provider_config_key": "azurerm", "schema_version": 0,
                       "expressions": _plan_expressions(type_, index)})
    return {
        "format_version": "1.2", "terraform_version": "1.9.8", "variables": {},
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"provider_config": {"azurerm": {"name": "azurerm",
                                                          "full_name": PROVIDER}},
                          "root_module": {"resources": config}},
        "timestamp": "2026-11-27T12:00:00Z", "applyable": True, "complete": True,
        "errored": False,
    }


# ---------------------------------------------------------------- HCL

def hcl(n: int) -> str:
    parts = []
    for v in range(VAULTS):
        parts.append(f'''resource "azurerm_recovery_services_vault" "rsv{v}" {{
  name                = "{_vault(v)}"
  location            = "{LOCATION}"
  resource_group_name = "{RG}"
  sku                 = "Standard"
  storage_mode_type   = "GeoRedundant"
  cross_region_restore_enabled = true
}}
''')
        for p in range(POLICIES_PER_VAULT):
            parts.append(f'''resource "azurerm_backup_policy_vm" "pol{v}_{p}" {{
  name                = "{_policy(v, p)}"
  resource_group_name = "{RG}"
  recovery_vault_name = azurerm_recovery_services_vault.rsv{v}.name
  policy_type         = "V2"
  instant_restore_retention_days = 7
  backup {{
    frequency = "Daily"
    time      = "23:00"
  }}
  retention_daily {{
    count = 30
  }}
}}
''')
    for i in range(n):
        v, p = _assignment(i)
        parts.append(f'''resource "azurerm_network_interface" "nic{i}" {{
  name                = "nic-{i}"
  location            = "{LOCATION}"
  resource_group_name = "{RG}"
  ip_configuration {{
    name                          = "internal"
    private_ip_address_allocation = "Dynamic"
  }}
}}

resource "azurerm_linux_virtual_machine" "vm{i}" {{
  name                  = "vm-{i}"
  resource_group_name   = "{RG}"
  location              = "{LOCATION}"
  size                  = "Standard_D2s_v5"
  admin_username        = "azureuser"
  network_interface_ids = [azurerm_network_interface.nic{i}.id]
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

resource "azurerm_managed_disk" "disk{i}" {{
  name                 = "disk-{i}"
  location             = "{LOCATION}"
  resource_group_name  = "{RG}"
  storage_account_type = "Premium_LRS"
  create_option        = "Empty"
  disk_size_gb         = 128
}}

resource "azurerm_virtual_machine_data_disk_attachment" "attach{i}" {{
  managed_disk_id    = azurerm_managed_disk.disk{i}.id
  virtual_machine_id = azurerm_linux_virtual_machine.vm{i}.id
  lun                = 0
  caching            = "ReadOnly"
}}
''')
        if not protected(i):
            continue
        parts.append(f'''resource "azurerm_backup_protected_vm" "item{i}" {{
  resource_group_name = "{RG}"
  recovery_vault_name = azurerm_recovery_services_vault.rsv{v}.name
  source_vm_id        = azurerm_linux_virtual_machine.vm{i}.id
  backup_policy_id    = azurerm_backup_policy_vm.pol{v}_{p}.id
}}
''')
    return "\n".join(parts)


# ---------------------------------------------------------------- ARM

def _arm_id(type_: str, name: str) -> str:
    return f"[resourceId('Microsoft.{type_}', '{name}')]"


def _arm_vm_resources(i: int) -> list[dict[str, Any]]:
    v, p = _assignment(i)
    vm_id = f"[resourceId('Microsoft.Compute/virtualMachines', 'vm-{i}')]"
    resources = [
        {"type": "Microsoft.Network/networkInterfaces", "apiVersion": "2023-09-01",
         "name": f"nic-{i}", "location": LOCATION,
         "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {
             "privateIPAllocationMethod": "Dynamic"}}]}},
        {"type": "Microsoft.Compute/disks", "apiVersion": "2023-04-02", "name": f"disk-{i}",
         "location": LOCATION, "sku": {"name": "Premium_LRS"},
         "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 128}},
        {"type": "Microsoft.Compute/virtualMachines", "apiVersion": "2024-03-01",
         "name": f"vm-{i}", "location": LOCATION, "properties": {
             "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
             "storageProfile": {
                 "imageReference": {"publisher": "Canonical",
                                    "offer": "0001-com-ubuntu-server-jammy",
                                    "sku": "22_04-lts-gen2", "version": "latest"},
                 "osDisk": {"createOption": "FromImage", "caching": "ReadWrite",
                            "managedDisk": {"storageAccountType": "Premium_LRS"}},
                 "dataDisks": [{"lun": 0, "createOption": "Attach", "caching": "ReadOnly",
                                "managedDisk": {"id": _arm_id("Compute/disks", f"disk-{i}")}}]},
             "networkProfile": {"networkInterfaces": [
                 {"id": _arm_id("Network/networkInterfaces", f"nic-{i}")}]}}},
        {"type": ITEM_TYPE, "apiVersion": "2024-04-01",
         "name": f"{_vault(v)}/Azure/{_container(i)}/vm;iaasvmcontainerv2;{RG};vm-{i}",
         "properties": {"protectedItemType": "Microsoft.Compute/virtualMachines",
                        "sourceResourceId": vm_id,
                        "policyId": f"[resourceId('{POLICY_TYPE}', "
                                    f"'{_vault(v)}', '{_policy(v, p)}')]"}},
    ]
    return resources if protected(i) else resources[:-1]


def arm(n: int) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for v in range(VAULTS):
        resources.append({"type": "Microsoft.RecoveryServices/vaults", "apiVersion": "2024-04-01",
                          "name": _vault(v), "location": LOCATION,
                          "sku": {"name": "RS0", "tier": "Standard"}, "properties": {}})
        for p in range(POLICIES_PER_VAULT):
            resources.append({
                "type": POLICY_TYPE,
                "apiVersion": "2024-04-01", "name": f"{_vault(v)}/{_policy(v, p)}",
                "properties": {
                    "backupManagementType": "AzureIaasVM", "policyType": "V2",
                    "instantRpRetentionRangeInDays": 7, "timeZone": "UTC",
                    "schedulePolicy": {"schedulePolicyType": "SimpleSchedulePolicyV2",
                                       "scheduleRunFrequency": "Daily",
                                       "dailySchedule": {"scheduleRunTimes": [RUN_TIME]}},
                    "retentionPolicy": {"retentionPolicyType": "LongTermRetentionPolicy",
                                        "dailySchedule": {
                                            "retentionTimes": [RUN_TIME],
                                            "retentionDuration": {"count": 30,
                                                                  "durationType": "Days"}}}}})
    for i in range(n):
        resources.extend(_arm_vm_resources(i))
    return {"$schema": ARM_SCHEMA,
            "contentVersion": "1.0.0.0", "parameters": {}, "variables": {},
            "resources": resources}


# ---------------------------------------------------------------- ARM what-if

_EVALUATED = re.compile(r"^\[resourceId\('([^']*)', '([^']*)'(?:, '([^']*)')?\)\]$")


def _evaluated(value: Any) -> Any:
    """A literal template value with its ``resourceId(...)`` calls written out."""
    if isinstance(value, dict):
        return {k: _evaluated(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_evaluated(v) for v in value]
    match = _EVALUATED.match(value) if isinstance(value, str) else None
    if match is None:
        return value
    kind, *names = (g for g in match.groups() if g is not None)
    return _whatif_id(kind, tuple(names))


def _whatif_id(kind: str, names: tuple[str, ...]) -> str:
    namespace, *types = kind.split("/")
    path = "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=True))
    return f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{namespace}/{path}"


def whatif(n: int) -> dict[str, Any]:
    """What ``az deployment group what-if --no-pretty-print`` prints for :func:`arm`."""
    changes = []
    for declared in arm(n)["resources"]:
        names = tuple(declared["name"].split("/"))
        ident = _whatif_id(declared["type"], names)
        body = {k: _evaluated(v) for k, v in declared.items() if k not in ("name", "type")}
        changes.append({"after": {"id": ident, "name": names[-1], "type": declared["type"],
                                  **body},
                        "before": None, "changeType": "Create", "delta": None,
                        "resourceId": ident, "unsupportedReason": None})
    return {"changes": changes, "error": None, "potentialChanges": None,
            "status": "Succeeded"}


# ---------------------------------------------------------------- Bicep

def bicep(n: int) -> str:
    parts = []
    for v in range(VAULTS):
        parts.append(f'''resource rsv{v} 'Microsoft.RecoveryServices/vaults@2024-04-01' = {{
  name: '{_vault(v)}'
  location: '{LOCATION}'
  sku: {{
    name: 'RS0'
    tier: 'Standard'
  }}
  properties: {{}}
}}
''')
        for p in range(POLICIES_PER_VAULT):
            parts.append(f'''resource pol{v}_{p} '{POLICY_TYPE}@2024-04-01' = {{
  parent: rsv{v}
  name: '{_policy(v, p)}'
  properties: {{
    backupManagementType: 'AzureIaasVM'
    policyType: 'V2'
    instantRpRetentionRangeInDays: 7
    timeZone: 'UTC'
    schedulePolicy: {{
      schedulePolicyType: 'SimpleSchedulePolicyV2'
      scheduleRunFrequency: 'Daily'
      dailySchedule: {{
        scheduleRunTimes: [
          '2026-01-01T23:00:00Z'
        ]
      }}
    }}
    retentionPolicy: {{
      retentionPolicyType: 'LongTermRetentionPolicy'
      dailySchedule: {{
        retentionTimes: [
          '2026-01-01T23:00:00Z'
        ]
        retentionDuration: {{
          count: 30
          durationType: 'Days'
        }}
      }}
    }}
  }}
}}
''')
    for i in range(n):
        v, p = _assignment(i)
        parts.append(f'''resource nic{i} 'Microsoft.Network/networkInterfaces@2023-09-01' = {{
  name: 'nic-{i}'
  location: '{LOCATION}'
  properties: {{
    ipConfigurations: [
      {{
        name: 'ipconfig1'
        properties: {{
          privateIPAllocationMethod: 'Dynamic'
        }}
      }}
    ]
  }}
}}

resource disk{i} 'Microsoft.Compute/disks@2023-04-02' = {{
  name: 'disk-{i}'
  location: '{LOCATION}'
  sku: {{
    name: 'Premium_LRS'
  }}
  properties: {{
    creationData: {{
      createOption: 'Empty'
    }}
    diskSizeGB: 128
  }}
}}

resource vm{i} 'Microsoft.Compute/virtualMachines@2024-03-01' = {{
  name: 'vm-{i}'
  location: '{LOCATION}'
  properties: {{
    hardwareProfile: {{
      vmSize: 'Standard_D2s_v5'
    }}
    storageProfile: {{
      imageReference: {{
        publisher: 'Canonical'
        offer: '0001-com-ubuntu-server-jammy'
        sku: '22_04-lts-gen2'
        version: 'latest'
      }}
      osDisk: {{
        createOption: 'FromImage'
        caching: 'ReadWrite'
        managedDisk: {{
          storageAccountType: 'Premium_LRS'
        }}
      }}
      dataDisks: [
        {{
          lun: 0
          createOption: 'Attach'
          caching: 'ReadOnly'
          managedDisk: {{
            id: disk{i}.id
          }}
        }}
      ]
    }}
    networkProfile: {{
      networkInterfaces: [
        {{
          id: nic{i}.id
        }}
      ]
    }}
  }}
}}
''')
        if not protected(i):
            continue
        parts.append(f'''resource item{i} '{ITEM_TYPE}@2024-04-01' = {{
  name: '{_vault(v)}/Azure/{_container(i)}/vm;iaasvmcontainerv2;{RG};vm-{i}'
  properties: {{
    protectedItemType: 'Microsoft.Compute/virtualMachines'
    sourceResourceId: vm{i}.id
    policyId: pol{v}_{p}.id
  }}
}}
''')
    return "\n".join(parts)


def write_all(n: int, out: Path) -> dict[str, Path]:
    """Write the four formats of an N-VM estate below ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "plan": out / "tfplan.json",
        "hcl": out / "terraform" / "main.tf",
        "arm": out / "arm" / "azuredeploy.json",
        "bicep": out / "bicep" / "main.bicep",
        "whatif": out / "whatif.json",
    }
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    paths["plan"].write_text(json.dumps(plan_json(n)), encoding="utf-8")
    paths["hcl"].write_text(hcl(n), encoding="utf-8")
    paths["arm"].write_text(json.dumps(arm(n), indent=2), encoding="utf-8")
    paths["bicep"].write_text(bicep(n), encoding="utf-8")
    paths["whatif"].write_text(json.dumps(whatif(n), indent=2), encoding="utf-8")
    return paths


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(f"benchmarks/out/n{count}")
    for kind, path in write_all(count, target).items():
        print(f"{kind}: {path} ({path.stat().st_size / 1e6:.2f} MB)")
