"""Every built-in rule's severity and target, pinned by a table written in this test.

The table is the reviewed decision (severity: error = backup or restore fails or is unsupported;
warning = works degraded or at risk; note = information). It is deliberately not read from the
code, from docs/rules.md or from a snapshot: regenerating those must not be enough to change a
severity. A rule whose severity changes after a new reading of the matrix changes this table in
the same commit, with the matrix row that justifies it. ``policies_support.assert_case`` also
checks every failing unit case's findings against this table, through the engine.
"""

from __future__ import annotations

import pytest
from policies_support import all_rules

from azbackup_policy.rules import Severity, Target

ERROR, WARNING, NOTE = Severity.ERROR, Severity.WARNING, Severity.NOTE
VM, POLICY, VAULT, PROTECTION, SCALE_SET, ESTATE = (
    Target.VM, Target.POLICY, Target.VAULT, Target.PROTECTION, Target.SCALE_SET, Target.ESTATE)
STORAGE_ACCOUNT = Target.STORAGE_ACCOUNT

# Changed deliberately: COV-005 error -> warning and PPS-001 warning -> note (i18, matrix
# fidelity, docs/severity.md); COV-006 added (i15, modules that cannot be followed).
EXPECTED: dict[str, tuple[Severity, Target]] = {
    "BKP-ACT-001": (ERROR, VM), "BKP-ACT-002": (WARNING, VM), "BKP-ACT-003": (ERROR, ESTATE),
    "BKP-ACT-004": (ERROR, PROTECTION),
    "BKP-CMP-001": (ERROR, VM), "BKP-CMP-002": (ERROR, VM), "BKP-CMP-003": (NOTE, VM),
    "BKP-CMP-004": (ERROR, VM), "BKP-CMP-005": (ERROR, VM), "BKP-CMP-006": (WARNING, VM),
    "BKP-CMP-007": (ERROR, VM), "BKP-CMP-008": (WARNING, VM), "BKP-CMP-009": (NOTE, VM),
    "BKP-CMP-010": (NOTE, VM), "BKP-CMP-011": (WARNING, VM), "BKP-CMP-012": (ERROR, VM),
    "BKP-CMP-013": (WARNING, SCALE_SET),
    "BKP-COV-001": (WARNING, VM), "BKP-COV-002": (ERROR, VM), "BKP-COV-003": (ERROR, VM),
    "BKP-COV-004": (ERROR, PROTECTION),
    # COV-005: a LUN the VM lacks is a typo, backup still runs (matrix review §2.5)
    "BKP-COV-005": (WARNING, PROTECTION), "BKP-COV-006": (WARNING, ESTATE),
    "BKP-FLR-001": (NOTE, VM),
    "BKP-FRQ-001": (ERROR, POLICY), "BKP-FRQ-002": (ERROR, POLICY), "BKP-FRQ-003": (ERROR, POLICY),
    "BKP-FRQ-004": (ERROR, POLICY), "BKP-FRQ-005": (ERROR, POLICY), "BKP-FRQ-006": (ERROR, POLICY),
    "BKP-FRQ-007": (ERROR, POLICY), "BKP-FRQ-008": (ERROR, POLICY),
    "BKP-FRQ-009": (WARNING, POLICY), "BKP-FRQ-010": (ERROR, POLICY),
    "BKP-FRQ-011": (WARNING, POLICY), "BKP-FRQ-012": (ERROR, POLICY),
    "BKP-FRQ-013": (ERROR, POLICY), "BKP-FRQ-014": (ERROR, POLICY), "BKP-FRQ-015": (ERROR, POLICY),
    "BKP-FRQ-016": (WARNING, POLICY), "BKP-FRQ-017": (ERROR, POLICY),
    "BKP-FRQ-018": (NOTE, POLICY), "BKP-FRQ-019": (ERROR, POLICY), "BKP-FRQ-020": (ERROR, VAULT),
    "BKP-FRQ-021": (ERROR, POLICY),
    "BKP-FRQ-022": (WARNING, POLICY),  # EP13
    "BKP-LNX-001": (ERROR, VM), "BKP-LNX-002": (WARNING, VM), "BKP-LNX-003": (ERROR, VM),
    # A18, OL7, L6
    "BKP-LNX-004": (WARNING, VM), "BKP-LNX-005": (NOTE, VM), "BKP-LNX-006": (ERROR, VM),
    "BKP-MDC-001": (ERROR, POLICY), "BKP-MDC-002": (ERROR, VM), "BKP-MDC-003": (ERROR, VM),
    "BKP-MDC-004": (ERROR, VM), "BKP-MDC-005": (ERROR, VM), "BKP-MDC-006": (WARNING, VM),
    "BKP-MDC-007": (WARNING, VM), "BKP-MDC-008": (ERROR, VM),
    "BKP-NET-001": (WARNING, VM), "BKP-NET-002": (NOTE, VM), "BKP-NET-003": (NOTE, VM),
    "BKP-NET-004": (NOTE, VM),  # N9
    "BKP-NET-005": (WARNING, STORAGE_ACCOUNT),  # N13/FL3 (a note with the trusted-services bypass)
    "BKP-ORG-001": (ERROR, POLICY), "BKP-ORG-002": (ERROR, POLICY), "BKP-ORG-003": (ERROR, VAULT),
    "BKP-ORG-004": (ERROR, VAULT), "BKP-ORG-005": (ERROR, VAULT), "BKP-ORG-006": (WARNING, VM),
    "BKP-PPS-001": (NOTE, VM),  # PP1/OL6: crash-consistent Oracle backup is supported
    "BKP-RST-001": (NOTE, VM), "BKP-RST-002": (NOTE, VM), "BKP-RST-003": (NOTE, VM),
    "BKP-RST-004": (NOTE, VM),
    "BKP-SEC-001": (WARNING, VM), "BKP-SEC-002": (ERROR, VM), "BKP-SEC-003": (ERROR, VM),
    "BKP-SEC-004": (ERROR, VM), "BKP-SEC-005": (WARNING, VM), "BKP-SEC-006": (ERROR, VM),
    "BKP-SEC-007": (WARNING, ESTATE), "BKP-SEC-008": (WARNING, VM),  # EP3 (indirect)
    "BKP-STO-001": (ERROR, VM), "BKP-STO-002": (ERROR, VM), "BKP-STO-003": (NOTE, VM),
    "BKP-STO-004": (ERROR, VM), "BKP-STO-005": (ERROR, VM), "BKP-STO-006": (ERROR, VM),
    "BKP-STO-007": (ERROR, VM), "BKP-STO-008": (ERROR, VM), "BKP-STO-009": (ERROR, VM),
    "BKP-STO-010": (ERROR, VM), "BKP-STO-011": (ERROR, VM), "BKP-STO-012": (WARNING, VM),
    "BKP-STO-013": (NOTE, VM), "BKP-STO-014": (WARNING, VM), "BKP-STO-015": (ERROR, VM),
    "BKP-STO-016": (NOTE, VM), "BKP-STO-017": (ERROR, VM),
    "BKP-VMM-001": (NOTE, VAULT), "BKP-VMM-002": (NOTE, VAULT),
    "BKP-VMM-003": (ERROR, VAULT),  # R4
    "BKP-WIN-001": (WARNING, VM), "BKP-WIN-002": (NOTE, VM),
}


def test_the_table_names_every_rule_and_only_those() -> None:
    assert sorted(all_rules()) == sorted(EXPECTED)


@pytest.mark.parametrize("rule_id", sorted(EXPECTED))
def test_severity_and_target(rule_id: str) -> None:
    rule = all_rules()[rule_id]
    assert (rule.severity, rule.target) == EXPECTED[rule_id]
