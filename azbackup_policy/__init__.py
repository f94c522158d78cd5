"""azbackup-policy: check Azure VM infrastructure-as-code against the Azure Backup
support matrix before it is deployed.

The public API is small and typed::

    from azbackup_policy import scan, load_estate

Names are imported lazily so that ``import azbackup_policy`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from azbackup_policy._version import __version__

if TYPE_CHECKING:
    from azbackup_policy.model import (
        BackupPolicy,
        Disk,
        Estate,
        NetworkInterface,
        Protection,
        SourceSpan,
        Unknown,
        Vault,
        VirtualMachine,
    )
    from azbackup_policy.options import ScanOptions
    from azbackup_policy.pipeline import load_estate, scan
    from azbackup_policy.report import Finding, Report
    from azbackup_policy.rules import Rule

_EXPORTS = {
    "BackupPolicy": "azbackup_policy.model",
    "Disk": "azbackup_policy.model",
    "Estate": "azbackup_policy.model",
    "Finding": "azbackup_policy.report",
    "NetworkInterface": "azbackup_policy.model",
    "Protection": "azbackup_policy.model",
    "Report": "azbackup_policy.report",
    "Rule": "azbackup_policy.rules",
    "ScanOptions": "azbackup_policy.options",
    "SourceSpan": "azbackup_policy.model",
    "Unknown": "azbackup_policy.model",
    "Vault": "azbackup_policy.model",
    "VirtualMachine": "azbackup_policy.model",
    "load_estate": "azbackup_policy.pipeline",
    "scan": "azbackup_policy.pipeline",
}

__all__ = [
    "BackupPolicy",
    "Disk",
    "Estate",
    "Finding",
    "NetworkInterface",
    "Protection",
    "Report",
    "Rule",
    "ScanOptions",
    "SourceSpan",
    "Unknown",
    "Vault",
    "VirtualMachine",
    "__version__",
    "load_estate",
    "scan",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'azbackup_policy' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
