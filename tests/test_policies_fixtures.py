"""Fixture-based rule tests: scan ``fixtures/rules/<area>/<rule>/`` in every format that
has landed and compare the findings with the fixtures' own expectations.

Every fixture marks the line a finding must point at with a comment
``expect: BKP-XXX-NNN`` (``//`` in ARM JSON and Bicep, ``#`` in HCL). Resources are named
for the outcome (``fail-sto-003-ephemeral`` / ``pass-sto-003-managed``): each finding of
the folder's rule must concern a ``fail-*`` resource or VM, and no ``pass-*`` one.
"""

from __future__ import annotations

import re
from importlib.util import find_spec
from pathlib import Path

import pytest

from azbackup_policy import ScanOptions, scan

ROOT = Path(__file__).resolve().parent.parent
RULE_FIXTURES = ROOT / "fixtures" / "rules"
MARK = re.compile(r"(?://|#)\s*expect:\s*(BKP-[A-Z]{3}-\d{3})")
# suffix -> (parser module, linker module): a format is tested once both have landed.
FORMATS = {
    ".json": ("azbackup_policy.parsers.arm", "azbackup_policy.linkers.arm"),
    ".tf": ("azbackup_policy.parsers.terraform_hcl", "azbackup_policy.linkers.azurerm"),
    ".bicep": ("azbackup_policy.parsers.bicep", "azbackup_policy.linkers.arm"),
}


def _landed(suffix: str) -> bool:
    return all(find_spec(module) is not None for module in FORMATS[suffix])


def _fixture_files() -> list[Path]:
    return sorted(p for p in RULE_FIXTURES.glob("*/*/*") if p.suffix in FORMATS)


def _rule_of(folder: Path) -> str:
    return "BKP-" + folder.name.upper()


def _expected(path: Path) -> set[tuple[str, int]]:
    found = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        found.update((match.group(1), number) for match in MARK.finditer(line))
    return found


@pytest.mark.parametrize("path", _fixture_files(),
                         ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.name}")
def test_rule_fixture(path: Path) -> None:
    if not _landed(path.suffix):
        pytest.skip(f"the {path.suffix} parser or its linker has not landed")
    rule_id = _rule_of(path.parent)
    target = path if path.suffix == ".json" else path.parent
    report = scan([str(target)], ScanOptions(select=(rule_id,), cwd=str(ROOT)))
    assert not report.errors, [str(e) for e in report.errors]
    findings = [f for f in report.findings if f.rule_id == rule_id
                and Path(f.location.file).name == path.name]
    expected = _expected(path)
    assert expected, f"{path} marks no expected finding"
    assert {(f.rule_id, f.location.line) for f in findings} == expected
    for finding in findings:
        names = {finding.resource.name or "", finding.vm or ""}
        assert any(n.startswith("fail-") for n in names), names
        assert not any(n.startswith("pass-") for n in names), names


# Rules with no fixture yet, and why (the unit tests in test_policies_*.py cover them).
NO_FIXTURE = {
    "BKP-ACT-002": "needs a vault in another subscription (a nested deployment with "
    "subscriptionId); the subscription of the VM is unknown in a template",
    "BKP-ACT-003": "an ARM lock on the AzureBackupRG_* group has a scope only known at deploy "
    "time; HCL can express it once the azurerm linker lands",
    "BKP-ACT-004": "a change between two deployments: only a Terraform plan shows it",
    "BKP-CMP-004": "a change between two deployments: only a Terraform plan shows it",
    "BKP-CMP-005": "the ARM linker does not read a disk resource's securityProfile.securityType",
    "BKP-FRQ-019": "needs more than 100 protected items",
    "BKP-FRQ-020": "needs more than 1000 protected VMs",
    "BKP-SEC-006": "needs a vault in another subscription",
    "BKP-SEC-007": "needs more than 40 Confidential VM disks on one disk encryption set",
    "BKP-STO-008": "classic VMs (Microsoft.ClassicCompute) are not part of the VM model",
}


def test_every_rule_has_a_fixture_or_a_reason() -> None:
    from azbackup_policy.ruledocs import builtin_rules

    folders = {"BKP-" + p.name.upper() for p in RULE_FIXTURES.glob("*/*") if p.is_dir()}
    rules = {rule.id for rule in builtin_rules()}
    assert folders <= rules, folders - rules
    assert sorted(rules - folders) == sorted(NO_FIXTURE)
    for folder in RULE_FIXTURES.glob("*/*"):
        names = [p.read_text(encoding="utf-8") for p in folder.iterdir() if p.suffix in FORMATS]
        assert any(re.search(r'["/]pass[-_]', text) for text in names), folder
        assert any(re.search(r'["/]fail[-_]', text) for text in names), folder
