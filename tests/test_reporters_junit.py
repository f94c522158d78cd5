"""JUnit XML: valid against the strict Ant XSD in shared/schemas; one suite per file."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from report_factory import build_report, empty_report, errors_only_report, validate_junit
from xmlschema import XMLSchemaValidationError

from azbackup_policy.report import InputProblem, Report
from azbackup_policy.reporters import RenderOptions, junit
from azbackup_policy.rules import Severity

EPOCH = {"SOURCE_DATE_EPOCH": "1767225600", "HOSTNAME": "ci-runner-7"}  # 2026-01-01T00:00:00Z


def _render(report: Report, fail_on: str = "warning", env: dict[str, str] = EPOCH) -> str:
    text = junit.render_resources(report, RenderOptions(fail_on=fail_on, environment=env))
    validate_junit(text)
    return text


def _suites(text: str) -> dict[str, ET.Element]:
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    return {suite.get("name", ""): suite for suite in root.findall("testsuite")}


def _case(suite: ET.Element, classname: str, name: str) -> ET.Element:
    found = [c for c in suite.findall("testcase")
             if c.get("classname") == classname and c.get("name") == name]
    assert len(found) == 1, (classname, name)
    return found[0]


@pytest.mark.parametrize("make", [build_report, empty_report, errors_only_report])
@pytest.mark.parametrize("fail_on", ["error", "warning", "note", "never"])
def test_every_report_is_valid_junit(make: Any, fail_on: str) -> None:
    _render(make(), fail_on)


def test_the_validator_rejects_a_time_zone_in_the_timestamp() -> None:
    text = _render(build_report()).replace('timestamp="2026-01-01T00:00:00"',
                                           'timestamp="2026-01-01T00:00:00Z"')
    with pytest.raises(XMLSchemaValidationError):
        validate_junit(text)


def test_output_is_only_the_xml_document() -> None:
    text = _render(build_report())
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>')
    assert text.endswith("</testsuites>\n")


def test_one_suite_per_scanned_file_plus_input_errors_and_the_run() -> None:
    report = build_report()
    suites = _suites(_render(report))
    assert list(suites) == [*sorted([*report.files_scanned, "broken/main.tf"]), junit.RUN_SUITE]
    ids = [suite.get("id") for suite in suites.values()]
    assert ids == [str(i) for i in range(len(suites))]
    plan = suites["tfplan.json"]
    assert plan.get("timestamp") == "2026-01-01T00:00:00"
    assert plan.get("hostname") == "ci-runner-7"
    assert plan.get("package") == "tfplan.json"
    properties = {p.get("name"): p.get("value") for p in plan.iter("property")}
    assert properties == {"format": "terraform-plan", "unit": "tfplan.json"}


def test_one_case_per_evaluated_rule_and_resource() -> None:
    report = build_report()
    suites = _suites(_render(report))
    evaluated = {(rule, address) for _unit, rule, address in report.evaluations}
    cases = {(c.get("classname", "").split(".")[0], c.get("name"))
             for suite in suites.values() for c in suite.findall("testcase")
             if c.get("classname", "").startswith("BKP-") and c.find("error") is None}
    assert cases == evaluated
    total = sum(int(s.get("tests", "0")) for s in suites.values())
    assert total == len(set(report.evaluations)) + 1 + 1 + 1 + 1  # input, failure, 2 skipped


def test_module_resources_land_in_the_file_that_declares_them() -> None:
    suites = _suites(_render(build_report()))
    db = _case(suites["terraform/modules/db/main.tf"], "BKP-STO-003.ephemeral-os-disk",
               "module.db.azurerm_linux_virtual_machine.db")
    failure = db.find("failure")
    assert failure is not None and failure.get("type") == "error"
    assert "terraform/modules/db/main.tf:27:5" in (failure.text or "")


@pytest.mark.parametrize(("fail_on", "failing"), [
    ("error", 2), ("warning", 3), ("note", 4), ("never", 0),
])
def test_failures_follow_the_threshold(fail_on: str, failing: int) -> None:
    suites = _suites(_render(build_report(), fail_on))
    assert sum(int(s.get("failures", "0")) for s in suites.values()) == failing
    assert sum(len(s.findall("testcase/failure")) for s in suites.values()) == failing


def test_passing_findings_are_listed_in_system_out() -> None:
    suites = _suites(_render(build_report(), "error"))
    jump = suites["terraform/main.tf"]
    assert jump.get("failures") == "0"
    assert "below the fail-on threshold" in (jump.findtext("system-out") or "")
    bicep = suites["bicep/main.bicep"].findtext("system-out") or ""
    assert "suppressed (inline): migrating" in bicep
    assert "(could not verify)" in bicep


def test_input_errors_and_rule_failures_are_errors() -> None:
    suites = _suites(_render(errors_only_report()))
    broken = suites["arm/broken.json"]
    assert broken.get("errors") == "1"
    error = _case(broken, "azbackup-policy.input", "arm/broken.json:3:1").find("error")
    assert error is not None and error.get("type") == "InputError"
    assert error.get("message") == "Expecting ',' delimiter"
    run = suites[junit.RUN_SUITE]
    failure = run.find("testcase/error")
    assert failure is not None and failure.get("type") == "RuleFailure"


def test_skipped_files_and_modules_not_followed_are_skipped_cases() -> None:
    suites = _suites(_render(build_report()))
    assert _case(suites[junit.RUN_SUITE], "azbackup-policy.discover",
                 "package.json").find("skipped") is not None
    assert suites["terraform/main.tf"].get("skipped") == "1"


def test_timestamp_without_source_date_epoch_is_now_without_zone() -> None:
    text = _render(build_report(), env={})
    stamp = _suites(text)["tfplan.json"].get("timestamp", "")
    assert len(stamp) == 19 and stamp[10] == "T"
    assert _suites(text)["tfplan.json"].get("hostname") == "localhost"


def test_control_characters_cannot_break_the_document() -> None:
    bad = InputProblem("weird.tf", 1, 1, "unexpected byte \x00\x1b[31m in <resource> & more")
    report = dataclasses.replace(empty_report(), errors=(bad,))
    error = _suites(_render(report))["weird.tf"].find("testcase/error")
    assert error is not None
    assert error.get("message") == "unexpected byte \\x00\\x1b[31m in <resource> & more"


def test_rendering_is_deterministic_with_source_date_epoch() -> None:
    assert _render(build_report()) == _render(build_report())


# --- the default form: one suite per unit, one case per rule with findings ---------------


def _units(report: Report, fail_on: str = "warning") -> dict[str, ET.Element]:
    text = junit.render(report, RenderOptions(fail_on=fail_on, environment=EPOCH))
    validate_junit(text)
    return _suites(text)


@pytest.mark.parametrize("make", [build_report, empty_report, errors_only_report])
@pytest.mark.parametrize("fail_on", ["error", "never"])
def test_the_unit_form_is_valid_junit(make: Any, fail_on: str) -> None:
    _units(make(), fail_on)


def test_one_suite_per_unit_and_one_case_per_rule_with_findings() -> None:
    report = build_report()
    suites = _units(report)
    assert list(suites) == [*sorted([u.path for u in report.units] + ["broken/main.tf"]),
                            junit.RUN_SUITE]
    terraform = suites["terraform"]
    names = [c.get("name") for c in terraform.findall("testcase")
             if c.get("classname") == "terraform"]
    assert names == ["BKP-COV-001 vm-not-protected", "BKP-STO-003 ephemeral-os-disk",
                     "rules without findings"]
    module = _case(terraform, "azbackup-policy.module",
                   "git::https://example.com/terraform-modules/net.git?ref=v1.2.0")
    assert module.find("skipped") is not None  # a module not followed, in its unit's suite
    failure = _case(terraform, "terraform", "BKP-STO-003 ephemeral-os-disk").find("failure")
    assert failure is not None and failure.get("type") == "error"
    assert (failure.text or "").startswith("terraform/modules/db/main.tf:27:")
    properties = {p.get("name"): p.get("value") for p in terraform.iter("property")}
    ran = {rule for unit, rule, _ in report.evaluations if unit == "terraform"}
    assert properties["passed-rules"] == junit.rule_ranges(
        sorted(ran - {"BKP-COV-001", "BKP-STO-003"}))
    assert properties["files"] == "3"


@pytest.mark.parametrize(("ids", "text"), [
    ([], ""),
    (["BKP-ACT-001"], "BKP-ACT-001"),
    (["BKP-ACT-001", "BKP-ACT-002", "BKP-ACT-003", "BKP-CMP-002"],
     "BKP-ACT-001..003 BKP-CMP-002"),
    (["BKP-ACT-003", "BKP-ACT-001", "BKP-ACT-004"], "BKP-ACT-001 BKP-ACT-003..004"),
    (["ORG-RULE", "BKP-STO-009", "BKP-STO-010", "BKP-STO-011"], "BKP-STO-009..011 ORG-RULE"),
])
def test_passed_rules_are_written_as_ranges(ids: list[str], text: str) -> None:
    assert junit.rule_ranges(ids) == text


def test_the_unit_form_failures_follow_the_threshold() -> None:
    failing = {name: int(s.get("failures", "0")) for name, s in _units(build_report()).items()}
    assert failing == {"arm/azuredeploy.json": 0, "bicep/main.bicep": 0, "broken/main.tf": 0,
                       "terraform": 2, "tfplan.json": 1, junit.RUN_SUITE: 0}
    assert sum(int(s.get("failures", "0"))
               for s in _units(build_report(), "never").values()) == 0


def test_reviews_are_skipped_cases_and_notes_are_named_in_system_out() -> None:
    suites = _units(build_report())
    bicep = suites["bicep/main.bicep"]
    skipped = _case(bicep, "bicep/main.bicep", "BKP-STO-003 ephemeral-os-disk").find("skipped")
    assert skipped is not None and skipped.get("message", "").startswith("could not verify: ")
    out = suites["arm/azuredeploy.json"].findtext("system-out") or ""
    assert "[BKP-POL-004 instant-restore-days] arm/azuredeploy.json:81:" in out
    assert "suppressed (baseline)" in out


@pytest.mark.parametrize("severities", [("note", "error"), ("error", "note"),
                                        ("warning", "error", "note")])
def test_a_case_with_several_failures_takes_the_type_of_the_most_severe(
        severities: tuple[str, ...]) -> None:
    """JUnit failure type = the worst finding of the case, whatever their order (mutant R05)."""
    report = build_report()
    jump = next(f for f in report.findings if f.rule_id == "BKP-COV-001"
                and f.resource.address.endswith(".jump"))
    extra = tuple(
        dataclasses.replace(jump, severity=Severity(value), message=f"finding {index}",
                            location=dataclasses.replace(jump.location, line=90 + index))
        for index, value in enumerate(severities))
    others = tuple(f for f in report.findings if f is not jump)
    suites = _suites(_render(dataclasses.replace(report, findings=others + extra), "note"))
    failure = _case(suites["terraform/main.tf"], "BKP-COV-001.vm-not-protected",
                    "azurerm_linux_virtual_machine.jump").find("failure")
    assert failure is not None
    assert failure.get("type") == "error"
    assert failure.get("message") == f"{len(severities)} violations"
