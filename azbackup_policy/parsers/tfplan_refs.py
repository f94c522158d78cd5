"""Resolve ``configuration`` references of a plan to resource INSTANCE addresses.

Plan JSON loses instance keys in references (``vm[count.index].id`` becomes
``["azurerm_x.vm", "count.index"]``), so keys are paired here (IAC §3.3): an explicit
``[N]``/``["k"]`` wins; ``count.index``/``each.key`` take the referrer's own key;
``each.value`` follows the referrer's ``for_each`` expression; ``var.x`` inside a module
goes to the parent's ``module_calls`` input; ``module.m.out`` goes into the module's
output expression. Anything ambiguous resolves to nothing (the linker reports it),
except for list attributes, where every instance is meant (``nic[*].id``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from azbackup_policy.parsers.tfplan_address import (
    Address,
    Key,
    Step,
    format_module,
    parse_address,
    split_modules,
    tokenize,
)
from azbackup_policy.parsers.tfplan_read import as_dict

_MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class Scope:
    """Where references are evaluated: a module instance and the referrer's own key."""

    module: tuple[Step, ...]
    key: Key = None
    for_each: tuple[str, ...] = ()  # references of the referrer's for_each expression


def _refs(expression: Any) -> list[str]:
    found = as_dict(expression).get("references")
    return [r for r in found if isinstance(r, str)] if isinstance(found, list) else []


class Configuration:
    """The ``configuration`` section plus the set of instances, for reference resolution."""

    def __init__(self, configuration: Any, addresses: list[Address]) -> None:
        self.root = as_dict(as_dict(configuration).get("root_module"))
        self.instances: dict[tuple[str, str], dict[Key, str]] = {}
        self._cache: dict[tuple[tuple[str, ...], Scope, bool], list[str]] = {}
        self.modules: dict[tuple[str, str], list[Key]] = {}
        self._resources: dict[int, dict[tuple[str, str], dict[str, Any]]] = {}
        for address in addresses:
            self._add(address)

    def _add(self, address: Address) -> None:
        group = (address.module_prefix, address.resource)
        self.instances.setdefault(group, {})[address.key] = address.instance()
        for depth in range(len(address.module)):
            parent = format_module(address.module[:depth])
            name, key = address.module[depth]
            keys = self.modules.setdefault((parent, name), [])
            if key not in keys:
                keys.append(key)

    # -- configuration lookup -------------------------------------------------------
    def module(self, path: tuple[Step, ...]) -> dict[str, Any] | None:
        current = self.root
        for name, _key in path:
            call = as_dict(as_dict(current.get("module_calls")).get(name))
            current = as_dict(call.get("module"))
            if not current:
                return None
        return current

    def module_call(self, path: tuple[Step, ...]) -> dict[str, Any]:
        parent = self.module(path[:-1]) if path else None
        if not path or parent is None:
            return {}
        return as_dict(as_dict(parent.get("module_calls")).get(path[-1][0]))

    def resource(self, address: Address) -> dict[str, Any]:
        module = self.module(address.module)
        if module is None:
            return {}
        index = self._resources.get(id(module))
        if index is None:
            index = {}
            items = module.get("resources")
            for item in items if isinstance(items, list) else ():
                if isinstance(item, dict) and isinstance(item.get("address"), str):
                    index[(str(item.get("mode", "managed")), item["address"])] = item
            self._resources[id(module)] = index
        return index.get((address.mode, address.resource), {})

    def scope_of(self, address: Address) -> Scope:
        config = self.resource(address)
        return Scope(address.module, address.key,
                     tuple(_refs(config.get("for_each_expression"))))

    # -- resolution -----------------------------------------------------------------
    def resolve(self, refs: list[str], scope: Scope, many: bool, depth: int = 0) -> list[str]:
        """Instance addresses that ``refs`` (one expression's references) point at."""
        if depth > _MAX_DEPTH:
            return []
        key = (tuple(refs), scope, many)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._resolve(refs, scope, many, depth)
        return cached

    def _resolve(self, refs: list[str], scope: Scope, many: bool, depth: int) -> list[str]:
        found: list[str] = []
        flags = _Flags(refs)
        groups: dict[str, Address] = {}
        for ref in refs:
            head = ref.split(".", 1)[0]
            if head == "var":
                found += self._var(ref, scope, many, depth)
            elif head == "module":
                found += self._output(ref, scope, flags, many, depth)
            elif head not in ("each", "count", "local", "path", "terraform", "self"):
                target = parse_address(ref)
                if target is not None and (target.resource not in groups
                                           or target.key is not None):
                    groups[target.resource] = target
        for target in groups.values():
            found += self._instances(target, scope, flags, many)
        if flags.each_value and not groups:
            found += self._each_value(scope)
        return list(dict.fromkeys(found))

    def _instances(self, target: Address, scope: Scope, flags: _Flags, many: bool) -> list[str]:
        candidates = self.instances.get((format_module(scope.module), target.resource), {})
        return _pick(candidates, target.key, scope.key, flags, many)

    def _each_value(self, scope: Scope) -> list[str]:
        """``each.value`` of ``for_each = <resource>``: the instance with the same key."""
        found: list[str] = []
        for ref in scope.for_each:
            target = parse_address(ref)
            if target is not None and target.key is None:
                found += self._instances(target, scope, _Flags(["each.key"]), False)
        return found

    def _var(self, ref: str, scope: Scope, many: bool, depth: int) -> list[str]:
        if not scope.module:
            return []
        steps = tokenize(ref) or []
        if len(steps) < 2:
            return []
        call = self.module_call(scope.module)
        expression = as_dict(call.get("expressions")).get(steps[1][0])
        parent = Scope(scope.module[:-1], scope.module[-1][1],
                       tuple(_refs(call.get("for_each_expression"))))
        return self.resolve(_refs(expression), parent, many, depth + 1)

    def _output(self, ref: str, scope: Scope, flags: _Flags, many: bool,
                depth: int) -> list[str]:
        module, rest = split_modules(tokenize(ref) or [])
        if len(module) != 1 or not rest:
            return []
        name, key = module[0]
        keys = self.modules.get((format_module(scope.module), name), [])
        chosen = _pick({k: k for k in keys}, key, scope.key, flags, many)
        found: list[str] = []
        for child_key in chosen:
            path = (*scope.module, (name, child_key))
            config = self.module(path) or {}
            output = as_dict(as_dict(config.get("outputs")).get(rest[0][0]))
            found += self.resolve(_refs(output.get("expression")), Scope(path), many, depth + 1)
        return found


