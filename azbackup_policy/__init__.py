"""azbackup-policy: check Azure VM infrastructure-as-code against the Azure Backup
support matrix before it is deployed.

The public API is small and typed::

    from azbackup_policy import scan, load_estate

Names are imported lazily so that ``import azbackup_policy`` stays cheap; type checkers
see the real names (the ``TYPE_CHECKING`` imports below), so a misspelt name is an error
for them as it is at run time.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING

from azbackup_policy._version import __version__

if TYPE_CHECKING:
    from azbackup_policy.errors import (
        AzBackupPolicyError,
        ConfigError,
        InputError,
        PluginError,
    )
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
        is_known,
    )
    from azbackup_policy.options import ScanOptions
    from azbackup_policy.pipeline import load_estate, scan
    from azbackup_policy.report import (
        Finding,
        InputProblem,
        Report,
        ResourceRef,
        RuleFailure,
        ScannedUnit,
    )
    from azbackup_policy.rules import FailOn, Kind, Rule, Severity

_EXPORTS = {
    "AzBackupPolicyError": "azbackup_policy.errors",
    "BackupPolicy": "azbackup_policy.model",
    "ConfigError": "azbackup_policy.errors",
    "Disk": "azbackup_policy.model",
    "Estate": "azbackup_policy.model",
    "FailOn": "azbackup_policy.rules",
    "Finding": "azbackup_policy.report",
    "InputError": "azbackup_policy.errors",
    "InputProblem": "azbackup_policy.report",
    "Kind": "azbackup_policy.rules",
    "NetworkInterface": "azbackup_policy.model",
    "PluginError": "azbackup_policy.errors",
    "Protection": "azbackup_policy.model",
    "Report": "azbackup_policy.report",
    "ResourceRef": "azbackup_policy.report",
    "Rule": "azbackup_policy.rules",
    "RuleFailure": "azbackup_policy.report",
    "ScanOptions": "azbackup_policy.options",
    "ScannedUnit": "azbackup_policy.report",
    "Severity": "azbackup_policy.rules",
    "SourceSpan": "azbackup_policy.model",
    "Unknown": "azbackup_policy.model",
    "Vault": "azbackup_policy.model",
    "VirtualMachine": "azbackup_policy.model",
    "is_known": "azbackup_policy.model",
    "load_estate": "azbackup_policy.pipeline",
    "scan": "azbackup_policy.pipeline",
}

__all__ = [
    "AzBackupPolicyError",
    "BackupPolicy",
    "ConfigError",
    "Disk",
    "Estate",
    "FailOn",
    "Finding",
    "InputError",
    "InputProblem",
    "Kind",
    "NetworkInterface",
    "PluginError",
    "Protection",
    "Report",
    "ResourceRef",
    "Rule",
    "RuleFailure",
    "ScanOptions",
    "ScannedUnit",
    "Severity",
    "SourceSpan",
    "Unknown",
    "Vault",
    "VirtualMachine",
    "__version__",
    "is_known",
    "load_estate",
    "scan",
]


def _source_checkout_path() -> list[str]:
    """In a source checkout, the folder holding ``policies/`` (the design keeps the built-in
    policies at the top level; the wheel maps them to ``azbackup_policy.policies``).

    Python run from the repository root imports this source folder, not the installed
    package, so ``azbackup_policy.policies`` is found through ``__path__`` here; in a
    wheel, or an editable install, ``policies`` is already a subpackage and nothing
    changes.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    checkout = os.path.dirname(here)
    if os.path.isdir(os.path.join(here, "policies")):
        return []
    if not (os.path.isfile(os.path.join(checkout, "policies", "__init__.py"))
            and os.path.isfile(os.path.join(checkout, "pyproject.toml"))):
        return []
    return [checkout]


__path__ = [*__path__, *_source_checkout_path()]

if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        module = _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module 'azbackup_policy' has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)
