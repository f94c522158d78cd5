"""Input formats: one :class:`FormatSpec` row per format, the only list of them.

Discovery (:mod:`azbackup_policy.discover`) decides each file's format from the table,
the pipeline parses a source with its row's parser, and the pre-commit hook
(:mod:`azbackup_policy.precommit`) reads a row's ``unit`` to know what a changed file
makes a scan of. A plugin adds a format by returning a :class:`FormatSpec` from the
``azbackup_policy_parsers`` hook; built-in and plugin rows are read the same way.

Adding an input format is one parser module (``parse(source, context) ->
Sequence[Document]``, see :mod:`azbackup_policy.parsers`) and one row here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from azbackup_policy.parsers import Parser

PLAN = "terraform-plan"
HCL = "terraform-hcl"
ARM = "arm"
ARM_PARAMETERS = "arm-parameters"
BICEP = "bicep"
BICEPPARAM = "bicepparam"
TFVARS = "tfvars"
WHATIF = "arm-whatif"

Unit = Literal["file", "folder", "included", "var-file"]
"""What a file of the format is scanned as, and what a changed one makes a scan of:

* ``file``: the file by itself (a Terraform plan);
* ``folder``: its folder, which is the source (a Terraform module); a changed file
  stands for the root modules that call that folder;
* ``included``: the file is the source; a changed file stands for the root files that
  include it (templates, parameter files: ``module``, ``using``, ``relativePath``);
* ``var-file``: not parsed by itself: named on the command line, its folder is scanned
  as the ``read_by`` format; a changed one is scanned with that folder as a var file.
"""


@dataclass(frozen=True, slots=True)
class FormatSpec:
    """One input format: how a file is recognised, who parses and links it, its unit."""

    name: str  # Source.kind and Document.format, e.g. "terraform-plan"
    description: str  # for messages and docs, e.g. "Terraform plan or state JSON"
    # "module:function" (imported on first use), a parser function, or None for a file
    # that another format reads (a var file).
    parser: str | Parser | None
    vocabulary: str | None  # the linker the parser's Documents go to: "azurerm", "arm"
    suffixes: tuple[str, ...] = ()  # lower-case file-name endings that decide the format
    # For a ``.json`` file that no suffix claims: True when its first bytes (64 KiB,
    # UTF-8) are of this format. Rows are asked in table order; the first True wins.
    sniff: Callable[[bytes], bool] | None = None
    sniff_hint: str = ""  # what the sniff looks for, for messages: "$schema deploymentTemplate"
    unit: Unit = "file"
    read_by: str | None = None  # for a var-file: the folder format that reads it


_PLAN_HINT = re.compile(rb'"format_version"\s*:')
_PLAN_BODY = re.compile(rb'"(planned_values|resource_changes|terraform_version)"\s*:')
_SCHEMA = re.compile(rb'"\$schema"\s*:\s*"([^"]*)"')
# An ARM what-if result (az CLI, REST or Azure PowerShell's ConvertTo-Json: any case).
_WHATIF_CHANGE = re.compile(rb'"changeType"\s*:', re.IGNORECASE)
_WHATIF_ID = re.compile(rb'"(?:fullyQualifiedResourceId|resourceId)"\s*:', re.IGNORECASE)
_WHATIF_EMPTY = (re.compile(rb'"changes"\s*:\s*[\[n]', re.IGNORECASE),  # no change at all,
                 re.compile(rb'"status"\s*:', re.IGNORECASE),  # or a failed operation
                 re.compile(rb'"error"\s*:', re.IGNORECASE))


def _schema(head: bytes) -> bytes:
    found = _SCHEMA.search(head)
    return b"" if found is None else found.group(1).lower()


def is_arm_parameters(head: bytes) -> bool:
    return b"deploymentparameters" in _schema(head)


def is_arm_template(head: bytes) -> bool:
    return b"deploymenttemplate" in _schema(head)


def is_plan(head: bytes) -> bool:
    return bool(_PLAN_HINT.search(head) and _PLAN_BODY.search(head))


def is_whatif(head: bytes) -> bool:
    return bool(_WHATIF_CHANGE.search(head) and _WHATIF_ID.search(head)) \
        or all(pattern.search(head) for pattern in _WHATIF_EMPTY)


BUILTIN_FORMATS: tuple[FormatSpec, ...] = (
    FormatSpec(ARM_PARAMETERS, "ARM parameters JSON",
               "azbackup_policy.parsers.arm:parse_parameters_file", "arm",
               sniff=is_arm_parameters, sniff_hint="$schema deploymentParameters",
               unit="included"),
    FormatSpec(ARM, "ARM template JSON", "azbackup_policy.parsers.arm:parse", "arm",
               sniff=is_arm_template, sniff_hint="$schema deploymentTemplate", unit="included"),
    FormatSpec(PLAN, "Terraform plan or state JSON",
               "azbackup_policy.parsers.terraform_plan:parse", "azurerm", sniff=is_plan,
               sniff_hint="format_version + planned_values or values", unit="file"),
    FormatSpec(WHATIF, "ARM what-if result", "azbackup_policy.parsers.arm.whatif:parse", "arm",
               sniff=is_whatif, sniff_hint="changes with changeType and resourceId",
               unit="file"),
    FormatSpec(HCL, "Terraform module", "azbackup_policy.parsers.terraform_hcl:parse",
               "azurerm", suffixes=(".tf", ".tf.json"), unit="folder"),
    FormatSpec(TFVARS, "Terraform var file", None, None,
               suffixes=(".tfvars", ".tfvars.json"), unit="var-file", read_by=HCL),
    FormatSpec(BICEPPARAM, "Bicep parameters", "azbackup_policy.parsers.bicep:parse_bicepparam",
               "arm", suffixes=(".bicepparam",), unit="included"),
    FormatSpec(BICEP, "Bicep", "azbackup_policy.parsers.bicep:parse", "arm",
               suffixes=(".bicep",), unit="included"),
)


def by_name(formats: Sequence[FormatSpec]) -> dict[str, FormatSpec]:
    return {spec.name: spec for spec in formats}


def format_of_name(name: str, formats: Sequence[FormatSpec]) -> FormatSpec | None:
    """The format a file name decides (its ending), or None (``.json``: sniff it)."""
    lowered = name.lower()
    for spec in formats:
        if spec.suffixes and lowered.endswith(spec.suffixes):
            return spec
    return None


def format_of_json(head: bytes, formats: Sequence[FormatSpec]) -> FormatSpec | None:
    """The format of a ``.json`` file from its first bytes, or None when of no known one."""
    for spec in formats:
        if spec.sniff is not None and spec.sniff(head):
            return spec
    return None


def unknown_json_text(formats: Sequence[FormatSpec]) -> str:
    """Why an explicit ``.json`` file was refused: the formats a sniff looks for."""
    known = [f"{spec.description} ({spec.sniff_hint})" if spec.sniff_hint
             else spec.description for spec in formats if spec.sniff is not None]
    listed = ", ".join(known[:-1]) + (" or " if len(known) > 1 else "") + known[-1]
    return f"JSON of no known kind: not {listed}" if known else "JSON of no known kind"


def known_formats_text(formats: Sequence[FormatSpec]) -> str:
    """The formats for a message: ``Terraform plan JSON, ..., Bicep (.bicep)``."""
    return ", ".join(
        f"{spec.description} ({', '.join(spec.suffixes)})" if spec.suffixes
        else spec.description
        for spec in formats if spec.parser is not None
    )
