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
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
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
    def azbackup_policy_reporters(self) -> Sequence[Any]:  # type: ignore[empty-body]
        """Return reporter specs (``ReporterSpec``) for extra output formats."""

    @hookspec
    def azbackup_policy_parsers(self) -> Sequence[Any]:  # type: ignore[empty-body]
        """Return parser specs (``ParserSpec``) for extra input formats."""
