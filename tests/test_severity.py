"""Every built-in rule carries a severity rationale that agrees with its severity
(docs/severity.md), and a degraded case is reported one step lower than a failing one."""

from __future__ import annotations

import pytest
from policies_support import Setup, all_rules, enhanced, estate, violations

from azbackup_policy.model import Image
from azbackup_policy.rules import Severity

RULES = sorted(all_rules().values(), key=lambda r: r.id)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_says_why_it_has_its_severity(rule) -> None:
    level, _, why = rule.severity_rationale.partition(": ")
    assert level == rule.severity.value, (rule.id, rule.severity_rationale)
    assert len(why.split()) >= 5, rule.id


@pytest.mark.parametrize(("rule_id", "vm"), [
    ("BKP-COV-002", {"vm_agent": False}),
    ("BKP-COV-003", {"extension_operations": False}),
    ("BKP-LNX-001", {"image": Image(publisher="CoreOS", offer="CoreOS", sku="Stable")}),
])
def test_an_agent_problem_is_an_error_on_standard_and_a_warning_on_enhanced(rule_id, vm) -> None:
    standard = violations(rule_id, estate(Setup(vm=vm)))
    degraded = violations(rule_id, estate(Setup(vm=vm, policy=enhanced())))
    assert [o.severity for o in standard] == [None]  # the rule's own: error
    assert all_rules()[rule_id].severity is Severity.ERROR
    assert [o.severity for o in degraded] == [Severity.WARNING]
    assert "falls back to a crash-consistent snapshot" in degraded[0].message
