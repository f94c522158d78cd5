"""Helpers for testing rules, for plugin authors and the built-in policies alike.

Check a rule on a hand-built model, or assert that a fixture gives exactly the findings
you expect::

    from azbackup_policy.testing import assert_findings, check_estate

    def test_untagged_vms_are_flagged():
        findings = check_estate(Estate(vms=(VirtualMachine(address="vm.a", tags={}),)),
                                [BACKUP_TIER_TAG])
        assert [f.resource.address for f in findings] == ["vm.a"]

    def test_the_fixture():
        assert_findings("fixtures/backup-tier", [BACKUP_TIER_TAG], {
            ("ACME-TAG-001", 'azurerm_linux_virtual_machine.vm["fail_untagged"]'),
        })

A rule that raises, or a fixture that cannot be read, fails the test with its message:
a helper never hides a failure as "no findings".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from azbackup_policy.engine import EngineSettings, run
from azbackup_policy.formats import FormatSpec
from azbackup_policy.matrix import Matrix, builtin_matrix
from azbackup_policy.model import Estate
from azbackup_policy.options import ScanOptions
from azbackup_policy.report import Finding
from azbackup_policy.rules import Rule


def check_estate(estate: Estate, rules: Sequence[Rule], *, strict: bool = False,
                 options: Mapping[str, Any] | None = None,
                 matrix: Matrix | None = None) -> list[Finding]:
    """The findings of ``rules`` on a hand-built ``estate`` (the built-in matrix data unless
    ``matrix`` is given; ``options`` as the configuration's ``options:``)."""
    settings = EngineSettings(matrix=matrix or builtin_matrix(), strict=strict,
                              options=options or {})
    result = run([("estate", estate)], rules, settings)
    if result.failures:
        raise AssertionError("; ".join(f"rule {f.rule_id} failed: {f.message}"
                                       for f in result.failures))
    return result.findings


def findings_of(paths: str | Sequence[str], rules: Sequence[Rule], *,
                options: ScanOptions | None = None,
                formats: Sequence[FormatSpec] | None = None) -> list[Finding]:
    """The unsuppressed findings of ``rules`` on files or folders, through the whole
    pipeline (discovery, parsing, linking); an input error or a rule failure raises."""
    from azbackup_policy.pipeline import scan

    report = scan([paths] if isinstance(paths, str) else list(paths), options, rules=rules,
                  formats=formats)
    problems = [str(e) for e in report.errors] + [
        f"rule {f.rule_id} failed: {f.message}" for f in report.rule_failures]
    if problems:
        raise AssertionError("; ".join(problems))
    return list(report.active_findings)


def assert_findings(paths: str | Sequence[str], rules: Sequence[Rule],
                    expected: Collection[tuple[str, str]], *,
                    options: ScanOptions | None = None,
                    formats: Sequence[FormatSpec] | None = None) -> None:
    """Assert that the fixture at ``paths`` gives exactly the ``expected`` findings, as
    (rule id, resource address) pairs: none missing, none extra."""
    found = {(f.rule_id, f.resource.address) for f in
             findings_of(paths, rules, options=options, formats=formats)}
    wanted = set(expected)
    missing, extra = sorted(wanted - found), sorted(found - wanted)
    if missing or extra:
        raise AssertionError(f"findings differ from the expected ones:\n"
                             f"  missing: {missing}\n  unexpected: {extra}")
