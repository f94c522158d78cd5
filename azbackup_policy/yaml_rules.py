"""Rules written in YAML, for people who do not write Python.

A rule file holds ``rules:``, a list of rules with the same metadata as a Python rule
(id, name, area, severity, matrix_rows, summary, help), a ``target`` (vm, policy, vault or
protection), a ``condition`` and a ``message``. The rule reports its target when the
condition is true::

    rules:
      - id: ACME-VM-001
        name: prod-vm-premium-os-disk
        area: organisation
        severity: warning
        summary: Production VMs use a Premium SSD OS disk.
        help: Our restore-time objective needs Premium OS disks in production.
        target: vm
        condition:
          all:
            - {field: tags.env, equals: prod}
            - {field: os_disk.storage_type, not_in: [Premium_LRS, Premium_ZRS]}
        message: "VM {name} in prod has a {os_disk.storage_type} OS disk"

Field paths walk the model (``os_disk.storage_type``, ``size``, ``tags.env``,
``data_disks.*.size_gb`` for "any data disk") and ``linked.policy`` / ``linked.vault`` /
``linked.protection`` / ``linked.vm`` reach the objects a protected item ties together.
Strings compare without regard to case. A field that is not set matches only
``exists: false`` and ``equals: null``. A condition whose outcome depends on an unknown
value is not a violation; in strict mode it is a *could-not-verify* review.

Files are read with ``yaml.safe_load`` and validated against ``yaml_rules.schema.json``;
every error is a :class:`~azbackup_policy.errors.ConfigError` naming the file and key path.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

from azbackup_policy.config import read_config_text, schema_errors, yaml_mapping
from azbackup_policy.errors import ConfigError
from azbackup_policy.model import (
    BackupPolicy,
    ModelObject,
    Protection,
    Unknown,
    Vault,
    VirtualMachine,
)
from azbackup_policy.rules import Observation, Rule, RuleContext, Severity, Target

TARGETS: dict[str, tuple[Target, type[ModelObject]]] = {
    "vm": (Target.VM, VirtualMachine),
    "policy": (Target.POLICY, BackupPolicy),
    "vault": (Target.VAULT, Vault),
    "protection": (Target.PROTECTION, Protection),
}
LINKS: dict[type[ModelObject], dict[str, type[ModelObject]]] = {
    VirtualMachine: {"protection": Protection, "policy": BackupPolicy, "vault": Vault},
    Protection: {"vm": VirtualMachine, "policy": BackupPolicy, "vault": Vault},
    BackupPolicy: {"vault": Vault},
    Vault: {},
}
SECRET_FIELDS = frozenset({"custom_data"})
OPERATORS = ("equals", "in", "not_in", "gt", "lt", "exists", "is_unknown")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.*-]*)\}")

Outcome = bool | Unknown
"""Three-valued: true, false, or unknown (with the expression that made it unknown)."""


@cache
def rules_schema() -> Mapping[str, Any]:
    text = resources.files("azbackup_policy").joinpath("yaml_rules.schema.json").read_text(
        "utf-8")
    schema: Mapping[str, Any] = json.loads(text)
    return schema


# --- loading ------------------------------------------------------------------------------


def load_rule_files(paths: Iterable[str], taken: Iterable[str] = ()) -> list[Rule]:
    """The rules of every file in ``paths``; an id already in ``taken`` is an error."""
    seen = set(taken)
    out: list[Rule] = []
    for path in paths:
        for rule in load_rules(read_config_text(path), path):
            if rule.id in seen:
                raise ConfigError(path, f"rules[{len(out)}].id", f"rule id {rule.id} is "
                                  "already defined")
            seen.add(rule.id)
            out.append(rule)
    return out


def load_rules(text: str, file: str) -> list[Rule]:
    """The rules of one YAML rule file's ``text``."""
    data = yaml_mapping(text, file)
    for key_path, message in schema_errors(rules_schema(), data):
        raise ConfigError(file, key_path, message)
    return [_rule(item, file, f"rules[{i}]") for i, item in enumerate(data["rules"])]


def _rule(item: Mapping[str, Any], file: str, key_path: str) -> Rule:
    target, cls = TARGETS[item["target"]]
    condition = item["condition"]
    for where, path in _fields(condition, f"{key_path}.condition"):
        _check_path(cls, path, file, where)
    for name in _PLACEHOLDER.findall(item["message"]):
        _check_path(cls, name, file, f"{key_path}.message")
    return Rule(
        id=item["id"], name=item["name"], area=item["area"],
        severity=Severity(item["severity"]), matrix_rows=tuple(item.get("matrix_rows", ())),
        summary=item["summary"], help=item["help"], target=target,
        check=YamlCheck(item["id"], with_choices(condition), item["message"]),
        tags=("yaml",), origin=f"yaml:{file}",
    )


