"""Unit tests of the coverage, actions, OS, restore, network and vm_management rules."""

from __future__ import annotations

import base64

import pytest
from azbackup_policy.policies.os_linux import mounts_var_noexec
from policies_support import (
    SUB,
    Case,
    Setup,
    U,
    assert_case,
    data_disk,
    enhanced,
    estate,
    ids,
    nic,
    os_disk,
    params,
    protection,
    violations,
)

from azbackup_policy.model import Estate, Extension, Image, IpConfiguration, Lock, Vault

MDCC = enhanced(consistency_type="OnlyCrashConsistent")
ADE = (Extension(publisher="Microsoft.Azure.Security", extension_type="AzureDiskEncryption"),)
OTHER_VAULT = Vault(address="azurerm_recovery_services_vault.other", name="rsv-other")
RG_LOCK = Lock(address="azurerm_management_lock.rp", name="lock-rp", level="CanNotDelete",
               scope=f"/subscriptions/{SUB}/resourceGroups/AzureBackupRG_westeurope_1")
VM_LOCK = Lock(address="azurerm_management_lock.vm", name="lock-vm", level="CanNotDelete",
               scope=f"/subscriptions/{SUB}/resourceGroups/rg-app")
WIN = {"os_type": "Windows", "image": Image(publisher="MicrosoftWindowsServer",
                                            offer="WindowsServer", sku="2012-R2-Datacenter")}
WIN22 = {"os_type": "Windows", "image": Image(publisher="MicrosoftWindowsServer",
                                              offer="WindowsServer", sku="2022-datacenter")}
NOEXEC = base64.b64encode(
    b"#cloud-config\nmounts:\n  - [/dev/sdc1, /var, ext4, 'defaults,noexec']\n")
STATIC = nic(IpConfiguration(allocation="Static"), name="nic-api")

