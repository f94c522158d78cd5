"""What a parser returns: resources in their provider's vocabulary, with source spans.

A parser knows one file format and nothing about backup rules. It produces a
:class:`Document` of :class:`Resource` records whose ``properties`` are plain
dicts/lists in the provider's own shape:

* vocabulary ``"azurerm"`` (Terraform plan JSON and HCL): the shape of a plan's
  ``values`` -- nested blocks are lists of objects (``os_disk[0].caching``);
* vocabulary ``"arm"`` (ARM JSON and Bicep): the ARM resource body
  (``properties.storageProfile.osDisk``), with top-level ``name``, ``location``,
  ``sku``, ``zones``, ``identity``, ``plan`` and ``extendedLocation`` kept beside it.

Values that cannot be known statically are :class:`~azbackup_policy.model.Unknown`; in
the ``arm`` vocabulary also its subclasses in :mod:`azbackup_policy.arm_values`
(``PartialString``, ``UnknownId``), which keep what the ARM linker needs to link them.
``references`` carries links that the format states explicitly (a Terraform
reference, a Bicep symbolic reference, an ARM ``resourceId`` that matched a resource
of the same template): attribute path -> addresses of the resources it points at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from azbackup_policy.model import SourceSpan, Unknown

PropertyPath = str
"""A dotted path into ``properties`` with list indexes as numbers: ``os_disk.0.caching``."""


def value_at(properties: Any, path: PropertyPath) -> Any:
    """The value at a dotted path (``os_disk.0.caching``), or None when absent."""
    if "." not in path and isinstance(properties, dict):  # a top-level key (most look-ups)
        return properties.get(path) if path else properties
    current = properties
    for part in path.split(".") if path else ():
        if isinstance(current, list):
            if not part.isdigit() or int(part) >= len(current):
                return None
            current = current[int(part)]
        elif isinstance(current, dict):
            current = current.get(part)
        else:
            return None
    return current


@dataclass(frozen=True, slots=True)
class Resource:
    """One resource instance, as declared."""

    type: str
    address: str
    span: SourceSpan
    properties: Mapping[str, Any] = field(default_factory=dict)
    references: Mapping[PropertyPath, tuple[str, ...]] = field(default_factory=dict)
    property_spans: Mapping[PropertyPath, SourceSpan] = field(default_factory=dict)
    # The Azure resource id when the format can tell it (plan values, ARM resourceId()).
    id: str | Unknown | None = None
    # "managed" or "data" (Terraform data sources / ARM ``existing`` resources).
    mode: str = "managed"
    # Plan: "create", "update", "no-op", "replace", "read". Templates: "deploy".
    action: str = "deploy"
    # Plan only: the values before the change, for rules about transitions.
    before: Mapping[str, Any] | None = None
    # ARM/Bicep: the apiVersion; Terraform: None.
    api_version: str | None = None
    # ARM/Bicep ``condition`` that could not be evaluated.
    condition: Unknown | None = None
    # Property paths whose values are secret (never copied into any output).
    sensitive_paths: frozenset[PropertyPath] = frozenset()
    # Inline suppression comments found at the block (parsed later by the engine).
    comments: tuple[str, ...] = ()

    def span_of(self, path: PropertyPath) -> SourceSpan:
        """The span of ``path`` or of its closest known parent, else the resource's own."""
        if not self.property_spans:
            return self.span
        probe = path
        while probe:
            found = self.property_spans.get(probe)
            if found is not None:
                return found
            probe = probe.rpartition(".")[0]
        return self.span


@dataclass(frozen=True, slots=True)
class NotFollowed:
    """A module or linked template the tool did not read (registry, git, remote URI).

    Not an input error: the rest of the unit is still checked, and ``--strict`` turns
    each into a review finding. ``hint`` tells how to make it readable; ``address`` is
    the call's address in its unit (``module.web.module.nic``) when the format has one.
    """

    file: str
    line: int
    source: str
    reason: str
    hint: str = ""
    address: str = ""
    # Addresses of the resources the call is given (its inputs refer to them): what it
    # declares may concern them (a protected item for a VM it is given the id of).
    given: tuple[str, ...] = ()

    @property
    def explained(self) -> str:
        """The reason, and the hint when there is one (for a line of a report)."""
        return f"{self.reason}; {self.hint}" if self.hint else self.reason


@dataclass(frozen=True, slots=True)
class Problem:
    """An input error the parser could step over: reported, and the rest still read."""

    file: str
    line: int
    column: int
    message: str


@dataclass(frozen=True, slots=True)
class Unparsed:
    """A file of the unit that could not be parsed: an input error that hides what the
    file declares (its resources are absent, so the absence of a resource is not known).
    ``scope`` is the address prefix of the module holding it (``""`` for the root)."""

    file: str
    line: int
    column: int
    message: str
    scope: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    """All resources of one deployment unit (a plan, a root module, a template)."""

    path: str
    format: str  # "terraform-plan", "terraform-hcl", "arm", "bicep"
    vocabulary: str  # "azurerm" or "arm"
    resources: tuple[Resource, ...] = ()
    not_followed: tuple[NotFollowed, ...] = ()
    # Every file this document was read from (a module folder spans several files).
    files: tuple[str, ...] = ()
    # Errors in single values (an expression that cannot be evaluated): the value became
    # Unknown and the error is reported with its location.
    problems: tuple[Problem, ...] = ()
    # Files that could not be parsed at all (also input errors): their declarations are missing.
    unparsed: tuple[Unparsed, ...] = ()
