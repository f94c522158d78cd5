"""ARM what-if results: what Azure Resource Manager predicts, through the ARM linker and
the same rules as templates."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES

from azbackup_policy.cli import main
from azbackup_policy.discover import WHATIF, sniff_json
from azbackup_policy.model import Unknown
from azbackup_policy.pipeline import ScanOptions, load_units, scan

WHATIF_DIR = FIXTURES / "whatif"
RG = WHATIF_DIR / "resource-group" / "whatif.json"
RG_POWERSHELL = WHATIF_DIR / "resource-group" / "whatif.powershell.json"
SUBSCRIPTION = WHATIF_DIR / "subscription" / "whatif.json"
Key = tuple[str, str | None, tuple[str, ...], str]


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, environ={})
    return code, out.getvalue(), err.getvalue()


def findings(path: Path, strict: bool = False) -> set[Key]:
    report = scan([str(path)], ScanOptions(strict=strict))
    assert not report.errors, report.errors
    return {(f.rule_id, f.vm, f.matrix_rows, f.kind.value) for f in report.findings}


@pytest.mark.parametrize("scenario", ["estate-basic", "one-problem-per-vm"])
def test_whatif_gives_the_templates_findings(scenario: str) -> None:
    folder = FIXTURES / "scenarios" / scenario
    template = findings(folder / "arm")
    assert template, "the scenario must have findings for the comparison to mean anything"
    assert findings(folder / "whatif.json") == template


@pytest.mark.parametrize("scenario", ["estate-basic", "one-problem-per-vm"])
def test_whatif_knows_what_the_template_could_not(scenario: str) -> None:
    """``resourceGroup().name`` is unknown in a template and known in a what-if result:
    strict mode's reviews about it are gone, and no new one appears."""
    folder = FIXTURES / "scenarios" / scenario
    template = {f for f in findings(folder / "arm", True) if f[3] == "review"}
    whatif = {f for f in findings(folder / "whatif.json", True) if f[3] == "review"}
    assert whatif < template


def _unit(path: Path) -> Any:
    loaded = load_units([str(path)])
    assert not loaded.errors, loaded.errors
    (unit,) = loaded.units
    return unit, loaded


def test_resource_group_whatif_reads_every_change_but_deletes() -> None:
    unit, loaded = _unit(RG)
    assert unit.format == "arm-whatif"
    estate = unit.estate
    assert {vm.name for vm in estate.vms} == {"vm-shop-app", "vm-shop-db"}  # legacy: Delete
    (vault,) = estate.vaults
    assert vault.cross_region_restore is True  # the Modify's after, not its before
    (protection,) = estate.protections
    by_address = {vm.address: vm.name for vm in estate.vms}
    assert by_address[protection.vm] == "vm-shop-db"  # linked by id, across resource groups
    (policy,) = estate.policies
    assert policy.name == "pol-shop-daily"  # NoChange: still part of the estate
    (skipped,) = loaded.not_followed
    assert skipped.source.endswith("/virtualMachines/vm-shop-batch")
    assert "cannot be calculated until the deployment is under way" in skipped.reason


def test_an_unevaluated_expression_left_in_a_payload_is_unknown() -> None:
    loaded = load_units([str(RG)])
    document_vm = next(vm for vm in loaded.units[0].estate.vms if vm.name == "vm-shop-app")
    assert document_vm.security_type == "TrustedLaunch"
    from azbackup_policy.discover import FileLoader, Source
    from azbackup_policy.parsers import ParseContext
    from azbackup_policy.parsers.arm.whatif import parse

    (document,) = parse(Source(str(RG), WHATIF, True), ParseContext(FileLoader()))
    vm = next(r for r in document.resources if r.address.endswith("/vm-shop-app"))
    key = vm.properties["properties"]["osProfile"]["linuxConfiguration"]["ssh"]["publicKeys"][0]
    assert isinstance(key["keyData"], Unknown)
    assert key["keyData"].expression.startswith("reference(resourceId(")
    assert vm.action == "create"
    assert vm.span.line == 3  # the changes[0] entry


@pytest.mark.parametrize("folder", ["resource-group", "subscription"])
def test_powershell_shape_gives_the_same_findings_as_the_cli_shape(folder: str) -> None:
    cli = findings(WHATIF_DIR / folder / "whatif.json")
    assert cli
    assert findings(WHATIF_DIR / folder / "whatif.powershell.json") == cli


def test_rest_shape_with_properties_is_read(tmp_path: Path) -> None:
    data = json.loads(RG.read_text())
    rest = {"status": data.pop("status"), "properties": data}
    path = tmp_path / "rest.json"
    path.write_text(json.dumps(rest, indent=2))
    assert findings(path) == findings(RG)


def test_subscription_scope_whatif() -> None:
    unit, _ = _unit(SUBSCRIPTION)
    (vm,) = unit.estate.vms
    assert vm.name == "vm-data-01"
    assert vm.resource_group == "rg-data-weu"
    (protection,) = unit.estate.protections
    assert protection.vm == vm.address
    (vault,) = unit.estate.vaults
    assert vault.name == "rsv-data-weu"
    rows = {f[0] for f in findings(SUBSCRIPTION)}
    assert "BKP-VMM-002" in rows  # GRS vault without Cross Region Restore


