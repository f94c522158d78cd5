"""The hand-written cases of the matrix review (shared/reviews/matrix-audit.md §4), one test each,
named for the case: t** are Terraform modules, b** Bicep files, a01 an ARM template. Each case
has one VM, protected unless noted, in a locally redundant vault in the same region unless
noted; the test checks the findings of the rules the case is about against the review's
"Expected" column (severity included).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from azbackup_policy import ScanOptions, scan

Outcome = set[tuple[str, str]]

# ---------------------------------------------------------------- Terraform (azurerm 4.x)
UBUNTU = ("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2")
DAILY = '  backup {\n    frequency = "Daily"\n    time      = "23:00"\n  }'


def retention(daily: int | str | None = 30, **tiers: int | str) -> str:
    blocks = [f"  retention_daily {{\n    count = {daily}\n  }}"] if daily is not None else []
    extra = {"weekly": '    weekdays = ["Sunday"]',
             "monthly": '    weekdays = ["Sunday"]\n    weeks    = ["First"]',
             "yearly": '    months   = ["January"]\n    weekdays = ["Sunday"]\n'
                       '    weeks    = ["First"]'}
    blocks += [f"  retention_{tier} {{\n    count    = {count}\n{extra[tier]}\n  }}"
               for tier, count in tiers.items()]
    return "\n\n".join(blocks)


def hourly(interval: int, window: int | None = 24) -> str:
    duration = f"\n    hour_duration = {window}" if window is not None else ""
    return (f'  backup {{\n    frequency     = "Hourly"\n    time          = "08:00"\n'
            f"    hour_interval = {interval}{duration}\n  }}")


def tf_vault(redundancy: str = "LocallyRedundant", crr: bool = False,
             location: str = "westeurope") -> str:
    return f'''resource "azurerm_recovery_services_vault" "app" {{
  name                         = "rsv-app"
  location                     = "{location}"
  resource_group_name          = "rg-app"
  sku                          = "Standard"
  storage_mode_type            = "{redundancy}"
  cross_region_restore_enabled = {str(crr).lower()}
}}
'''


def tf_policy(kind: str = "V1", ir: int | str = 2, backup: str = DAILY,
              ret: str | None = None, body: str = "") -> str:
    return f'''resource "azurerm_backup_policy_vm" "pol" {{
  name                           = "pol-app"
  resource_group_name            = "rg-app"
  recovery_vault_name            = azurerm_recovery_services_vault.app.name
  policy_type                    = "{kind}"
  instant_restore_retention_days = {ir}
{body}
{backup}

{retention() if ret is None else ret}
}}
'''


def tf_vm(size: str = "Standard_D2s_v5", image: tuple[str, str, str] = UBUNTU, extra: str = "",
          os_disk: str = "", windows: bool = False, location: str = "westeurope") -> str:
    kind = "windows" if windows else "linux"
    linux = "" if windows else "\n  disable_password_authentication = false"
    return f'''resource "azurerm_{kind}_virtual_machine" "vm" {{
  name                  = "vm-case"
  resource_group_name   = "rg-app"
  location              = "{location}"
  size                  = "{size}"
  admin_username        = "azureuser"
  admin_password        = var.admin_password{linux}
  network_interface_ids = [azurerm_network_interface.vm.id]
{extra}
  os_disk {{
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
{os_disk}  }}

  source_image_reference {{
    publisher = "{image[0]}"
    offer     = "{image[1]}"
    sku       = "{image[2]}"
    version   = "latest"
  }}
}}

resource "azurerm_network_interface" "vm" {{
  name                = "nic-vm-case"
  location            = "{location}"
  resource_group_name = "rg-app"

  ip_configuration {{
    name                          = "ipconfig1"
    subnet_id                     = var.subnet_id
    private_ip_address_allocation = "Dynamic"
  }}
}}
'''


def tf_item(extra: str = "", windows: bool = False) -> str:
    kind = "windows" if windows else "linux"
    return f'''resource "azurerm_backup_protected_vm" "vm" {{
  resource_group_name = "rg-app"
  recovery_vault_name = azurerm_recovery_services_vault.app.name
  source_vm_id        = azurerm_{kind}_virtual_machine.vm.id
  backup_policy_id    = azurerm_backup_policy_vm.pol.id{extra}
}}
'''


def tf_disks(count: int | str, size: int | str = 128, sku: str = "Premium_LRS",
             extra: str = "", key: str = "data") -> str:
    return f'''resource "azurerm_managed_disk" "{key}" {{
  count                = {count}
  name                 = "disk-{key}-${{count.index}}"
  location             = "westeurope"
  resource_group_name  = "rg-app"
  storage_account_type = "{sku}"
  create_option        = "Empty"
  disk_size_gb         = {size}{extra}
}}

resource "azurerm_virtual_machine_data_disk_attachment" "{key}" {{
  count              = {count}
  managed_disk_id    = azurerm_managed_disk.{key}[count.index].id
  virtual_machine_id = azurerm_linux_virtual_machine.vm.id
  lun                = count.index
  caching            = "None"
}}
'''


VARIABLES = '''variable "admin_password" {
  type      = string
  sensitive = true
}

variable "subnet_id" {
  type = string
}
'''


def tf(*parts: str, vault: str | None = None, policy: str | None = None,
       vm: str | None = None, item: str | None = None) -> tuple[str, str]:
    """A Terraform module: the vault, policy, VM and item (defaults unless given), + parts."""
    text = "\n".join([VARIABLES, vault or tf_vault(), policy or tf_policy(),
                      vm if vm is not None else tf_vm(), item if item is not None else tf_item(),
                      *parts])
    return "main.tf", text


TL = "  secure_boot_enabled   = true\n  vtpm_enabled          = true\n"
MDCC = tf_policy("V2", 7, body='  consistency_type               = "OnlyCrashConsistent"')
V2 = tf_policy("V2", 7)
NOCACHE_OS = tf_vm


def mdcc_vm(size: str = "Standard_D2s_v5", image: tuple[str, str, str] = UBUNTU,
            windows: bool = False) -> str:
    return tf_vm(size, image, windows=windows).replace('caching              = "ReadWrite"',
                                                       'caching              = "None"')


# ---------------------------------------------------------------- Bicep and ARM
BICEP_VAULT = '''resource rsv 'Microsoft.RecoveryServices/vaults@2024-04-01' = {
  name: 'rsv-app'
  location: 'westeurope'
  sku: {
    name: 'RS0'
    tier: 'Standard'
  }
  properties: {
    publicNetworkAccess: 'Enabled'
    redundancySettings: {
      standardTierStorageRedundancy: 'LocallyRedundant'
      crossRegionRestore: 'Disabled'
    }
  }
}
'''


def bicep_policy(schedule: str, policy_type: str | None = "V2", ir: int = 7) -> str:
    kind = f"\n    policyType: '{policy_type}'" if policy_type else ""
    return f'''resource pol 'Microsoft.RecoveryServices/vaults/backupPolicies@2024-04-01' = {{
  parent: rsv
  name: 'pol-app'
  properties: {{
    backupManagementType: 'AzureIaasVM'{kind}
    instantRpRetentionRangeInDays: {ir}
    schedulePolicy: {schedule}
    retentionPolicy: {{
      retentionPolicyType: 'LongTermRetentionPolicy'
      dailySchedule: {{
        retentionTimes: [
          '2026-01-01T08:00:00Z'
        ]
        retentionDuration: {{
          count: 30
          durationType: 'Days'
        }}
      }}
    }}
    timeZone: 'UTC'
  }}
}}
'''


def bicep_hourly(interval: int, window: int) -> str:
    return f'''{{
      schedulePolicyType: 'SimpleSchedulePolicyV2'
      scheduleRunFrequency: 'Hourly'
      hourlySchedule: {{
        interval: {interval}
        scheduleWindowStartTime: '2026-01-01T08:00:00Z'
        scheduleWindowDuration: {window}
      }}
    }}'''


BICEP_DAILY_V2 = '''{
      schedulePolicyType: 'SimpleSchedulePolicyV2'
      scheduleRunFrequency: 'Daily'
      dailySchedule: {
        scheduleRunTimes: [
          '2026-01-01T23:00:00Z'
        ]
      }
    }'''
BICEP_DAILY_V1 = '''{
      schedulePolicyType: 'SimpleSchedulePolicy'
      scheduleRunFrequency: 'Daily'
      scheduleRunTimes: [
        '2026-01-01T23:00:00Z'
      ]
    }'''


def bicep_vm(props: str = "", os_sku: str = "Premium_LRS", data_disks: str = "") -> str:
    return f'''resource vm 'Microsoft.Compute/virtualMachines@2024-07-01' = {{
  name: 'vm-case'
  location: 'westeurope'
  properties: {{
    hardwareProfile: {{
      vmSize: 'Standard_D2s_v5'
    }}{props}
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
          storageAccountType: '{os_sku}'
        }}
      }}{data_disks}
    }}
    osProfile: {{
      computerName: 'vm-case'
      adminUsername: 'azureuser'
      adminPassword: adminPassword
    }}
    networkProfile: {{
      networkInterfaces: [
        {{
          id: resourceId('Microsoft.Network/networkInterfaces', 'nic-vm-case')
        }}
      ]
    }}
  }}
}}
'''


ITEM_TYPE = "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems"
ITEM_NAME = ("rsv-app/Azure/iaasvmcontainer;iaasvmcontainerv2;rg-app;vm-case/vm;"
             "iaasvmcontainerv2;rg-app;vm-case")


def bicep_item(api: str = "2024-04-01", extra: str = "") -> str:
    return f'''resource item '{ITEM_TYPE}@{api}' = {{
  name: '{ITEM_NAME}'
  properties: {{
    protectedItemType: 'Microsoft.Compute/virtualMachines'
    policyId: pol.id
    sourceResourceId: vm.id{extra}
  }}
}}
'''


def bicep(*parts: str) -> tuple[str, str]:
    return "main.bicep", "\n".join(["@secure()\nparam adminPassword string\n", BICEP_VAULT,
                                    *parts])


# ---------------------------------------------------------------- the cases
E, W, N = "error", "warning", "note"


def case(source: tuple[str, str], rules: Iterable[str], expected: Outcome,
         strict_reviews: Iterable[str] = ()) -> tuple[tuple[str, str], tuple[str, ...], Outcome,
                                                      tuple[str, ...]]:
    return source, tuple(rules), expected, tuple(strict_reviews)


FRQ_RANGES = ("BKP-FRQ-012", "BKP-FRQ-013", "BKP-FRQ-014", "BKP-FRQ-015")
CEILING = ("BKP-FRQ-008", "BKP-FRQ-009")
TL_RULES = ("BKP-CMP-002", "BKP-CMP-003", "BKP-CMP-004")
WINDOWS = ("BKP-WIN-001", "BKP-WIN-002")
SHARED = '\n  max_shares           = 2'
ULTRA_CAP = "  additional_capabilities {\n    ultra_ssd_enabled = true\n  }\n"
MDC = ("BKP-MDC-001", "BKP-MDC-002", "BKP-MDC-003", "BKP-MDC-004", "BKP-MDC-005",
       "BKP-MDC-007", "BKP-MDC-008")
CVM = ('    security_encryption_type = "DiskWithVMGuestState"\n')
SHARED_BICEP_DISK = '''resource shared 'Microsoft.Compute/disks@2024-03-02' = {
  name: 'disk-shared'
  location: 'westeurope'
  sku: {
    name: 'Premium_LRS'
  }
  properties: {
    creationData: {
      createOption: 'Empty'
    }
    diskSizeGB: 256
    maxShares: 2
  }
}
'''
SHARED_BICEP_ATTACH = '''
      dataDisks: [
        {
          lun: 0
          createOption: 'Attach'
          caching: 'None'
          managedDisk: {
            id: shared.id
          }
        }
      ]'''
UNIFORM_BICEP = '''resource vmss 'Microsoft.Compute/virtualMachineScaleSets@2024-07-01' = {
  name: 'vmss-web'
  location: 'westeurope'
  sku: {
    name: 'Standard_D2s_v5'
    capacity: 2
  }
  properties: {
    orchestrationMode: 'Uniform'
    upgradePolicy: {
      mode: 'Manual'
    }
  }
}
'''
CLASSIC_ARM = '''{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    {
      "type": "Microsoft.ClassicCompute/virtualMachines",
      "apiVersion": "2017-04-01",
      "name": "vm-classic",
      "location": "westeurope",
      "properties": {
        "hardwareProfile": {"size": "Small", "platformGuestAgent": true},
        "domainName": {"id": "[resourceId('Microsoft.ClassicCompute/domainNames', 'cs-legacy')]"}
      }
    }
  ]
}
'''
ADE = '''resource "azurerm_virtual_machine_extension" "ade" {
  name                       = "AzureDiskEncryptionForLinux"
  virtual_machine_id         = azurerm_linux_virtual_machine.vm.id
  publisher                  = "Microsoft.Azure.Security"
  type                       = "AzureDiskEncryptionForLinux"
  type_handler_version       = "1.1"
  auto_upgrade_minor_version = true
  settings = jsonencode({
    EncryptionOperation = "EnableEncryption"
    KeyVaultURL         = "https://kv-app.vault.azure.net/"
    VolumeType          = "All"
  })
}
'''


def lock(scope: str) -> str:
    return f'''resource "azurerm_management_lock" "lock" {{
  name       = "lock-case"
  scope      = "{scope}"
  lock_level = "CanNotDelete"
  notes      = "case"
}}
'''


SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/"
TL_BICEP = '''
    securityProfile: {
      securityType: 'TrustedLaunch'
      uefiSettings: {
        secureBootEnabled: true
        vTpmEnabled: true
      }
    }'''
TRUSTED_DISK = '''resource "azurerm_managed_disk" "old_os" {
  name                 = "disk-old-os"
  location             = "westeurope"
  resource_group_name  = "rg-app"
  storage_account_type = "Premium_LRS"
  create_option        = "Copy"
  source_resource_id   = var.snapshot_id
  %s
}

resource "azurerm_virtual_machine_data_disk_attachment" "old_os" {
  managed_disk_id    = azurerm_managed_disk.old_os.id
  virtual_machine_id = azurerm_linux_virtual_machine.vm.id
  lun                = 0
  caching            = "None"
}

variable "snapshot_id" {
  type = string
}
'''

CASES = {
    "t01": case(tf(tf_disks(32, 32), vm=tf_vm("Standard_M64s")), ["BKP-STO-004"],
                {("BKP-STO-004", W)}),
    "t02": case(tf(tf_disks(33, 32), vm=tf_vm("Standard_M64s")), ["BKP-STO-004"],
                {("BKP-STO-004", E)}),
    # the error is gone (the excluded disk is not backed up); 32 + OS stays the t01 warning
    "t53": case(tf(tf_disks(33, 32), vm=tf_vm("Standard_M64s"),
                   item=tf_item("\n  exclude_disk_luns   = [32]")), ["BKP-STO-004"],
                {("BKP-STO-004", W)}),
    "t03": case(tf(policy=tf_policy(ret=retention(7, weekly=5163, monthly=1188, yearly=99))),
                [*FRQ_RANGES, "BKP-FRQ-016"], set()),
    "t04": case(tf(policy=tf_policy(ret=retention(6, weekly=5164, monthly=1189, yearly=100))),
                FRQ_RANGES, {(r, E) for r in FRQ_RANGES}),
    "t05": case(tf(policy=tf_policy(ret=retention(9999))), ["BKP-FRQ-016"], set()),
    "t06": case(tf(policy=tf_policy("V2", 17, hourly(4))), CEILING, set()),
    "t07": case(tf(policy=tf_policy("V2", 18, hourly(4))), CEILING, {("BKP-FRQ-008", E)}),
    "t08": case(tf(policy=tf_policy("V2", 20, hourly(4, 8))), CEILING, set()),
    "t31": case(tf(policy=tf_policy("V2", 22, hourly(6))), CEILING, set()),
    "t32": case(tf(policy=tf_policy("V2", 23, hourly(8))), CEILING, {("BKP-FRQ-009", W)}),
    "t49": case(tf(policy=tf_policy("V2", 30, hourly(12, 12))), CEILING, set()),
    "t09": case(tf(policy=tf_policy("V1", 2, hourly(4))), ["BKP-FRQ-001"], {("BKP-FRQ-001", E)}),
    "t10": case(tf(policy=V2, vm=tf_vm(extra=TL)), TL_RULES, set()),
    "t11": case(tf(vm=tf_vm(extra=TL)), TL_RULES, {("BKP-CMP-003", N)}),
    "b05": case(bicep(bicep_policy(BICEP_DAILY_V1, "V1", 2), bicep_vm(TL_BICEP),
                      bicep_item("2023-04-01")), TL_RULES, {("BKP-CMP-002", E)}),
    "t12": case(tf(policy=tf_policy(ir=6)), ["BKP-FRQ-005"], {("BKP-FRQ-005", E)}),
    "t14": case(tf(policy=tf_policy(ir=0)), ["BKP-FRQ-005"], {("BKP-FRQ-005", E)}),
    "t13": case(tf(policy=tf_policy(ir=2, backup='  backup {\n    frequency = "Weekly"\n'
                                    '    time      = "23:00"\n    weekdays  = ["Sunday"]\n  }',
                                    ret=retention(None, weekly=12))),
                ["BKP-FRQ-006"], {("BKP-FRQ-006", E)}),
    "t36": case(tf(policy=tf_policy("V2", 10, ret=retention(7))), ["BKP-FRQ-010"],
                {("BKP-FRQ-010", E)}),
    "t45": case(tf(policy=tf_policy("V2", 30, '  backup {\n    frequency = "Weekly"\n'
                                    '    time      = "23:00"\n    weekdays  = ["Sunday"]\n  }',
                                    ret=retention(None, weekly=4))),
                ["BKP-FRQ-010"], {("BKP-FRQ-010", E)}),
    "b03": case(bicep(bicep_policy(BICEP_DAILY_V2), SHARED_BICEP_DISK,
                      bicep_vm(data_disks=SHARED_BICEP_ATTACH),
                      bicep_item(extra="\n    extendedProperties: {\n      diskExclusionProperties"
                                 ": {\n        diskLunList: [\n          0\n        ]\n"
                                 "        isInclusionList: false\n      }\n    }")),
                ["BKP-STO-009", "BKP-STO-010"], set()),
    "t27": case(tf(tf_disks(1, extra=SHARED), policy=V2,
                   item=tf_item("\n  exclude_disk_luns   = [0]")),
                ["BKP-STO-009", "BKP-STO-010"], set()),
    "t28": case(tf(tf_disks(1, extra=SHARED), item=tf_item("\n  exclude_disk_luns   = [0]")),
                ["BKP-STO-009", "BKP-STO-010"], {("BKP-STO-010", E)}),
    "t15": case(tf(vault=tf_vault("GeoRedundant", True)), ["BKP-STO-014"], set()),
    "t16": case(tf(tf_disks(1, sku="PremiumV2_LRS"), vault=tf_vault("GeoRedundant", True,
                                                                     "francecentral"),
                   policy=V2, vm=tf_vm(location="francecentral")),
                ["BKP-STO-014"], {("BKP-STO-014", W)}),
    "t17": case(tf(tf_disks(1, sku="PremiumV2_LRS"), vault=tf_vault("GeoRedundant", False,
                                                                     "francecentral"),
                   policy=V2, vm=tf_vm(location="francecentral")),
                ["BKP-STO-014"], {("BKP-STO-014", W)}),
    "t18": case(tf(vault=tf_vault(location="northeurope")), ["BKP-ACT-001"],
                {("BKP-ACT-001", E)}),
    "t19": case(tf(vm=tf_vm(image=("MicrosoftWindowsServer", "WindowsServer", "2008-R2-SP1"),
                            windows=True), item=tf_item(windows=True)),
                WINDOWS, {("BKP-WIN-001", W)}),
    "t39": case(tf(vm=tf_vm(image=("MicrosoftWindowsDesktop", "Windows-7", "win7-enterprise"),
                            windows=True), item=tf_item(windows=True)),
                WINDOWS, {("BKP-WIN-001", W)}),
    "t40": case(tf(vm=tf_vm(image=("MicrosoftWindowsDesktop", "Windows-10", "win10-22h2-pro"),
                            windows=True), item=tf_item(windows=True)), WINDOWS, set()),
    "t21": case(tf(vm=tf_vm(image=("someone", "my-distro", "1"))), ["BKP-LNX-002"],
                {("BKP-LNX-002", W)}),
    "t20": case(tf(vm=tf_vm(image=("MicrosoftSQLServer", "sql2019-ubuntu2004", "sqldev"))),
                ["BKP-LNX-002"], set()),
    "t44": case(tf(policy=V2, vm=tf_vm(image=("CoreOS", "CoreOS", "Stable"))),
                ["BKP-LNX-001", "BKP-LNX-002"], {("BKP-LNX-001", W)}),
    "t22": case(tf(policy=V2, vm=tf_vm(extra="  provision_vm_agent         = false\n"
                                             "  allow_extension_operations = false\n")),
                ["BKP-COV-002", "BKP-COV-003"], {("BKP-COV-002", W), ("BKP-COV-003", W)}),
    "t23": case(tf(policy=MDCC, vm=mdcc_vm("Standard_M64")), ["BKP-MDC-004"], set()),
    "t34": case(tf(policy=MDCC, vm=mdcc_vm("Standard_D4s_v6")), ["BKP-MDC-005"],
                {("BKP-MDC-005", E)}),
    "t35": case(tf(policy=MDCC, vm=mdcc_vm("Standard_D4as_v6")), ["BKP-MDC-005"], set()),
    "t41": case(tf(policy=MDCC, vm=mdcc_vm(image=("MicrosoftWindowsServer", "WindowsServer",
                                                  "2012-R2-Datacenter"), windows=True),
                   item=tf_item(windows=True)), [*WINDOWS, *MDC], set()),
    "t24": case(tf(policy=MDCC, vm=mdcc_vm(image=("Oracle", "Oracle-Linux", "ol94-lvm-gen2"))),
                ["BKP-PPS-001"], {("BKP-PPS-001", N)}),
    "t25": case(tf(policy=tf_policy(body='  timezone                       = '
                                    '"E. South America Standard Time"')),
                ["BKP-FRQ-018"], set()),
    "t26": case(tf(policy=V2, item=tf_item("\n  exclude_disk_luns   = [1]")), ["BKP-COV-005"],
                set(), strict_reviews=["BKP-COV-005"]),
    "t29": case(tf(tf_disks(1, "var.size"), 'variable "days" {\n  type = number\n}\n\n'
                   'variable "size" {\n  type = number\n}\n',
                   policy=tf_policy(ret=retention("var.days"))),
                ["BKP-FRQ-012", "BKP-STO-005"], set(),
                strict_reviews=["BKP-FRQ-012", "BKP-STO-005"]),
    "t54": case(tf(tf_disks("var.n"), 'variable "n" {\n  type = number\n}\n'),
                ["BKP-STO-004"], set(), strict_reviews=["BKP-STO-004"]),
    "t30": case(tf(tf_disks(8, 65536, "UltraSSD_LRS"), vm=tf_vm("Standard_M64s", extra=ULTRA_CAP)),
                ["BKP-STO-001", "BKP-STO-006"], {("BKP-STO-001", E)}),
    "t33": case(tf(tf_disks(1, sku="UltraSSD_LRS"), vm=tf_vm(extra=ULTRA_CAP)), ["BKP-STO-001"],
                {("BKP-STO-001", E)}),
    "t37": case(tf(vault=tf_vault(location="switzerlandnorth"), policy=V2,
                   vm=tf_vm("Standard_DC4as_v6", extra=TL, os_disk=CVM,
                            location="switzerlandnorth")),
                ["BKP-SEC-001", "BKP-SEC-002"], {("BKP-SEC-001", W), ("BKP-SEC-002", E)}),
    "t38": case(tf(vm=tf_vm("Standard_B1s")), ["BKP-CMP-001"], {("BKP-CMP-001", E)}),
    "t48": case(tf(vm=tf_vm("Standard_DC1s_v2")), ["BKP-CMP-001"], {("BKP-CMP-001", E)}),
    "t51": case(tf(TRUSTED_DISK % "trusted_launch_enabled = true", policy=V2, vm=tf_vm(extra=TL)),
                ["BKP-CMP-005"], {("BKP-CMP-005", E)}),
    "t52": case(tf(TRUSTED_DISK % 'security_type        = '
                   '"ConfidentialVM_DiskEncryptedWithPlatformKey"', policy=V2,
                   vm=tf_vm(extra=TL)), ["BKP-CMP-005"], {("BKP-CMP-005", E)}),
    "t42": case(tf(lock(SUB + "rg-app-prod"),
                   policy=tf_policy(body='  instant_restore_resource_group {\n'
                                    '    prefix = "rg-"\n  }')), ["BKP-ACT-003"], set()),
    "t43": case(tf(lock(SUB + "AzureBackupRG_westeurope_1")), ["BKP-ACT-003"],
                {("BKP-ACT-003", E)}),
    "t46": case(tf(vm=tf_vm(extra='  edge_zone             = "losangeles"\n')),
                ["BKP-CMP-012"], {("BKP-CMP-012", E)}),
    "t47": case(tf(vm=tf_vm(extra='  priority              = "Spot"\n'
                                  '  eviction_policy       = "Deallocate"\n\n'
                                  '  plan {\n    name      = "byol"\n    product   = "fw"\n'
                                  '    publisher = "contoso"\n  }\n')),
                ["BKP-CMP-008", "BKP-CMP-011"], {("BKP-CMP-008", W), ("BKP-CMP-011", W)}),
    "t50": case(tf(ADE, tf_disks(2), policy=V2, item=tf_item("\n  exclude_disk_luns   = [1]")),
                ["BKP-STO-015", "BKP-RST-001"], {("BKP-STO-015", E), ("BKP-RST-001", N)}),
    "b01": case(bicep(bicep_policy(bicep_hourly(24, 24)), bicep_vm(), bicep_item()),
                ["BKP-FRQ-002"], set()),
    "b02": case(bicep(bicep_policy(bicep_hourly(4, 23)), bicep_vm(), bicep_item()),
                ["BKP-FRQ-003"], set()),
    "b04": case(bicep(bicep_policy(BICEP_DAILY_V1, "V1", 2), bicep_vm(os_sku="premium_lrs"),
                      bicep_item()), ["BKP-STO-017"], set()),
    "b06": case(bicep(bicep_policy(BICEP_DAILY_V2), UNIFORM_BICEP), ["BKP-CMP-013"], set()),
    "b07": case(bicep(bicep_policy(BICEP_DAILY_V2, None), bicep_vm(), bicep_item()),
                ["BKP-FRQ-021", "BKP-FRQ-001", "BKP-FRQ-007"], set()),
    "a01": case(("azuredeploy.json", CLASSIC_ARM), ["BKP-STO-008"], {("BKP-STO-008", E)}),
}


def _scan(tmp_path: Path, source: tuple[str, str], rules: tuple[str, ...],
          strict: bool) -> tuple[Outcome, set[str]]:
    name, text = source
    (tmp_path / name).write_text(text, encoding="utf-8")
    target = tmp_path if name.endswith(".tf") else tmp_path / name
    report = scan([str(target)], ScanOptions(select=rules, strict=strict, cwd=str(tmp_path)))
    assert not report.errors, [str(e) for e in report.errors]
    violations = {(f.rule_id, f.severity.value) for f in report.findings
                  if f.kind.value == "violation"}
    reviews = {f.rule_id for f in report.findings if f.kind.value == "review"}
    return violations, reviews


@pytest.mark.parametrize("name", sorted(CASES))
def test_review_case(name: str, tmp_path: Path) -> None:
    source, rules, expected, strict_reviews = CASES[name]
    violations, _ = _scan(tmp_path, source, rules, strict=False)
    assert violations == expected
    if strict_reviews:
        strict, reviews = _scan(tmp_path, source, rules, strict=True)
        assert strict == expected
        assert reviews == set(strict_reviews)
