"""The estate-basic scenario: HCL gives the plan's addresses, values and links.

Runs once the scenario (``fixtures/scenarios/estate-basic``) and the plan parser are on
the branch. Every value HCL knows must equal the plan's value at the same path; the plan
may know more (provider defaults, computed attributes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_terraform_hcl_helpers import parse_folder

from azbackup_policy.discover import FileLoader, Source
from azbackup_policy.model import is_known
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers import terraform_plan as plan_parser

SCENARIO = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios" / "estate-basic"


def known_leaves(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, item in value.items():
            found.update(known_leaves(item, f"{path}.{key}" if path else key))
        return found
    if isinstance(value, list) and value and isinstance(value[0], dict):
        found = {}
        for index, item in enumerate(value):
            found.update(known_leaves(item, f"{path}.{index}"))
        return found
    return {path: value} if is_known(value) else {}


def value_at(properties: Any, path: str) -> Any:
    current = properties
    for part in path.split("."):
        current = current[int(part)] if isinstance(current, list) else current[part]
    return current


@pytest.fixture(scope="module")
def both() -> tuple[dict[str, Any], dict[str, Any]]:
    hcl = parse_folder(SCENARIO / "terraform")
    plan_docs = plan_parser.parse(Source(str(SCENARIO / "tfplan.json"), "terraform-plan"),
                                  ParseContext(FileLoader()))
    plan = {r.address: r for doc in plan_docs for r in doc.resources}
    return {r.address: r for r in hcl.resources}, plan


def test_same_addresses_as_the_plan(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    hcl, plan = both
    assert sorted(hcl) == sorted(plan)
    assert "module.db.azurerm_linux_virtual_machine.db" in hcl
    assert 'azurerm_windows_virtual_machine.api["api-b"]' in hcl


def test_every_known_value_matches_the_plan(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    hcl, plan = both
    for address, resource in hcl.items():
        for path, value in known_leaves(dict(resource.properties)).items():
            assert value_at(plan[address].properties, path) == value, (address, path)


def test_same_links_and_secrets_as_the_plan(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    hcl, plan = both
    for address, resource in hcl.items():
        assert dict(resource.references) == dict(plan[address].references), address
        assert resource.sensitive_paths == plan[address].sensitive_paths, address


def test_linked_estate_has_the_plans_links(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    from azbackup_policy.linkers import link

    hcl = link(parse_folder(SCENARIO / "terraform"))
    (plan_doc,) = plan_parser.parse(Source(str(SCENARIO / "tfplan.json"), "terraform-plan"),
                                    ParseContext(FileLoader()))
    plan = link(plan_doc)

    def links(estate: Any) -> set[tuple[Any, ...]]:
        return {(p.address, p.vm, p.policy, p.vault) for p in estate.protections}

    def machines(estate: Any) -> set[tuple[Any, ...]]:
        return {(vm.address, vm.name, vm.size, vm.security_type,
                 tuple(n.name for n in vm.nics), tuple(d.name for d in vm.data_disks))
                for vm in estate.vms}

    assert links(hcl) == links(plan)
    assert machines(hcl) == machines(plan)
    assert {p.address: p for p in hcl.policies} == {p.address: p for p in plan.policies}
    unprotected = [vm.name for vm in hcl.vms if not hcl.protections_of(vm)]
    assert unprotected == ["vm-jump"]
