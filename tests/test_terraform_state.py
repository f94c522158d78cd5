"""Terraform state JSON (``terraform show -json`` with no plan file): what is deployed,
through the same azurerm linker and rules as a plan."""

from __future__ import annotations

import io
import json

import pytest
from conftest import FIXTURES

from azbackup_policy.cli import main
from azbackup_policy.pipeline import ScanOptions, load_units, scan


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, environ={})
    return code, out.getvalue(), err.getvalue()

SCENARIOS = ["estate-basic", "one-problem-per-vm"]


def _findings(path: str, strict: bool = False) -> set[tuple[str, str, tuple[str, ...], str]]:
    report = scan([path], ScanOptions(strict=strict))
    assert not report.errors, report.errors
    return {(f.rule_id, f.resource.address, f.matrix_rows, f.kind) for f in report.findings}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_state_gives_the_plans_findings(scenario: str) -> None:
    folder = FIXTURES / "scenarios" / scenario
    plan = _findings(str(folder / "tfplan.json"))
    state = _findings(str(folder / "tfstate.json"))
    assert plan, "the scenario must have findings for the comparison to mean anything"
    assert state == plan


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_state_knows_what_the_plan_left_to_apply(scenario: str) -> None:
    """Ids the plan cannot know are known in a state: strict mode has fewer reviews, and
    no review that the state does not also have in the plan."""
    folder = FIXTURES / "scenarios" / scenario
    plan = {f for f in _findings(str(folder / "tfplan.json"), True) if f[3] == "review"}
    state = {f for f in _findings(str(folder / "tfstate.json"), True) if f[3] == "review"}
    assert state < plan


def test_state_document_counts_every_resource_as_deployed() -> None:
    loaded = load_units([str(FIXTURES / "scenarios" / "estate-basic" / "tfstate.json")])
    (unit,) = loaded.units
    assert unit.format == "terraform-state"
    assert len(unit.estate.vms) == 6
    names = {vm.address: vm.name for vm in unit.estate.vms}
    protected = {names[p.vm] for p in unit.estate.protections if p.vm in names}
    assert protected == {"vm-web-0", "vm-web-1", "vm-api-a", "vm-api-b", "vm-db"}


def _state(resources: list[dict[str, object]]) -> dict[str, object]:
    return {"format_version": "1.0", "terraform_version": "1.9.8",
            "values": {"outputs": {}, "root_module": {"resources": resources}}}


def test_a_state_with_no_resources_is_clean(tmp_path) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(_state([])))
    code, _, err = run_cli("scan", str(path))
    assert code == 0, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ('{"format_version": "1.0", "terraform_version": "1.9.8",\n "values": [1, 2]}',
         ":2:2:", "values must be an object"),
        ('{"format_version": "1.0", "terraform_version": "1.9.8",\n "values": {"root_module":'
         ' {"resources": [}}}', ":2:43:", "invalid JSON"),
        ('{"format_version": "9.0", "terraform_version": "1.9.8",\n "values": {}}',
         ":1:2:", "unsupported plan format_version"),
    ],
    ids=["values-not-object", "syntax", "version"],
)
def test_malformed_state_is_a_located_input_error_and_others_are_scanned(
        tmp_path, text: str, where: str, words: str) -> None:
    bad = tmp_path / "bad-state.json"
    bad.write_text(text)
    good = FIXTURES / "scenarios" / "estate-basic" / "tfstate.json"
    code, out, err = run_cli("scan", "--format", "json", str(bad), str(good))
    assert code == 2
    assert "Traceback" not in err
    report = json.loads(out)
    (problem,) = report["errors"]
    assert f"{problem['file']}:{problem['line']}:{problem['column']}:".endswith(
        f"bad-state.json{where}"), problem
    assert words in problem["message"]
    assert report["findings"], "the good state is still scanned"