@dataclasses.dataclass(frozen=True)
class Choices:
    """The list of an ``in``/``not_in`` test, with its values as a set: each test is one
    lookup, so a long list in a rule file does not multiply with the size of the estate."""

    items: tuple[Any, ...]
    keys: frozenset[Any]
    others: tuple[Any, ...]  # items with no key (compared one by one)

    @classmethod
    def of(cls, items: Sequence[Any]) -> Choices:
        keyed = [(_key(item), item) for item in items]
        return cls(tuple(items), frozenset(k for k, _ in keyed if k is not None),
                   tuple(item for k, item in keyed if k is None))

    def __contains__(self, value: object) -> bool:
        key = _key(value)
        if key is not None and key in self.keys:
            return True
        pool = self.items if key is None else self.others
        return any(_equal(value, item) for item in pool)


def _key(value: Any) -> Any:
    """A hashable key equal exactly when :func:`_equal` says equal, or None."""
    if isinstance(value, str):
        return ("s", value.casefold())
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", value)
    if value is None:
        return ("z",)
    return None


def with_choices(condition: Mapping[str, Any]) -> Mapping[str, Any]:
    """``condition`` with the lists of ``in``/``not_in`` as :class:`Choices`."""
    out = dict(condition)
    for combinator in ("all", "any"):
        if combinator in out:
            out[combinator] = [with_choices(child) for child in out[combinator]]
    if "not" in out:
        out["not"] = with_choices(out["not"])
    for operator in ("in", "not_in"):
        if isinstance(out.get(operator), list):
            out[operator] = Choices.of(out[operator])
    return out


def _fields(condition: Mapping[str, Any], key_path: str) -> Iterator[tuple[str, str]]:
    if "field" in condition:
        yield f"{key_path}.field", condition["field"]
    for combinator in ("all", "any"):
        for index, child in enumerate(condition.get(combinator, ())):
            yield from _fields(child, f"{key_path}.{combinator}[{index}]")
    if "not" in condition:
        yield from _fields(condition["not"], f"{key_path}.not")


# --- checking field paths against the model -----------------------------------------------


def _check_path(cls: type[ModelObject], path: str, file: str, where: str) -> None:
    segments = path.split(".")
    if SECRET_FIELDS & set(segments):
        raise ConfigError(file, where, f"{path}: secret fields cannot be read by rules")
    if segments[0] == "linked":
        links = LINKS[cls]
        if len(segments) < 3 or segments[1] not in links:
            raise ConfigError(file, where, f"{path}: write linked.<{'|'.join(links)}>.<field>")
        cls, segments = links[segments[1]], segments[2:]
    problem = _walk_types(cls, segments)
    if problem:
        raise ConfigError(file, where, f"{path}: {problem}")


