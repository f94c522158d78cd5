"""Storage accounts tied to Azure VM backup or restore (MATRIX.md N13, FL3), for both vocabularies.

Two links are written in code: a VM with unmanaged disks keeps its VHDs as page blobs of a
storage account (the backup reads them), and a declared restore (``IaasVMRestoreRequest``)
stages in a storage account (``storageAccountId``). A linker reads each account's firewall,
finds the account a VHD URI or a restore names, and ``with_uses`` records the links.

A VHD URI names its account by host (``https://<account>.blob.<suffix>/...``): literal text,
a partly unknown string whose host is a known name or the same unknown expression as the
account's name, or a ``reference()`` of the account (ARM/Bicep ``primaryEndpoints.blob``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from azbackup_policy.arm_values import Name, PartialString
from azbackup_policy.model import StorageAccount, Unknown

Use = tuple[str, str]  # (storage account address, address of the VM or restore using it)

_HOST = re.compile(r"^\s*https?://([^./]+)\.blob\.", re.IGNORECASE)


def blob_host(uri: object) -> Name | None:
    """The name of the account a blob URI names (text, or the unknown piece that is the
    host), or None when it names none."""
    if isinstance(uri, str):
        match = _HOST.match(uri)
        return match.group(1) if match else None
    if not isinstance(uri, PartialString):
        return None
    parts = uri.parts
    for at in range(1, len(parts) - 1):  # 'https://' + <unknown name> + '.blob....'
        before, after = parts[at - 1], parts[at + 1]
        if isinstance(before, str) and before.endswith("://") and isinstance(after, str) \
                and after.lower().startswith(".blob."):
            return parts[at]
    return blob_host(parts[0]) if isinstance(parts[0], str) else None


def firewall_words(value: object) -> tuple[str, ...] | Unknown | None:
    """ARM ``bypass`` text (``"AzureServices, Logging"``) or a list as a sorted tuple; an empty
    one is *not set* (the service then keeps its default), never read as ``None``."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, (list, tuple)):
        words = tuple(sorted(str(item).strip() for item in value if str(item).strip()))
        return words or None
    return None


def with_uses(accounts: Iterable[StorageAccount], vhds: Iterable[Use],
              restores: Iterable[Use]) -> list[StorageAccount]:
    """``accounts`` with ``vhd_of`` / ``restore_staging_of`` filled from the (account, user)
    pairs, each user once and in order."""
    vhd_of: dict[str, list[str]] = {}
    staging: dict[str, list[str]] = {}
    for found, pairs in ((vhd_of, vhds), (staging, restores)):
        for account, user in pairs:
            users = found.setdefault(account, [])
            if user not in users:
                users.append(user)
    return [replace(account, vhd_of=tuple(vhd_of.get(account.address, ())),
                    restore_staging_of=tuple(staging.get(account.address, ())))
            if account.address in vhd_of or account.address in staging else account
            for account in accounts]