@dataclass(frozen=True, slots=True)
class _Flags:
    count_index: bool
    each_key: bool
    each_value: bool

    def __init__(self, refs: list[str]) -> None:
        object.__setattr__(self, "count_index", "count.index" in refs)
        object.__setattr__(self, "each_key", "each.key" in refs)
        object.__setattr__(self, "each_value", any(r.startswith("each.value") for r in refs))


def _pick(candidates: Mapping[Key, Any], explicit: Key, own: Key, flags: _Flags,
          many: bool) -> list[Any]:
    """The candidates whose instance key matches the reference (see the module doc)."""
    if not candidates:
        return []
    if explicit is not None:
        return [candidates[explicit]] if explicit in candidates else []
    if None in candidates:
        return [candidates[None]]
    paired = (flags.count_index and isinstance(own, int)) or (
        (flags.each_key or flags.each_value) and isinstance(own, str))
    if paired:
        return [candidates[own]] if own in candidates else []
    return list(candidates.values()) if many else []


def expression_at(expressions: Any, path: str) -> Any:
    """The configuration expression for the property ``path`` (``os_disk.0.caching``)."""
    current: Any = expressions
    for part in path.split("."):
        if isinstance(current, list):
            if not part.isdigit() or int(part) >= len(current):
                return None
            current = current[int(part)]
        elif isinstance(current, Mapping):
            if "references" in current or "constant_value" in current:
                # one expression for a whole list attribute covers its elements only
                return current if part.isdigit() else None
            current = current.get(part)
        else:
            return None
    return current


def walk_references(expressions: Any, prefix: str = "") -> list[tuple[str, list[str]]]:
    """Every ``(property path, references)`` in an ``expressions`` tree."""
    found: list[tuple[str, list[str]]] = []
    if isinstance(expressions, list):
        for index, block in enumerate(expressions):
            found += walk_references(block, f"{prefix}{index}.")
        return found
    for name, expression in as_dict(expressions).items():
        if not isinstance(name, str):
            continue
        refs = _refs(expression)
        if refs:
            found.append((prefix + name, refs))
        elif isinstance(expression, (list, dict)) and "constant_value" not in as_dict(expression):
            inner = f"{prefix}{name}."
            found += walk_references(expression, inner)
    return found