def _walk_types(cls: type[ModelObject], segments: Sequence[str]) -> str | None:
    kind: Any = cls
    for segment in segments:
        if kind == "any":
            return None
        if isinstance(kind, tuple):  # ("seq", inner)
            if segment != "*" and not segment.isdigit():
                return f"{segment!r}: a list is followed by * (any item) or an index"
            kind = kind[1]
            continue
        if kind == "scalar":
            return f"{segment!r}: the field before it is a plain value"
        names = _field_types(kind)
        if segment not in names:
            close = difflib.get_close_matches(segment, list(names), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            return f"{kind.__name__} has no field {segment!r}{hint}"
        kind = names[segment]
    return None


@cache
def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    out = {f.name: _kind(hints[f.name]) for f in dataclasses.fields(cls)
           if f.name not in SECRET_FIELDS}
    for name in dir(cls):
        member = getattr(cls, name, None)
        if isinstance(member, property) and not name.startswith("_"):
            out[name] = _kind(typing.get_type_hints(member.fget).get("return"))
    return out


def _kind(hint: Any) -> Any:
    """"scalar", "any" (a mapping), a dataclass, or ("seq", kind)."""
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return hint
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple and args:
        return ("seq", _kind(args[0]))
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        return "any"
    real = [a for a in args if a not in (type(None), Unknown)]
    if origin is not None and real and origin not in (tuple, list):
        return _kind(real[0]) if len(real) == 1 else "scalar"
    return "scalar"


# --- evaluating ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class YamlCheck:
    """The check function of one YAML rule: ``(subject, ctx) -> observations``."""

    rule_id: str
    condition: Mapping[str, Any]
    message: str

    def __call__(self, subject: ModelObject, ctx: RuleContext) -> Iterator[Observation]:
        roots = _roots(subject, ctx)
        outcome, witness = evaluate(self.condition, roots)
        if isinstance(outcome, Unknown):
            yield from ctx.unknown(subject, outcome, f"the condition of rule {self.rule_id}",
                                   attribute=witness)
        elif outcome:
            yield Observation(subject=subject, message=render(self.message, roots),
                              attribute=witness)


def _roots(subject: ModelObject, ctx: RuleContext) -> dict[str, Any]:
    """The subject, and the objects a protected item ties it to (``linked.*``)."""
    estate = ctx.estate
    linked: dict[str, Any] = {}
    if isinstance(subject, VirtualMachine):
        items = estate.protections_of(subject)
        linked["protection"] = items[0] if items else None
    elif isinstance(subject, Protection):
        linked["protection"] = subject
        linked["vm"] = estate.lookup(subject.vm)
    item = linked.get("protection")
    if item is not None:
        linked["policy"] = estate.policy_of(item)
        linked["vault"] = estate.vault_of(item)
    if isinstance(subject, BackupPolicy):
        linked["vault"] = estate.vault_of_policy(subject)
    return {"subject": subject, "linked": linked}


def resolve(path: str, roots: Mapping[str, Any]) -> list[Any]:
    """The values at ``path`` (several when it holds ``*``)."""
    segments = path.split(".")
    values = [roots["linked"]] if segments[0] == "linked" else [roots["subject"]]
    if segments[0] == "linked":
        segments = segments[1:]
    for segment in segments:
        values = [v for value in values for v in _step(value, segment)]
    return values


def _step(value: Any, segment: str) -> list[Any]:
    if value is None or isinstance(value, Unknown) or segment in SECRET_FIELDS:
        return [value if isinstance(value, Unknown) else None]
    if isinstance(value, Mapping):
        found = value.get(segment)
        if found is None:
            lowered = {str(k).lower(): v for k, v in value.items()}
            found = lowered.get(segment.lower())
        return [found]
    if isinstance(value, (tuple, list)):
        if segment == "*":
            return list(value)
        index = int(segment) if segment.isdigit() else len(value)
        return [value[index] if index < len(value) else None]
    if segment.startswith("_"):
        return [None]
    return [getattr(value, segment, None)]


def evaluate(condition: Mapping[str, Any], roots: Mapping[str, Any]) -> tuple[Outcome,
                                                                              str | None]:
    """The outcome of ``condition`` and the field that decided it (for the location)."""
    if "all" in condition:
        return _all([evaluate(c, roots) for c in condition["all"]])
    if "any" in condition:
        return _any([evaluate(c, roots) for c in condition["any"]])
    if "not" in condition:
        outcome, witness = evaluate(condition["not"], roots)
        return (outcome if isinstance(outcome, Unknown) else not outcome), witness
    path = condition["field"]
    operator = next(op for op in OPERATORS if op in condition)
    results = [(_test(operator, condition[operator], v), None) for v in resolve(path, roots)]
    outcome, _ = _any(results)
    return outcome, _attribute(path)


def _attribute(path: str) -> str | None:
    if path.startswith("linked."):
        return None
    return path.split(".*", 1)[0] if "*" in path else path


def _all(results: Sequence[tuple[Outcome, str | None]]) -> tuple[Outcome, str | None]:
    unknown = next((o for o, _ in results if isinstance(o, Unknown)), None)
    if any(o is False for o, _ in results):
        return False, None
    witness = next((w for _, w in results if w is not None), None)
    return (unknown if unknown is not None else True), witness


def _any(results: Sequence[tuple[Outcome, str | None]]) -> tuple[Outcome, str | None]:
    for outcome, witness in results:
        if outcome is True:
            return True, witness
    unknown = next((o for o, _ in results if isinstance(o, Unknown)), None)
    return (unknown if unknown is not None else False), None


def _test(operator: str, expected: Any, value: Any) -> Outcome:
    if operator == "is_unknown":
        return bool(isinstance(value, Unknown) == expected)
    if operator == "exists":
        return bool((value is not None) == expected)
    if isinstance(value, Unknown):
        return value
    if operator == "equals":
        return _equal(value, expected)
    if value is None:
        return False
    if operator in ("in", "not_in"):
        found = value in expected if isinstance(expected, Choices) else any(
            _equal(value, item) for item in expected)
        return found if operator == "in" else not found
    if not _number(value):
        return False
    return bool(value > expected if operator == "gt" else value < expected)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(value: Any, expected: Any) -> bool:
    if isinstance(value, str) and isinstance(expected, str):
        return value.casefold() == expected.casefold()
    if isinstance(value, bool) or isinstance(expected, bool):
        return value is expected
    return bool(value == expected)


def render(template: str, roots: Mapping[str, Any]) -> str:
    """``template`` with each ``{field.path}`` replaced by the value it names."""
    return _PLACEHOLDER.sub(lambda m: _show(resolve(m.group(1), roots)), template)


def _show(values: Sequence[Any]) -> str:
    shown = [_text(v) for v in values]
    return ", ".join(shown) if shown else "none"


def _text(value: Any) -> str:
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, ModelObject):
        return value.address or _text(value.name)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_text(v)}" for k, v in sorted(value.items(), key=str))
    if isinstance(value, (tuple, list)):
        return ", ".join(_text(v) for v in value)
    return str(value)