CASES = [
    Case("BKP-COV-001", Setup(protection=None), Setup(), "has no protected item", None,
         Setup(protection={"vm": None, "vm_id": U("azurerm_linux_virtual_machine.vm.id")})),
    Case("BKP-COV-002", Setup(vm={"vm_agent": False}), Setup(vm={"vm_agent": False}, policy=MDCC),
         "the VM agent is not provisioned (vm_agent = false)", "vm_agent",
         Setup(vm={"vm_agent": U("var.agent")})),
    Case("BKP-COV-003", Setup(vm={"extension_operations": False}), Setup(),
         "extension operations are disabled", "extension_operations",
         Setup(vm={"extension_operations": U("var.ext")})),
    Case("BKP-COV-004", Setup(policy={"vault": OTHER_VAULT.address},
                              extra={"vaults": [OTHER_VAULT]}), Setup(),
         "uses policy pol-daily of vault rsv-other", "policy",
         Setup(policy={"vault": None, "vault_name": U("var.vault")})),
    Case("BKP-COV-005",
         Setup(vm={"data_disks": (data_disk(0),)}, protection={"exclude_luns": (3,)}),
         Setup(vm={"data_disks": (data_disk(0),)}, protection={"exclude_luns": (0,)}),
         "names LUN(s) 3 but VM vm-a has data disk LUNs [0]", "exclude_luns",
         Setup(vm={"data_disks": (data_disk(U("var.lun")),)}, protection={"exclude_luns": (0,)})),
    Case("BKP-ACT-001", Setup(vault={"location": "northeurope"}), Setup(),
         "is in westeurope but its vault rsv-app is in northeurope", "location",
         Setup(vault={"location": U("var.loc")})),
    Case("BKP-ACT-002", Setup(vault={"subscription_id": "sub-2"}), Setup(),
         "vault rsv-app is in subscription sub-2", None, Setup(vault={"subscription_id": U("v")})),
    Case("BKP-ACT-003", Setup(extra={"locks": [RG_LOCK]}), Setup(extra={"locks": [VM_LOCK]}),
         "is on resource group AzureBackupRG_westeurope_1", "scope",
         Setup(extra={"locks": [Lock(address="azurerm_management_lock.x", scope=U("var.s"))]})),
    Case("BKP-ACT-004", Setup(protection={"previous_policy_type": "V2"}),
         Setup(policy=enhanced(), protection={"previous_policy_type": "V2"}),
         "moves from an Enhanced (V2) policy", "policy",
         Setup(protection={"previous_policy_type": U("state")})),
    Case("BKP-WIN-001", Setup(vm=WIN), Setup(vm=WIN, policy=MDCC),
         "runs Windows image SKU 2012-R2-Datacenter", "image.sku",
         Setup(vm={**WIN, "image": Image(publisher="MicrosoftWindowsServer", sku=U("var.sku"))})),
    Case("BKP-WIN-002", Setup(vm={**WIN22, "image": Image(publisher="MicrosoftWindowsServer",
                                                          sku="datacenter-core-1803")}),
         Setup(vm=WIN22), "is not a recognised supported version", "image.sku",
         Setup(vm={**WIN, "image": Image(publisher=U("var.pub"), sku="x")})),
    Case("BKP-LNX-001", Setup(vm={"image": Image(publisher="CoreOS", offer="CoreOS")}),
         Setup(vm={"image": Image(publisher="CoreOS", offer="CoreOS")}, policy=MDCC),
         "runs CoreOS image (image publisher = CoreOS)", "image.publisher",
         Setup(vm={"os_type": U("var.os")})),
    Case("BKP-LNX-002", Setup(vm={"image": Image(publisher="someone", offer="distro")}), Setup(),
         "from publisher someone", "image.publisher",
         Setup(vm={"image": Image(publisher=U("var.pub"))})),
    Case("BKP-LNX-003", Setup(vm={"custom_data": NOEXEC.decode()}), Setup(),
         "mounts /var with noexec", "custom_data", Setup(vm={"custom_data": U("var.cd")})),
    Case("BKP-NET-004", Setup(vm={"traffic_manager_endpoint": "ep-web"}), Setup(),
         "Traffic Manager endpoint ep-web targets the public IP", "traffic_manager_endpoint"),
    Case("BKP-LNX-004", Setup(vm={"custom_data": "#cloud-config\npackages:\n  - docker-ce\n"}),
         Setup(vm={"custom_data": "#cloud-config\npackages:\n  - nginx\n"}),
         "installs Docker in its custom data", "custom_data",
         Setup(vm={"custom_data": U("var.cd")})),
    Case("BKP-LNX-005", Setup(vm={"custom_data": "mount -t nfs4 nfs.example.com:/x /mnt/x"}),
         Setup(vm={"custom_data": "mount -t ext4 /dev/sdc1 /mnt/x"}),
         "mounts an NFS share", "custom_data", Setup(vm={"custom_data": U("var.cd")})),
    Case("BKP-LNX-006", Setup(vm={"custom_data": "runcmd:\n  - zpool create data /dev/sdc\n"}),
         Setup(vm={"custom_data": "#cloud-config\n# no zpool create here\n"}),
         "creates a ZFS pool", "custom_data", Setup(vm={"custom_data": U("var.cd")})),
    Case("BKP-PPS-001", Setup(vm={"image": Image(publisher="Oracle", offer="Oracle-Linux")},
                              policy=MDCC),
         Setup(vm={"image": Image(publisher="Oracle", offer="Oracle-Linux")}, policy=enhanced()),
         "Oracle pre/post scripts do not run", "image.publisher",
         Setup(vm={"image": Image(publisher="Oracle")},
               policy={"consistency_type": U("var.c")})),
    Case("BKP-RST-001", Setup(vm={"extensions": ADE}), Setup(), "uses Azure Disk Encryption",
         "extensions", Setup(vm={"extensions": (Extension(publisher="Microsoft.Azure.Security",
                                                          extension_type=U("var.t")),)})),
    Case("BKP-RST-002", Setup(vm={"os_disk": os_disk(disk_encryption_set_id="/des/1")}), Setup(),
         "uses disk encryption set /des/1", "os_disk.disk_encryption_set_id",
         Setup(vm={"os_disk": os_disk(disk_encryption_set_id=U("var.cmk ? var.des_id : null"))})),
    Case("BKP-RST-003", Setup(vm={"identity": "SystemAssigned"}),
         Setup(vm={"identity": "SystemAssigned"}, vault={"cross_region_restore": False}),
         "has a SystemAssigned managed identity", "identity",
         Setup(vm={"identity": "SystemAssigned"}, vault={"cross_region_restore": U("v")})),
    Case("BKP-RST-004", Setup(vm={"zone": "1"}, vault={"redundancy": "LocallyRedundant"}),
         Setup(vm={"zone": "1"}, vault={"redundancy": "ZoneRedundant"}),
         "is pinned to zone 1", "redundancy",
         Setup(vm={"zone": "1"}, vault={"redundancy": U("v")})),
    Case("BKP-FLR-001", Setup(vm={"data_disks": (data_disk(0, storage_type="UltraSSD_LRS"),)}),
         Setup(), "is an Ultra Disk", None,
         Setup(vm={"data_disks": (data_disk(0, storage_type=U("var.sku")),)})),
    Case("BKP-NET-001", Setup(vm={"nics": (STATIC,)}), Setup(),
         "has a static private IP", "ip_configurations.0.allocation",
         Setup(vm={"nics": (nic(IpConfiguration(allocation=U("var.alloc"))),)})),
    Case("BKP-NET-002", Setup(vm={"nics": (nic(), nic(name="nic-2"))}), Setup(),
         "has 2 network interfaces", "nics"),
    Case("BKP-NET-003", Setup(vm={"nics": (nic(IpConfiguration(public_ip_id="/pip/1")),)}),
         Setup(), "has a public IP", "ip_configurations.0.public_ip_id"),
    Case("BKP-VMM-001", Setup(vault={"cross_subscription_restore": "PermanentlyDisabled"}),
         Setup(vault={"cross_subscription_restore": "Enabled"}),
         "cross-subscription restore PermanentlyDisabled", "cross_subscription_restore",
         Setup(vault={"cross_subscription_restore": U("var.csr")})),
    Case("BKP-VMM-002", Setup(vault={"cross_region_restore": False}), Setup(),
         "GeoRedundant without Cross Region Restore", "cross_region_restore",
         Setup(vault={"cross_region_restore": U("var.crr")})),
    Case("BKP-VMM-003", Setup(vault={"redundancy": "LocallyRedundant"}), Setup(),
         "enables Cross Region Restore but is LocallyRedundant", "cross_region_restore",
         Setup(vault={"redundancy": U("var.redundancy")})),
]


