"""The pluggy hook specifications. Built-in policy modules implement them too.

A plugin is a module registered under the entry-point group ``azbackup_policy``.
It implements one or more of these hooks with ``@hookimpl``::

    from azbackup_policy.hookspecs import hookimpl

    @hookimpl
    def azbackup_policy_rules():
        return [MY_RULE]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from azbackup_policy.formats import FormatSpec
    from azbackup_policy.reporters import ReporterSpec
    from azbackup_policy.rules import Rule

PROJECT = "azbackup_policy"
ENTRY_POINT_GROUP = "azbackup_policy"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class AzBackupPolicySpec:
    """The hooks a plugin may implement."""

    @hookspec
    def azbackup_policy_rules(self) -> Sequence[Rule]:  # type: ignore[empty-body]
        """Return the rules this plugin provides."""

    @hookspec
    def azbackup_policy_reporters(self) -> Sequence[ReporterSpec]:  # type: ignore[empty-body]
        """Return :class:`~azbackup_policy.reporters.ReporterSpec` rows: extra output
        formats, offered by ``scan --format NAME``."""

    @hookspec
    def azbackup_policy_parsers(self) -> Sequence[FormatSpec]:  # type: ignore[empty-body]
        """Return :class:`~azbackup_policy.formats.FormatSpec` rows: extra input formats.

        Each needs a parser, a vocabulary with a linker (``"arm"`` or ``"azurerm"``) and
        file-name suffixes or a sniff function; built-in formats are asked first."""
