"""The sample estate ``fixtures/scenarios/one-problem-per-vm``: each VM carries exactly one known
problem. A full scan of each format, on its own, must give exactly the findings listed in
``expected.json`` as (rule id, VM name, resource name), the same in all four formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from azbackup_policy import ScanOptions, scan
from azbackup_policy.pipeline import load_units
from azbackup_policy.report import Finding

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "fixtures" / "scenarios" / "one-problem-per-vm"
FORMATS = ("tfplan.json", "terraform", "arm", "bicep")

Key = tuple[str, "str | None", "str | None"]


def expected() -> set[Key]:
    data = json.loads((SCENARIO / "expected.json").read_text(encoding="utf-8"))
    rows = [(f["rule_id"], f["vm"], f["resource"]) for f in data["findings"]]
    assert len(rows) == len(set(rows)), "expected.json lists a finding twice"
    return set(rows)


def _name(value: str | None) -> str | None:
    """A name only known at deployment (``<unknown: ...>``) counts as no name."""
    return None if value is None or value.startswith("<unknown") else value


def key(finding: Finding) -> Key:
    return finding.rule_id, finding.vm, _name(finding.resource.name)


def findings_of(fmt: str) -> list[Finding]:
    report = scan([str(SCENARIO / fmt)], ScanOptions(cwd=str(ROOT)))
    assert not report.errors, [str(e) for e in report.errors]
    assert not report.rule_failures, report.rule_failures
    return list(report.findings)


@pytest.mark.parametrize("fmt", FORMATS)
def test_format_gives_exactly_the_expected_findings(fmt: str) -> None:
    findings = findings_of(fmt)
    keys = [key(f) for f in findings]
    assert len(keys) == len(set(keys)), f"a finding is reported twice: {sorted(keys)}"
    got = set(keys)
    assert got == expected(), (
        f"missing: {sorted(expected() - got, key=str)}\n"
        f"unexpected: {sorted(got - expected(), key=str)}"
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_finding_points_into_the_scanned_format(fmt: str) -> None:
    target = SCENARIO / fmt
    for finding in findings_of(fmt):
        path = (ROOT / finding.location.file).resolve()
        assert path == target.resolve() or target.resolve() in path.parents, finding.location
        assert finding.location.line > 1, finding


def test_every_vm_of_the_estate_has_its_problem_listed() -> None:
    """The VMs of the estate (read from the model, not from the findings) are the ones
    expected.json describes, and each has a finding of its own, except the VM whose problem is
    its hourly policy (that finding names the policy, not the VM)."""
    described = json.loads((SCENARIO / "expected.json").read_text(encoding="utf-8"))["vms"]
    loaded = load_units([str(SCENARIO / "arm")], ScanOptions())
    declared = {str(vm.name) for unit in loaded.units for vm in unit.estate.vms}
    assert 10 <= len(declared) <= 14
    assert declared == set(described)
    assert {vm for _, vm, _ in expected() if vm} == declared - {"vm-hourly-ir20"}
    assert {res for _, vm, res in expected() if vm is None} == {"pol-hourly-ir20"}
