"""A small typed facade over the pluggy plugin manager.

Built-in policy modules and third-party plugins are both found through the
entry-point group ``azbackup_policy``; nothing is imported from the scanned
repository. A plugin that fails to load, misspells a hook or returns something
that is not a rule stops the run with a :class:`PluginError` naming it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from azbackup_policy.errors import PluginError
from azbackup_policy.formats import BUILTIN_FORMATS, FormatSpec
from azbackup_policy.hookspecs import ENTRY_POINT_GROUP, PROJECT, AzBackupPolicySpec
from azbackup_policy.reporters import BUILTIN_REPORTERS, ReporterSpec
from azbackup_policy.rules import Rule


class PluginHost:
    """Loads plugins and answers the hooks with typed results."""

    def __init__(self) -> None:
        self._pm = pluggy.PluginManager(PROJECT)
        self._pm.add_hookspecs(AzBackupPolicySpec)
        self._origins: dict[int, str] = {}

    def register(self, plugin: ModuleType | object, origin: str) -> None:
        try:
            self._pm.register(plugin, name=origin)
        except Exception as exc:  # pluggy raises ValueError / PluginValidationError
            raise PluginError(origin, f"cannot be registered: {exc}") from exc
        self._origins[id(plugin)] = origin

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        entry_points = sorted(metadata.entry_points(group=group), key=lambda ep: ep.name)
        seen: set[str] = set()
        for entry_point in entry_points:
            if entry_point.name in seen:
                continue
            seen.add(entry_point.name)
            dist = getattr(entry_point.dist, "name", None) or "?"
            origin = f"{dist}:{entry_point.name}"
            try:
                plugin = entry_point.load()
            except Exception as exc:
                raise PluginError(origin, f"failed to load ({type(exc).__name__}: {exc})") from exc
            self.register(plugin, origin)
        self.check_pending()

    def check_pending(self) -> None:
        try:
            self._pm.check_pending()
        except pluggy.PluginValidationError as exc:
            name = self._pm.get_name(exc.plugin) or "?"
            raise PluginError(name, str(exc)) from exc

    def _results(self, hook_name: str) -> Iterable[tuple[str, Any]]:
        for impl in getattr(self._pm.hook, hook_name).get_hookimpls():
            try:
                result = impl.function()
            except Exception as exc:
                raise PluginError(impl.plugin_name, f"{hook_name} raised {exc!r}") from exc
            yield impl.plugin_name, result

    def rules(self) -> list[Rule]:
        """Every rule of every plugin, with its origin; duplicate ids are an error."""
        found: dict[str, Rule] = {}
        for origin, result in self._results("azbackup_policy_rules"):
            for rule in _as_sequence(result, origin, "azbackup_policy_rules"):
                if not isinstance(rule, Rule):
                    raise PluginError(origin, f"returned {rule!r}, which is not a Rule")
                if rule.id in found:
                    raise PluginError(
                        origin, f"rule id {rule.id} is already defined by {found[rule.id].origin}"
                    )
                found[rule.id] = replace(rule, origin=origin)
        return sorted(found.values(), key=lambda r: r.id)

    def extras(self, hook_name: str) -> list[tuple[str, Any]]:
        """Raw results of the reporter/parser hooks, with the plugin that gave them."""
        out: list[tuple[str, Any]] = []
        for origin, result in self._results(hook_name):
            out.extend((origin, item) for item in _as_sequence(result, origin, hook_name))
        return out

    def formats(self) -> tuple[FormatSpec, ...]:
        """The input-format table: the built-in formats, then those plugins add."""
        from azbackup_policy.linkers import BUILTIN_LINKERS

        table = list(BUILTIN_FORMATS)
        for origin, spec in self.extras("azbackup_policy_parsers"):
            if not isinstance(spec, FormatSpec):
                raise PluginError(origin, f"returned {spec!r}, which is not a FormatSpec")
            problem = _format_problem(spec, table, BUILTIN_LINKERS)
            if problem:
                raise PluginError(origin, f"input format {spec.name!r} {problem}")
            table.append(spec)
        return tuple(table)

    def reporters(self) -> tuple[ReporterSpec, ...]:
        """The output formats: the built-in reporters, then those plugins add."""
        table = list(BUILTIN_REPORTERS)
        for origin, spec in self.extras("azbackup_policy_reporters"):
            if not isinstance(spec, ReporterSpec):
                raise PluginError(origin, f"returned {spec!r}, which is not a ReporterSpec")
            if spec.name in {r.name for r in table}:
                raise PluginError(origin, f"output format {spec.name!r} already exists")
            table.append(spec)
        return tuple(table)


def _format_problem(spec: FormatSpec, table: Sequence[FormatSpec],
                    linkers: Mapping[str, str]) -> str | None:
    if spec.name in {f.name for f in table}:
        return "already exists"
    if spec.parser is None or spec.vocabulary not in linkers:
        return f"needs a parser and a vocabulary of {', '.join(sorted(linkers))}"
    if not spec.suffixes and spec.sniff is None:
        return "needs file-name suffixes or a sniff function"
    return None


def _as_sequence(result: Any, origin: str, hook: str) -> Sequence[Any]:
    if result is None:
        return ()
    if isinstance(result, (list, tuple)):
        return result
    raise PluginError(origin, f"{hook} must return a list, got {type(result).__name__}")


def installed_formats() -> tuple[FormatSpec, ...]:
    """The input formats of this installation (built-in and plugins'); the plugins are
    loaded again only when the installed entry points change."""
    installed = tuple(sorted((ep.name, ep.value)
                             for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)))
    return _formats_of(installed)


@cache
def _formats_of(installed: tuple[tuple[str, str], ...]) -> tuple[FormatSpec, ...]:
    return default_host().formats()


def default_host() -> PluginHost:
    """A host with the built-in policies and every installed plugin loaded."""
    host = PluginHost()
    host.load_entry_points()
    return host