@pytest.mark.parametrize("path", [RG, RG_POWERSHELL, SUBSCRIPTION], ids=lambda p: p.name)
def test_whatif_is_recognised_by_content(path: Path, tmp_path: Path) -> None:
    assert sniff_json(path.read_bytes()[:65536]) == WHATIF
    copy = tmp_path / "deploy-preview.json"
    copy.write_bytes(path.read_bytes())
    assert [u.format for u in load_units([str(tmp_path)]).units] == ["arm-whatif"]


def test_resource_id_only_result_is_an_input_error_naming_the_fix(tmp_path: Path) -> None:
    rid = ("/subscriptions/5c1f0e2a-9d3b-4a7e-8f61-2b4d6c8e0a13/resourceGroups/rg-shop/"
           "providers/Microsoft.Compute/virtualMachines/vm-shop-app")
    path = tmp_path / "ids.json"
    path.write_text(json.dumps({"changes": [{"changeType": "Create", "resourceId": rid}],
                                "error": None, "status": "Succeeded"}, indent=2))
    code, out, err = run_cli("scan", str(path))
    assert code == 2
    assert "ids.json:3:5: " in out + err  # once: in the text report when it goes to stdout
    assert "FullResourcePayloads" in out + err


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ('{"changes": [\n  {"changeType": "Create", "resourceId": "/x",}\n', ":3:1:",
         "invalid JSON"),
        ('{"status": "Failed",\n "error": {"code": "InvalidTemplate", "message": "bad"},\n'
         ' "changes": []}', ":2:11:", "InvalidTemplate: bad"),
        ('{"status": "Succeeded",\n "changes": [{"changeType": "Rename", "resourceId": "/x"}]}',
         ":2:29:", "unknown changeType 'Rename'"),
        ('{"status": "Succeeded",\n "changes": {"changeType": "Create", "resourceId": "/x"}}',
         ":2:13:", "needs a 'changes' list"),
    ],
    ids=["syntax", "failed-operation", "change-type", "changes-not-a-list"],
)
def test_malformed_whatif_is_a_located_error_and_other_inputs_are_scanned(
        tmp_path: Path, text: str, where: str, words: str) -> None:
    bad = tmp_path / "bad-whatif.json"
    bad.write_text(text)
    code, out, err = run_cli("scan", "--format", "json", str(bad), str(RG))
    assert code == 2
    assert "Traceback" not in err
    report = json.loads(out)
    (problem,) = report["errors"]
    assert f"{problem['file']}:{problem['line']}:{problem['column']}:".endswith(
        f"bad-whatif.json{where}"), problem
    assert words in problem["message"]
    assert report["findings"], "the good what-if result is still scanned"


def test_a_whatif_with_no_changes_is_clean(tmp_path: Path) -> None:
    path = tmp_path / "nothing.json"
    path.write_text('{"changes": [], "error": null, "status": "Succeeded"}')
    code, out, err = run_cli("scan", "--format", "json", str(path))
    assert (code, err) == (0, "")
    assert json.loads(out)["files_scanned"] == [str(path)]


def test_other_json_with_a_changes_list_is_not_taken_for_a_whatif(tmp_path: Path) -> None:
    (tmp_path / "changelog.json").write_text('{"status": "draft", "changes": ["fix"]}')
    loaded = load_units([str(tmp_path)])
    assert not loaded.units and not loaded.errors
    assert [s.file.rsplit("/", 1)[-1] for s in loaded.skipped] == ["changelog.json"]


def _located(paths: list[str], **options: Any) -> set[tuple[str, str | None, str, int]]:
    report = scan(paths, ScanOptions(**options))
    assert not report.errors, report.errors
    return {(f.rule_id, f.vm, f.location.file, f.location.line) for f in report.findings}


def test_source_dir_points_whatif_findings_at_the_template() -> None:
    folder = FIXTURES / "scenarios" / "estate-basic"
    template = _located([str(folder / "arm")])
    assert _located([str(folder / "whatif.json")], source_dir=str(folder / "arm")) == template


def test_a_template_beside_the_whatif_file_is_its_source(tmp_path: Path) -> None:
    folder = FIXTURES / "scenarios" / "estate-basic"
    for name in ("azuredeploy.json", "azuredeploy.parameters.json"):
        (tmp_path / name).write_bytes((folder / "arm" / name).read_bytes())
    (tmp_path / "whatif.json").write_bytes((folder / "whatif.json").read_bytes())
    loaded = load_units([str(tmp_path)])
    assert [u.format for u in loaded.units] == ["arm-whatif"]  # the template is its source
    located = _located([str(tmp_path)])
    assert {line for *_, line in located} == {201, 264}
    assert {Path(file).name for _, _, file, _ in located} == {"azuredeploy.json"}


def test_whatif_finds_what_a_reference_hid_in_the_template() -> None:
    """The template takes the VM's security type from ``reference()`` of a gallery image:
    unknown before deployment (reviews in strict mode, no violation). The what-if result
    has it (TrustedLaunch) and so the violation."""
    folder = WHATIF_DIR / "reference"
    template = findings(folder / "azuredeploy.json", strict=True)
    assert template and {kind for *_, kind in template} == {"review"}
    whatif = findings(folder / "whatif.json", strict=True)
    assert {(rule, vm, kind) for rule, vm, _, kind in whatif} == {
        ("BKP-CMP-002", "vm-hardened", "violation")}
