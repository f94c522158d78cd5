"""Storage accounts of the azurerm vocabulary and what ties them to VM backup (N13, FL3).

An ``azurerm_storage_account`` gives the firewall (``network_rules``, overridden by a separate
``azurerm_storage_account_network_rules``) and ``public_network_access_enabled``; the links are
the ``vhd_uri`` of ``azurerm_virtual_machine`` disks (unmanaged disks) and azapi restores of a
recovery point (``IaasVMRestoreRequest.storageAccountId``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from azbackup_policy.document import Resource, value_at
from azbackup_policy.linkers import azurerm_azapi
from azbackup_policy.linkers.azurerm_common import Index, Reader, enabled_word
from azbackup_policy.linkers.storage import Use, blob_host, firewall_words, with_uses
from azbackup_policy.model import AttrSpans, SourceSpan, StorageAccount, Unknown

ACCOUNT = "azurerm_storage_account"
NETWORK_RULES = "azurerm_storage_account_network_rules"
CLASSIC_VM = "azurerm_virtual_machine"  # the only azurerm VM with unmanaged (VHD) disks
RECOVERY_POINT = ("microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/"
                  "protecteditems/recoverypoints")


def _firewall(reader: Reader) -> tuple[Any, Any, dict[str, SourceSpan]]:
    """(default action, bypass, their spans) of the inline ``network_rules`` block; a block
    the plan knows only after apply makes both unknown."""
    rules = reader.block("network_rules")
    if rules is not None:
        return (rules.get("default_action", "default_action"),
                rules.get("bypass", "bypass", convert=firewall_words), rules.spans)
    raw = reader.raw("network_rules")
    if isinstance(raw, Unknown):
        reader.mark("default_action", "network_rules")
        return raw, raw, {}
    return None, None, {}


def account(resource: Resource) -> StorageAccount:
    reader = Reader(resource)
    action, bypass, spans = _firewall(reader)
    access = reader.get("public_network_access", "public_network_access_enabled",
                        convert=enabled_word)
    return StorageAccount(
        address=resource.address, resource_type=resource.type, span=resource.span,
        attr_spans=AttrSpans({**reader.spans, **spans}), name=resource.properties.get("name"),
        id=resource.id, default_action=action, bypass=bypass, public_network_access=access)


def _with_rules(found: StorageAccount, rules: Resource) -> StorageAccount:
    """An account whose firewall a separate network-rules resource sets."""
    reader = Reader(rules)
    action = reader.get("default_action", "default_action")
    bypass = reader.get("bypass", "bypass", convert=firewall_words)
    return replace(found, default_action=action, bypass=bypass,
                   attr_spans=AttrSpans({**found.attr_spans, **reader.spans}))


def accounts(managed: list[Resource], index: Index) -> list[StorageAccount]:
    """Every declared storage account with its firewall and its backup uses."""
    found = {r.address: account(r) for r in managed if r.type == ACCOUNT}
    if not found:
        return []
    for rules in (r for r in managed if r.type == NETWORK_RULES):
        for target in index.targets(rules, "storage_account_id", (ACCOUNT,)):
            found[target] = _with_rules(found[target], rules)
    return with_uses(found.values(), _vhd_uses(managed, index), _restore_uses(managed, index))


def _vhd_paths(vm: Resource) -> Iterator[str]:
    yield "storage_os_disk.0.vhd_uri"
    disks = vm.properties.get("storage_data_disk")
    for position in range(len(disks) if isinstance(disks, list) else 0):
        yield f"storage_data_disk.{position}.vhd_uri"


def _vhd_uses(managed: list[Resource], index: Index) -> Iterator[Use]:
    for vm in (r for r in managed if r.type == CLASSIC_VM):
        for path in _vhd_paths(vm):
            for target in _account_of_uri(vm, path, index):
                yield target, vm.address


def _account_of_uri(resource: Resource, path: str, index: Index) -> list[str]:
    found = index.targets(resource, path, (ACCOUNT,))
    name = blob_host(value_at(resource.properties, path))
    if found or not isinstance(name, str):
        return found
    return index.by_name(name, None, (ACCOUNT,))


def _is_vm_restore(resource: Resource) -> bool:
    props = resource.properties
    if resource.type != "azapi_resource_action" or azurerm_azapi.kind(resource) != RECOVERY_POINT:
        return False
    method, action = props.get("method"), props.get("action")
    method = "POST" if method is None else method  # azapi's default
    return str(method).upper() == "POST" and str(action).lower() == "restore" \
        and props.get("when") != "destroy"


def _restore_uses(managed: list[Resource], index: Index) -> Iterator[Use]:
    for restore in (r for r in managed if _is_vm_restore(r)):
        body = azurerm_azapi.arm_view(restore).properties.get("properties")
        body = body if isinstance(body, dict) else {}
        kind = body.get("objectType")
        if isinstance(kind, str) and not kind.lower().startswith("iaasvmrestore"):
            continue
        for target in azurerm_azapi.find(index, restore, "body", body.get("storageAccountId"),
                                         (ACCOUNT,)):
            yield target, restore.address
