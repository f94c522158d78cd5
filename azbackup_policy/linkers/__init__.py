"""One linker per vocabulary turns a Document into an Estate.

``azurerm`` serves Terraform plan JSON and HCL; ``arm`` serves ARM JSON and Bicep.
A linker is a function ``link(document) -> Estate``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from azbackup_policy.document import Document
from azbackup_policy.model import Estate

Linker = Callable[[Document], Estate]

BUILTIN_LINKERS: dict[str, str] = {
    "azurerm": "azbackup_policy.linkers.azurerm:link",
    "arm": "azbackup_policy.linkers.arm:link",
}


def link(document: Document) -> Estate:
    """The Estate of ``document``, by the linker of its vocabulary."""
    spec = BUILTIN_LINKERS[document.vocabulary]
    module_name, _, attr = spec.partition(":")
    linker: Linker = getattr(importlib.import_module(module_name), attr)
    return linker(document)
