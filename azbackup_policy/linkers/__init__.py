"""One linker per vocabulary turns a Document into an Estate.

``azurerm`` serves Terraform plan JSON and HCL; ``arm`` serves ARM JSON and Bicep.
A linker is a function ``link(document) -> Estate``. What the document could not read
(modules not followed, files not parsed) is added here, the same for every vocabulary.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import replace

from azbackup_policy.document import Document
from azbackup_policy.model import Estate, SourceSpan, Unread

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
    estate = linker(document)
    unread = unread_parts(document)
    return replace(estate, unread=estate.unread + unread) if unread else estate


def unread_parts(document: Document) -> tuple[Unread, ...]:
    """The modules the document did not follow and the files it could not parse."""
    modules = (
        Unread(address=item.address or item.source, resource_type="module", name=item.source,
               span=SourceSpan(item.file, item.line, item.line), reason=item.reason,
               hint=item.hint, given=item.given)
        for item in document.not_followed
    )
    files = (
        Unread(address=f"{item.scope}{item.file.rsplit('/', 1)[-1]}", resource_type="file",
               name=item.file, span=SourceSpan(item.file, item.line, item.line, item.column),
               reason=item.message)
        for item in document.unparsed
    )
    return (*modules, *files)