@pytest.mark.parametrize(("case", "outcome"), params(CASES), ids=ids)
def test_rule(case: Case, outcome: str) -> None:
    assert_case(case, outcome)


@pytest.mark.parametrize("text", [
    "/dev/sdb1 /var/lib ext4 defaults,noexec 0 2",
    "runcmd:\n  - mount -o remount,noexec /var",
    base64.b64encode(b"/dev/sdb1 /var xfs rw,noexec,nosuid 0 0").decode(),
])
def test_noexec_detected(text: str) -> None:
    assert mounts_var_noexec(text) in {"/var", "/var/lib"}


@pytest.mark.parametrize("text", [
    "/dev/sdb1 /var ext4 defaults 0 2",
    "# /dev/sdb1 /var ext4 noexec 0 2",
    "/dev/sdb1 /tmp ext4 defaults,noexec 0 2",
])
def test_noexec_not_detected(text: str) -> None:
    assert mounts_var_noexec(text) is None


def test_the_docker_extension_is_a_docker_host() -> None:
    from azbackup_policy.model import Extension

    docker = Extension(address="azurerm_virtual_machine_extension.docker", name="DockerExtension",
                       publisher="Microsoft.Azure.Extensions", extension_type="DockerExtension")
    found = violations("BKP-LNX-004", estate(Setup(vm={"extensions": (docker,)})))
    assert [(o.subject.address, o.attribute) for o in found] == [(docker.address,
                                                                  "extension_type")]


@pytest.mark.parametrize("text", [
    "#cloud-config\nmounts:\n  - [ 'nfs.example.com:/export', /data, nfs4, 'defaults' ]\n",
    "nfs.example.com:/export /data nfs defaults 0 0\n",
])
def test_nfs_mounts_in_fstab_and_cloud_init(text: str) -> None:
    assert len(violations("BKP-LNX-005", estate(Setup(vm={"custom_data": text})))) == 1


def test_noexec_message_never_prints_custom_data() -> None:
    found = violations("BKP-LNX-003", estate(Setup(vm={"custom_data": NOEXEC.decode()})))
    assert NOEXEC.decode() not in found[0].message and "defaults" not in found[0].message


def test_unprotected_vm_with_linked_items_elsewhere_is_flagged() -> None:
    base = estate(Setup())
    other = protection(address="azurerm_backup_protected_vm.o", vm="azurerm_x.other")
    target = Estate(vms=base.vms, policies=base.policies, vaults=base.vaults, protections=(other,))
    assert len(violations("BKP-COV-001", target)) == 1
