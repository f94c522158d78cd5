"""A small typed facade over the pluggy plugin manager.

Built-in policy modules and third-party plugins are both found through the
entry-point group ``azbackup_policy``; nothing is imported from the scanned
repository. A plugin that fails to load, misspells a hook or returns something
that is not a rule stops the run with a :class:`PluginError` naming it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from azbackup_policy.errors import PluginError
from azbackup_policy.hookspecs import ENTRY_POINT_GROUP, PROJECT, AzBackupPolicySpec
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


def _as_sequence(result: Any, origin: str, hook: str) -> Sequence[Any]:
    if result is None:
        return ()
    if isinstance(result, (list, tuple)):
        return result
    raise PluginError(origin, f"{hook} must return a list, got {type(result).__name__}")


def default_host() -> PluginHost:
    """A host with the built-in policies and every installed plugin loaded."""
    host = PluginHost()
    host.load_entry_points()
    return host
