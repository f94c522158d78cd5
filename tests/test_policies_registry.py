"""Meta-tests: every built-in rule is registered through the entry points, well formed,
mapped to existing matrix rows, documented, and exercised by a unit test."""

from __future__ import annotations

import re
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import pytest
import tomllib
from policies_support import all_rules

from azbackup_policy.hookspecs import ENTRY_POINT_GROUP
from azbackup_policy.matrix import builtin_matrix, load_rows
from azbackup_policy.rules import Rule, Severity, Target

ROOT = Path(__file__).resolve().parent.parent
AREA_MODULES = sorted(p.stem for p in (ROOT / "policies").glob("*.py")
                      if not p.stem.startswith("_"))
RULES = sorted(all_rules().values(), key=lambda r: r.id)
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
RULE_ID = re.compile(r"^BKP-[A-Z]{3}-\d{3}$")


def test_every_area_module_is_an_entry_point_in_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = project["project"]["entry-points"][ENTRY_POINT_GROUP]
    builtin = {k: v for k, v in declared.items() if v.startswith("azbackup_policy.policies.")}
    assert sorted(builtin) == AREA_MODULES
    assert all(v == f"azbackup_policy.policies.{k}" for k, v in builtin.items())


def test_installed_entry_points_match_pyproject() -> None:
    installed = {ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)
                 if ep.value.startswith("azbackup_policy.policies.")}
    assert sorted(installed) == AREA_MODULES, "re-run pip install -e . after editing pyproject"


def test_every_module_rule_reaches_the_host() -> None:
    from importlib import import_module

    for name in AREA_MODULES:
        module = import_module(f"azbackup_policy.policies.{name}")
        for rule in module.azbackup_policy_rules():
            assert all_rules()[rule.id].origin == f"azbackup-policy:{name}"


def _module_rules(name: str) -> tuple[dict[str, Rule], list[Rule]]:
    """The Rules bound to names in a policy module, and those its hook returns."""
    from importlib import import_module

    module = import_module(f"azbackup_policy.policies.{name}")
    bound = {key: value for key, value in vars(module).items() if isinstance(value, Rule)}
    return bound, list(module.azbackup_policy_rules())


@pytest.mark.parametrize("name", AREA_MODULES)
def test_every_rule_a_module_defines_is_in_its_hook_list(name: str) -> None:
    """A rule defined but left out of ``azbackup_policy_rules()`` would never run."""
    bound, hooked = _module_rules(name)
    hooked_ids = {rule.id for rule in hooked}
    orphans = sorted(f"{key} ({rule.id})" for key, rule in bound.items()
                     if rule.id not in hooked_ids)
    assert not orphans, f"policies/{name}.py: add to azbackup_policy_rules(): {orphans}"


@pytest.mark.parametrize("name", AREA_MODULES)
def test_rule_objects_are_named_one_way(name: str) -> None:
    """A module-level rule is a lower_case name (a decorated check or a factory result),
    bound once."""
    bound, _ = _module_rules(name)
    assert [key for key in bound if not re.fullmatch(r"[a-z][a-z0-9_]*", key)] == []
    ids = [rule.id for rule in bound.values()]
    assert len(ids) == len(set(ids)), f"a rule of policies/{name}.py has two names"


def test_the_orphan_check_sees_an_orphan(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import import_module

    module = import_module("azbackup_policy.policies.storage")
    some = next(iter(module.azbackup_policy_rules()))
    monkeypatch.setattr(module, "orphan_rule", replace(some, id="BKP-STO-999"), raising=False)
    with pytest.raises(AssertionError, match="orphan_rule"):
        test_every_rule_a_module_defines_is_in_its_hook_list("storage")


def test_ids_and_names_are_unique() -> None:
    assert len({r.id for r in RULES}) == len(RULES)
    assert len({r.name for r in RULES}) == len(RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_metadata(rule: Rule) -> None:
    assert RULE_ID.match(rule.id)
    assert KEBAB.match(rule.name)
    assert rule.area in AREA_MODULES
    assert isinstance(rule.severity, Severity) and isinstance(rule.target, Target)
    assert rule.summary and rule.summary.endswith(".")
    assert rule.article_date == builtin_matrix().article.date  # the one article date
    assert "**Fix:**" in rule.help
    assert re.search(r"Before:\n\n```\w+\n.+?\n```", rule.help, re.DOTALL)
    assert re.search(r"After:\n\n```\w+\n.+?\n```", rule.help, re.DOTALL)


def test_rule_rows_exist() -> None:
    rows = set(load_rows())
    unknown = {r.id: set(r.matrix_rows) - rows for r in RULES if set(r.matrix_rows) - rows}
    assert all(r.matrix_rows for r in RULES)
    assert unknown == {}


def test_every_rule_is_documented() -> None:
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert f"### {rule.id} {rule.name}" in text


def test_every_rule_has_unit_tests() -> None:
    text = "".join(p.read_text(encoding="utf-8")
                   for p in (ROOT / "tests").glob("test_*.py") if p.name != Path(__file__).name)
    missing = [r.id for r in RULES if f'"{r.id}"' not in text]
    assert missing == []


def test_area_prefix_is_consistent() -> None:
    prefixes: dict[str, set[str]] = {}
    for rule in RULES:
        prefixes.setdefault(rule.area, set()).add(rule.id.split("-")[1])
    assert all(len(p) == 1 for p in prefixes.values()), prefixes


_SOURCE_NOTES = re.compile(r"MATRIX\.md|IAC\.md|\bS\d{1,2}\b")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_help_cites_microsofts_articles_not_notes_outside_the_repository(rule: Rule) -> None:
    for text in (rule.summary, rule.help):
        assert not _SOURCE_NOTES.search(text), _SOURCE_NOTES.search(text)
        assert "{matrix." not in text  # every placeholder was filled


def test_rule_texts_quote_the_matrix_data() -> None:
    """A limit in a summary comes from the data: changing the data changes the text."""
    from dataclasses import replace

    from azbackup_policy.authoring import fill_matrix

    data = builtin_matrix()
    bigger = replace(data, disks=replace(data.disks, max_disks_per_vm=40))
    template = "at most {matrix.disks.max_disks_per_vm} data disks"
    assert fill_matrix(template, data) == f"at most {data.disks.max_disks_per_vm} data disks"
    assert fill_matrix(template, bigger) == "at most 40 data disks"
    assert str(data.disks.max_disks_per_vm) in all_rules()["BKP-STO-004"].summary
    assert f"{data.policy.max_recovery_points} recovery" in all_rules()["BKP-FRQ-016"].summary
    assert fill_matrix("{matrix.disks.max_disk_size_gb|tib} TiB", data) == \
        f"{data.disks.max_disk_size_gb // 1024} TiB"
    with pytest.raises(AttributeError):
        fill_matrix("{matrix.disks.max_disk}", data)
