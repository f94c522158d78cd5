"""No rule may fail on a value that is not known before apply.

Every model field typed ``Maybe[...]`` can hold an ``Unknown`` (a variable without a default,
a value known after apply, a sensitive value in a plan). A rule that asks the truth of one
(``if unknown and ...``) raises, and the scan exits 3 with a rule failure. These tests run every
built-in rule, in normal and in strict mode, over the estates of the bundled fixtures with
unknown values put in: in every such field at once, in every field of one object, and in one
field at a time (nested disks, NICs, extensions and images included).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from azbackup_policy import ScanOptions
from azbackup_policy.engine import EngineSettings, run
from azbackup_policy.model import Estate, ModelObject, Unknown
from azbackup_policy.pipeline import available_rules, load_units
from azbackup_policy.rules import Rule

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
COLLECTIONS = tuple(f.name for f in dataclasses.fields(Estate)
                    if f.init and f.name not in ("unresolved", "unread"))
ORGANISATION = {"require_protection": True, "protect_tag": "backup",
                "allowed_policy_types": ["V2"], "min_daily_retention_days": 30,
                "allowed_vault_redundancy": ["GeoRedundant"],
                "require_cross_region_restore": True,
                "require_soft_delete_or_immutability": True, "opt_out_tag": "backup-exempt"}


def _maybe_fields(obj: Any) -> list[str]:
    return [f.name for f in dataclasses.fields(obj) if "Maybe" in str(f.type)]


def all_unknown(value: Any, path: str = "") -> Any:
    """``value`` with every ``Maybe`` field of every model object in it made unknown."""
    if isinstance(value, tuple):
        return tuple(all_unknown(item, path) for item in value)
    if not dataclasses.is_dataclass(value) or isinstance(value, (type, Unknown)):
        return value
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(value):
        inner = getattr(value, f.name)
        if f.name in _maybe_fields(value):
            changes[f.name] = Unknown(f"var.{path}{f.name}")
        elif dataclasses.is_dataclass(inner) or isinstance(inner, tuple):
            changes[f.name] = all_unknown(inner, f"{path}{f.name}.")
    return dataclasses.replace(value, **changes)


def one_unknown(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(field path, ``value`` with only that field unknown), through nested objects (every
    element of a tuple of objects)."""
    if not dataclasses.is_dataclass(value) or isinstance(value, (type, Unknown)):
        return
    maybe = _maybe_fields(value)
    for f in dataclasses.fields(value):
        inner = getattr(value, f.name)
        if f.name in maybe:
            yield f"{path}{f.name}", dataclasses.replace(
                value, **{f.name: Unknown(f"var.{f.name}")})
        if dataclasses.is_dataclass(inner) and not isinstance(inner, Unknown):
            for where, changed in one_unknown(inner, f"{path}{f.name}."):
                yield where, dataclasses.replace(value, **{f.name: changed})
        elif isinstance(inner, tuple):
            for index, item in enumerate(inner):
                for where, changed in one_unknown(item, f"{path}{f.name}[{index}]."):
                    yield where, dataclasses.replace(
                        value, **{f.name: (*inner[:index], changed, *inner[index + 1:])})


# fixtures/boundaries repeats the shapes of fixtures/rules at limit-1, limit and limit+1
# (6,700 VMs): nothing a rule reads that the other folders do not already hold.
FOLDERS = sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name != "boundaries")


@cache
def fixture_units() -> tuple[tuple[str, Estate], ...]:
    loaded = load_units([str(p) for p in FOLDERS], ScanOptions(cwd=str(FIXTURES.parent)))
    return tuple((unit.path, unit.estate) for unit in loaded.units)


@cache
def rules() -> tuple[Rule, ...]:
    return tuple(available_rules())


def failures(estate: Estate, strict: bool) -> list[str]:
    settings = EngineSettings(strict=strict, options={"organisation": ORGANISATION})
    result = run([("unit", estate)], rules(), settings)
    return [f"{f.rule_id}: {f.message}" for f in result.failures]


def varied(estate: Estate) -> Iterator[tuple[str, Estate]]:
    for name in COLLECTIONS:
        group = getattr(estate, name)
        for index, obj in enumerate(group):
            whole = [("(every field)", all_unknown(obj))]
            for where, changed in [*whole, *one_unknown(obj)]:
                yield f"{name}[{index}].{where}", dataclasses.replace(
                    estate, **{name: (*group[:index], changed, *group[index + 1:])})


def representative_units() -> list[tuple[str, Estate]]:
    """The first fixture unit holding each kind of object, and the unit with most VMs' worth
    of nested objects; enough to reach every field of every kind once."""
    chosen: dict[str, Estate] = {}
    for name in COLLECTIONS:
        found = next(((path, est) for path, est in fixture_units() if getattr(est, name)), None)
        if found is not None:
            chosen.setdefault(found[0], found[1])
    return sorted(chosen.items())


def test_the_fixtures_hold_every_kind_of_model_object() -> None:
    """Otherwise the tests below would not reach some rule targets."""
    missing = [name for name in COLLECTIONS
               if not any(getattr(estate, name) for _, estate in fixture_units())]
    assert missing == []
    assert all(isinstance(obj, ModelObject) for _, estate in fixture_units()
               for name in COLLECTIONS for obj in getattr(estate, name))


@pytest.mark.parametrize("strict", [False, True], ids=["normal", "strict"])
def test_every_rule_survives_every_field_unknown_at_once(strict: bool) -> None:
    broken = {}
    for path, estate in fixture_units():
        failed = failures(all_unknown(estate), strict)
        if failed:
            broken[path] = failed
    assert broken == {}


@pytest.mark.parametrize("strict", [False, True], ids=["normal", "strict"])
def test_every_rule_survives_each_object_and_each_field_unknown_alone(strict: bool) -> None:
    broken: dict[str, list[str]] = {}
    runs = 0
    for path, estate in representative_units():
        for where, changed in varied(estate):
            runs += 1
            failed = failures(changed, strict)
            if failed:
                broken[f"{path}: {where}"] = failed
    assert runs > 100
    assert broken == {}
