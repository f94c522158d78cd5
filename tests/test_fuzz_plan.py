"""Hypothesis: mutated and generated Terraform plans parse (and link) or raise InputError."""

from __future__ import annotations

import json
from pathlib import Path

from fuzz_strategies import (
    json_kind,
    json_values,
    mutated_text,
    parse_and_link,
    seed_text,
    seeds,
    written_beside,
    wrong_typed_json,
)
from hypothesis import example, given
from hypothesis import strategies as st

from azbackup_policy.discover import FileLoader, Source
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers.terraform_plan import parse

PLANS = seeds(lambda p: json_kind(p) == "terraform-plan")


def _not_lists(seed: Path) -> tuple[Path, str]:
    """b9d5b42: module ``resources`` and ``child_modules`` that are not lists."""
    plan = json.loads(seed_text(seed))
    plan["planned_values"]["root_module"]["resources"] = 5
    plan["planned_values"]["root_module"]["child_modules"] = 3
    plan.setdefault("configuration", {})["root_module"] = {"resources": 2}
    return seed, json.dumps(plan)


def test_there_are_seeds() -> None:
    assert len(PLANS) >= 8


@given(mutated_text(PLANS))
def test_mutated_plans(case: tuple[Path, str]) -> None:
    seed, text = case
    with written_beside(seed, text) as path:
        parse_and_link(path, "terraform-plan")


@given(wrong_typed_json(PLANS))
@example(_not_lists(PLANS[0]))
def test_plans_with_wrong_types(case: tuple[Path, str]) -> None:
    seed, text = case
    with written_beside(seed, text) as path:
        parse_and_link(path, "terraform-plan")


RESOURCE = st.fixed_dictionaries(
    {"address": st.sampled_from(["azurerm_linux_virtual_machine.vm",
                                 "azurerm_backup_protected_vm.p[0]", "module.m.azurerm_x.y",
                                 'azurerm_windows_virtual_machine.w["a"]', "x", "", "a.b.c.d"])
     | st.text(max_size=20),
     "mode": st.sampled_from(["managed", "data"]) | json_values(),
     "type": st.sampled_from(["azurerm_linux_virtual_machine", "azurerm_backup_protected_vm",
                              "azurerm_backup_policy_vm", "azurerm_recovery_services_vault",
                              "azapi_resource"]),
     "name": st.sampled_from(["vm", "p", "y"]),
     "values": json_values(), "sensitive_values": json_values()})


@given(st.lists(RESOURCE, max_size=4), json_values(), json_values())
def test_generated_plans(resources: list[object], changes: object, configuration: object) -> None:
    plan = {"format_version": "1.2", "planned_values": {"root_module": {
        "resources": resources, "child_modules": [{"resources": resources}]}},
        "resource_changes": changes if isinstance(changes, list) else [],
        "configuration": configuration if isinstance(configuration, dict) else {}}
    with written_beside(PLANS[0], json.dumps(plan), "generated-plan.json") as path:
        parse_and_link(path, "terraform-plan")


def test_module_parts_that_are_not_lists_are_read_as_empty() -> None:
    """b9d5b42 (found by Hypothesis): such a plan is still read, not even an input error."""
    seed, text = _not_lists(PLANS[0])
    with written_beside(seed, text) as path:
        (document,) = parse(Source(str(path), "terraform-plan"), ParseContext(FileLoader()))
    assert document.format == "terraform-plan" and document.problems == ()
