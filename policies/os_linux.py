"""Areas *os_linux* and *linux* (OL and L rows): Linux images and the guest's mounts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from azbackup_policy.hookspecs import hookimpl
from azbackup_policy.model import Image, ModelObject, VirtualMachine
from azbackup_policy.rules import Check, Observation, Rule, RuleContext, Severity, Target

from ._custom_data import custom_data_text
from ._helpers import (
    agent_based,
    agent_fallback,
    label,
    observe,
    one_of,
    review,
    rule_factory,
    same,
)

rule = rule_factory("os_linux")
_NOEXEC = re.compile(r"^(?!\s*#).*\s(/var|/var/lib)\s+\S+\s+\S*\bnoexec\b", re.MULTILINE)
_MOUNT = re.compile(r"mount\b[^\n]*\bnoexec\b[^\n]*\s(/var|/var/lib)(\s|$|['\"\]])")
_YAML_MOUNT = re.compile(r"\[[^\]\n]*['\"]?(/var|/var/lib)['\"]?\s*,[^\]\n]*noexec")


def _linux_image(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation | Image]:
    """Reviews, then the image of an agent-protected Linux VM."""
    linux = same(vm.os_type, "Linux")
    yield from review(ctx, vm, linux, f"OS type of {label(vm)}", "os_type", vm)
    if linux is True and vm.image is not None and agent_based(vm, ctx):
        yield vm.image


@rule(
    "BKP-LNX-001", "coreos-image", Severity.ERROR, ("OL2", "OL6", "L2"), Target.VM,
    summary="Agent-based backup does not protect CoreOS VMs.",
    why="CoreOS is not supported by agent-based Linux backup: on a Standard policy backup fails "
    "(error). An Enhanced app-consistent policy falls back to a crash-consistent snapshot "
    "('Azure VM backup FAQ'), so there it is a warning. Agentless crash-consistent backup is "
    "OS-agnostic "
    "and works for VMs whose OS agent-based backup does not support.",
    fix="Protect the VM with an agentless crash-consistent (Enhanced) policy.",
    before='backup_policy_id = azurerm_backup_policy_vm.daily.id',
    after='backup_policy_id = azurerm_backup_policy_vm.crash_consistent.id  '
    '# V2, OnlyCrashConsistent',
)
def coreos_image(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    markers = [m.lower() for m in ctx.matrix.os.coreos_markers]
    for image in _linux_image(vm, ctx):
        if isinstance(image, Observation):
            yield image
            continue
        for field in ("publisher", "offer"):
            value = getattr(image, field)
            if isinstance(value, str) and any(m in value.lower() for m in markers):
                severity, tail = agent_fallback(vm, ctx)
                yield observe(vm, f"VM {label(vm)} runs CoreOS image (image {field} = {value}); "
                              f"agent-based backup does not support CoreOS{tail}",
                              f"image.{field}", vm, severity)
                return


def _names(image: Image, markers: Sequence[str], fields: tuple[str, ...]) -> str | None:
    """The first of ``fields`` of ``image`` that contains one of ``markers`` (any case)."""
    for field in fields:
        value = getattr(image, field)
        if isinstance(value, str) and any(m.lower() in value.lower() for m in markers):
            return field
    return None


@rule(
    "BKP-LNX-002", "linux-publisher-not-endorsed", Severity.WARNING, ("OL1", "OL4"), Target.VM,
    summary="Agent-based backup protects Linux images of Azure-endorsed distributions.",
    why="Agent-based Linux backup supports the Azure-endorsed distributions; other "
    "(bring-your-own) distributions may work only with the Azure Linux VM agent and a "
    "supported Python. What counts is the distribution, not who publishes the image: an "
    "endorsed publisher, or an offer/SKU naming an endorsed distribution (SQL Server on Ubuntu "
    "from `MicrosoftSQLServer`), is endorsed. CoreOS is BKP-LNX-001's. Lists in matrix.yaml.",
    fix="Use an endorsed distribution, make sure waagent and Python are present, or use "
    "agentless crash-consistent backup.",
    before='source_image_reference {\n  publisher = "someone"\n  offer = "my-distro"\n}',
    after='source_image_reference {\n  publisher = "Canonical"\n'
    '  offer     = "0001-com-ubuntu-server-jammy"\n}',
)
def linux_not_endorsed(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    endorsed = ctx.matrix.os.endorsed_linux_publishers
    distros = ctx.matrix.os.endorsed_linux_distros
    for image in _linux_image(vm, ctx):
        if isinstance(image, Observation):
            yield image
            continue
        publisher = image.publisher
        yield from review(ctx, vm, publisher, f"image publisher of {label(vm)}",
                          "image.publisher", vm)
        if not isinstance(publisher, str) or one_of(publisher, endorsed) is not False:
            continue
        if _names(image, ctx.matrix.os.coreos_markers, ("publisher", "offer")) or \
                _names(image, distros, ("offer", "sku")):
            continue
        for field in ("offer", "sku"):
            yield from review(ctx, vm, getattr(image, field), f"image {field} of {label(vm)}",
                              f"image.{field}", vm)
        if all(isinstance(getattr(image, f), str | None) for f in ("offer", "sku")):
            yield observe(vm, f"VM {label(vm)} runs a Linux image from publisher {publisher} "
                          f"(offer {image.offer}) that names no Azure-endorsed distribution",
                          "image.publisher", vm)


def mounts_var_noexec(custom_data: str) -> str | None:
    """``/var`` or ``/var/lib`` when the (base64 or plain) custom data mounts it noexec."""
    text = custom_data_text(custom_data)
    for pattern in (_NOEXEC, _MOUNT, _YAML_MOUNT):
        match = pattern.search(text)
        if match:
            return match.group(1)
    return None


@rule(
    "BKP-LNX-003", "var-noexec-mount", Severity.ERROR, ("L1",), Target.VM,
    summary="Custom data of a protected Linux VM does not mount /var or /var/lib noexec.",
    why="The backup extension runs helper scripts from /var/lib; with /var or /var/lib mounted "
    "`noexec` they can't run and backups fail. Only mounts in cloud-init/custom data are "
    "visible to IaC (the value itself is never printed).",
    fix="Drop `noexec` from the /var and /var/lib mount options.",
    before="mounts:\n  - [/dev/sdc1, /var, ext4, 'defaults,noexec']",
    after="mounts:\n  - [/dev/sdc1, /var, ext4, 'defaults']", lang="yaml",
)
def var_noexec(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    if same(vm.os_type, "Linux") is not True or not agent_based(vm, ctx):
        return
    data = vm.custom_data
    yield from review(ctx, vm, data, f"custom data of {label(vm)}", "custom_data", vm)
    path = mounts_var_noexec(data) if isinstance(data, str) else None
    if path is not None:
        yield observe(vm, f"custom data of VM {label(vm)} mounts {path} with noexec; the backup "
                      "extension's helper scripts can't run", "custom_data", vm)


def custom_data_matches(custom_data: str, patterns: Sequence[str]) -> bool:
    """Does the (base64 or plain) custom data match one of the regular expressions?"""
    text = custom_data_text(custom_data)
    return any(re.search(p, text, re.IGNORECASE | re.MULTILINE) for p in patterns)


def _docker_sign(vm: VirtualMachine, ctx: RuleContext) -> tuple[ModelObject, str, str] | None:
    """(subject, how, attribute) when ``vm`` runs Docker: its Docker extension or custom data."""
    kinds = ctx.matrix.os.docker_extension_types
    for ext in vm.extensions:
        if one_of(ext.extension_type, kinds) is True:
            return ext, f"has the {ext.extension_type} extension", "extension_type"
    data = vm.custom_data
    if isinstance(data, str) and custom_data_matches(data,
                                                     ctx.matrix.os.docker_install_patterns):
        return vm, "installs Docker in its custom data", "custom_data"
    return None


@rule(
    "BKP-LNX-004", "docker-host", Severity.WARNING, ("A18", "L5"), Target.VM,
    summary="Know that Azure Backup does not support VMs running Docker containers.",
    why="The matrix lists VMs running Docker containers as not supported (A18), and Docker's "
    "mount points can't be excluded because their paths change (L5). The VM disks are still "
    "backed up, but container data is not protected as such: at risk, a warning. Detected "
    "from the Docker VM extension or custom data that installs Docker (matrix.yaml).",
    fix="Keep container state on storage with its own backup, or back up the data, not the "
    "host.",
    before='resource "azurerm_virtual_machine_extension" "docker" {\n'
    '  publisher = "Microsoft.Azure.Extensions"\n  type      = "DockerExtension"\n}',
    after="# container state on Azure Files / a database with its own backup",
)
def docker_host(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
    if not ctx.estate.protections_of(vm):
        return
    yield from review(ctx, vm, vm.custom_data, f"custom data of {label(vm)}", "custom_data", vm)
    sign = _docker_sign(vm, ctx)
    if sign is not None:
        subject, how, attribute = sign
        yield observe(subject, f"VM {label(vm)} {how}; Azure Backup does not support VMs "
                      "running Docker containers", attribute, vm)


def _custom_data_rule(patterns: Callable[[RuleContext], Sequence[str]], what: str) -> Check:
    """Protected VMs whose custom data matches ``patterns`` of the matrix data: ``what``
    says why."""
    def check(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
        if not ctx.estate.protections_of(vm):
            return
        data = vm.custom_data
        yield from review(ctx, vm, data, f"custom data of {label(vm)}", "custom_data", vm)
        if isinstance(data, str) and custom_data_matches(data, patterns(ctx)):
            yield observe(vm, f"custom data of VM {label(vm)} {what}", "custom_data", vm)

    return check


zfs_pool = rule(
    "BKP-LNX-006", "zfs-pool", Severity.ERROR, ("L6",), Target.VM,
    summary="Custom data of a protected Linux VM does not create a ZFS pool.",
    why="Azure Backup does not support ZFS pool configurations (L6). A pool created by "
    "cloud-init/custom data (`zpool create`) is visible to IaC; other pools are in the guest.",
    fix="Use LVM or plain file systems on the data disks of VMs protected by Azure Backup.",
    before="runcmd:\n  - zpool create data /dev/disk/azure/scsi1/lun0",
    after="runcmd:\n  - mkfs.ext4 /dev/disk/azure/scsi1/lun0", lang="yaml",
)(_custom_data_rule(lambda ctx: ctx.matrix.os.zfs_pool_patterns,
                    "creates a ZFS pool; Azure Backup does not support ZFS pool configurations"))


nfs_mount = rule(
    "BKP-LNX-005", "nfs-mounts", Severity.NOTE, ("OL7",), Target.VM,
    summary="Know that NFS shares mounted in a VM are not backed up with it.",
    why="Only locally attached disks are backed up; NFS shares mounted from Azure storage or "
    "any NFS server are not (OL7). Mounts in cloud-init/custom data are visible to IaC (the "
    "value itself is never printed).",
    fix="Back up the NFS share itself (Azure Files / NetApp Files backup).",
    before="mounts:\n  - [nfs.example.com:/export, /data, nfs4, 'defaults']",
    after="# the share has its own backup policy", lang="yaml",
)(_custom_data_rule(lambda ctx: ctx.matrix.os.nfs_mount_patterns,
                    "mounts an NFS share; NFS shares are not backed up with the VM"))


@hookimpl
def azbackup_policy_rules() -> list[Rule]:
    return [coreos_image, linux_not_endorsed, var_noexec, docker_host, nfs_mount, zfs_pool]
