"""SARIF 2.1.0: valid against shared/schemas, and shaped for GitHub code scanning."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from report_factory import (
    build_report,
    empty_report,
    errors_only_report,
    finding,
    rules,
    validate_sarif,
)

from azbackup_policy.model import SourceSpan
from azbackup_policy.report import Report
from azbackup_policy.reporters import RenderOptions, sarif

ROOT = "/home/runner/work/infra/infra"
OPTIONS = RenderOptions(cwd=ROOT, environment={"GITHUB_WORKSPACE": ROOT})


def _run(report: Report, options: RenderOptions = OPTIONS) -> dict[str, Any]:
    run: dict[str, Any] = validate_sarif(sarif.render(report, options))["runs"][0]
    return run


def _result(run: dict[str, Any], rule_id: str, address: str) -> dict[str, Any]:
    return next(
        r for r in run["results"]
        if r["ruleId"] == rule_id
        and r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == address
    )


@pytest.mark.parametrize("make", [build_report, empty_report, errors_only_report])
def test_every_report_is_valid_sarif(make: Any) -> None:
    log = validate_sarif(sarif.render(make(), OPTIONS))
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1


def test_an_invalid_log_is_rejected_by_the_validator() -> None:
    text = sarif.render(build_report(), OPTIONS).replace('"level": "error"', '"level": "fatal"')
    with pytest.raises(AssertionError):
        validate_sarif(text)


def test_driver_describes_the_tool_and_every_rule() -> None:
    driver = _run(build_report())["tool"]["driver"]
    assert driver["name"] == "azbackup-policy"
    assert driver["version"] == driver["semanticVersion"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == sorted(r.id for r in rules())
    storage = next(r for r in driver["rules"] if r["id"] == "BKP-STO-003")
    assert storage["name"] == "ephemeral-os-disk"
    assert storage["shortDescription"]["text"] == "The OS disk of a protected VM is not ephemeral"
    assert "ST13" in storage["fullDescription"]["text"]
    assert storage["help"]["markdown"].startswith("The OS disk")
    assert storage["help"]["text"]
    assert storage["helpUri"].endswith("docs/rules.md#bkp-sto-003-ephemeral-os-disk")
    assert storage["defaultConfiguration"]["level"] == "error"
    assert "storage" in storage["properties"]["tags"]
    assert driver["fullName"] == "azbackup-policy 0.1.0"


def test_no_rule_is_a_security_alert_unless_its_metadata_opts_in() -> None:
    report = build_report()
    plain = _run(report)["tool"]["driver"]["rules"]
    assert all("security" not in r["properties"]["tags"] for r in plain
               if r["properties"]["area"] != "security")
    assert all("security-severity" not in r["properties"] for r in plain)
    opted = dataclasses.replace(report, rules=tuple(
        dataclasses.replace(r, tags=("security",)) if r.id == "BKP-STO-003" else r
        for r in report.rules))
    storage = next(r for r in _run(opted)["tool"]["driver"]["rules"] if r["id"] == "BKP-STO-003")
    assert "security" in storage["properties"]["tags"]
    assert storage["properties"]["security-severity"] == "7.5"


def test_the_built_in_security_opt_ins_are_rows_about_encryption_or_access() -> None:
    from azbackup_policy.pipeline import available_rules

    opted = {r.id for r in available_rules() if "security" in r.tags}
    assert opted == {"BKP-RST-001", "BKP-RST-002", "BKP-SEC-004", "BKP-SEC-007",
                     "BKP-STO-011", "BKP-STO-015"}


def test_automation_details_carry_the_category() -> None:
    assert _run(build_report())["automationDetails"] == {"id": "azbackup-policy/"}
    named = _run(build_report(), dataclasses.replace(OPTIONS, sarif_category="infra/prod"))
    assert named["automationDetails"] == {"id": "infra/prod/"}
    assert sarif.default_category(["."]) == "azbackup-policy"
    assert sarif.default_category(["infra/prod", "infra\\dev", "."]) == \
        "azbackup-policy/infra/dev+infra/prod"


def test_rule_index_points_at_the_rule() -> None:
    run = _run(build_report())
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_result_location_is_relative_to_srcroot() -> None:
    run = _run(build_report())
    result = _result(run, "BKP-STO-003", "module.db.azurerm_linux_virtual_machine.db")
    location = result["locations"][0]
    physical = location["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "terraform/modules/db/main.tf"
    assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    index = physical["artifactLocation"]["index"]
    assert run["artifacts"][index]["location"]["uri"] == "terraform/modules/db/main.tf"
    assert physical["region"] == {"startLine": 27, "endLine": 29, "startColumn": 5}
    assert location["logicalLocations"][0] == {
        "fullyQualifiedName": "module.db.azurerm_linux_virtual_machine.db",
        "name": "vm-db", "kind": "resource"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == f"file://{ROOT}/"


def test_paths_are_relative_to_the_workspace_when_run_in_a_subfolder() -> None:
    options = RenderOptions(cwd=f"{ROOT}/infra", environment={"GITHUB_WORKSPACE": ROOT})
    run = _run(build_report(), options)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in run["results"]}
    assert "infra/tfplan.json" in uris
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == f"file://{ROOT}/"


def test_a_file_outside_the_root_gets_an_absolute_uri() -> None:
    assert sarif.artifact_location("../other/x.tf", OPTIONS) == {
        "uri": "file:///home/runner/work/infra/other/x.tf"}
    assert sarif.artifact_location("/etc/x y.tf", OPTIONS) == {"uri": "file:///etc/x%20y.tf"}


def test_srcroot_is_the_repository_root_whatever_the_working_directory() -> None:
    options = RenderOptions(cwd=f"{ROOT}/infra/app", repository_root=ROOT,
                            environment={"GITHUB_WORKSPACE": "/elsewhere"})
    assert sarif.artifact_location("main.tf", options) == {
        "uri": "infra/app/main.tf", "uriBaseId": "%SRCROOT%"}
    assert _run(build_report(), options)["originalUriBaseIds"]["%SRCROOT%"]["uri"] == \
        f"file://{ROOT}/"


WINDOWS = RenderOptions(cwd="D:\\a\\repo\\repo\\infra", repository_root="D:\\a\\repo\\repo")


def test_windows_paths_are_relative_to_the_root_or_absolute_file_uris() -> None:
    assert sarif.artifact_location("app\\main.tf", WINDOWS) == {
        "uri": "infra/app/main.tf", "uriBaseId": "%SRCROOT%"}
    assert sarif.artifact_location("d:\\a\\repo\\repo\\x.tf", WINDOWS) == {
        "uri": "x.tf", "uriBaseId": "%SRCROOT%"}
    assert sarif.artifact_location("C:\\other dir\\x.tf", WINDOWS) == {
        "uri": "file:///C:/other%20dir/x.tf"}
    assert sarif.artifact_location("..\\..\\..\\y.tf", WINDOWS) == {"uri": "file:///D:/a/y.tf"}
    assert sarif.artifact_location("\\\\host\\share\\z.tf", WINDOWS) == {
        "uri": "file://host/share/z.tf"}
    log = _run(build_report(), WINDOWS)
    assert log["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///D:/a/repo/repo/"
    assert not any("%3A" in a["location"]["uri"] for a in log["artifacts"])


def test_a_relative_cwd_keeps_relative_uris_and_describes_the_root() -> None:
    run = _run(build_report(), RenderOptions())
    assert "uri" not in run["originalUriBaseIds"]["%SRCROOT%"]
    assert run["artifacts"][0]["location"] == {"uri": "arm/azuredeploy.json",
                                               "uriBaseId": "%SRCROOT%"}


def test_partial_fingerprints_are_the_findings_fingerprints() -> None:
    """The reporter copies each finding's fingerprint; that fingerprints survive line shifts
    is proven on real scans with shifted source lines in test_fingerprints.py."""
    report = build_report()
    prints = [r["partialFingerprints"] for r in _run(report)["results"]]
    assert all(list(p) == [sarif.FINGERPRINT_KEY] for p in prints)
    assert sorted(p[sarif.FINGERPRINT_KEY] for p in prints) == sorted(
        f.fingerprint for f in report.findings)


def test_suppressed_findings_are_kept_with_suppressions() -> None:
    run = _run(build_report())
    inline = _result(run, "BKP-SEC-002", "apiVms[0]")["suppressions"]
    assert inline == [{"kind": "inSource", "status": "accepted",
                       "justification": "migrating to pol-enhanced in change CHG-1234",
                       "properties": {"source": "inline", "until": "2026-12-31"}}]
    baseline = _result(run, "BKP-COV-001", "vmApiA")["suppressions"][0]
    assert baseline["kind"] == "external"
    assert "suppressions" not in _result(run, "BKP-COV-001", "azurerm_linux_virtual_machine.jump")


def test_review_findings_are_kind_review_with_level_none() -> None:
    result = _result(_run(build_report()), "BKP-STO-003", "apiVms[1]")
    assert (result["kind"], result["level"]) == ("review", "none")
    violation = _result(_run(build_report()), "BKP-COV-001", "azurerm_linux_virtual_machine.jump")
    assert (violation["kind"], violation["level"]) == ("fail", "warning")


def test_run_problems_are_tool_execution_notifications() -> None:
    invocation = _run(build_report())["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = {n["descriptor"]["id"]: n for n in invocation["toolExecutionNotifications"]}
    assert set(notes) == {"input-error", "rule-failure", "module-not-followed",
                          "file-not-scanned", "warning"}
    error = notes["input-error"]
    assert error["level"] == "error"
    assert error["locations"][0]["physicalLocation"]["region"] == {"startLine": 7,
                                                                   "startColumn": 12}
    assert notes["rule-failure"]["associatedRule"] == {"id": "BKP-EXT-001"}
    assert "KeyError" in notes["rule-failure"]["message"]["text"]


def test_a_clean_run_is_successful() -> None:
    report = dataclasses.replace(build_report(), errors=(), rule_failures=())
    assert _run(report)["invocations"][0]["executionSuccessful"] is True


def test_results_beyond_the_limit_keep_the_most_severe() -> None:
    report = build_report()
    log = sarif.build_log(report, OPTIONS, limit=2)
    validate_sarif(__import__("json").dumps(log))
    run = log["runs"][0]
    assert [r["level"] for r in run["results"]] == ["error", "error"]
    notes = [n for n in run["invocations"][0]["toolExecutionNotifications"]
             if n["descriptor"]["id"] == "results-truncated"]
    assert len(notes) == 1 and notes[0]["level"] == "warning"
    assert notes[0]["message"]["text"].startswith(f"{len(report.findings) - 2} results")


def test_github_limit_of_25000_results_per_run() -> None:
    spans = [SourceSpan("tfplan.json", line, line) for line in range(1, 25_003)]
    many = tuple(finding("BKP-COV-001", f"azurerm_linux_virtual_machine.vm[{i}]",
                         "azurerm_linux_virtual_machine", f"vm-{i}", span, "not protected")
                 for i, span in enumerate(spans))
    worst = finding("BKP-STO-003", "azurerm_linux_virtual_machine.last", "x", "vm",
                    SourceSpan("tfplan.json", 99_999, 99_999), "ephemeral")
    report = dataclasses.replace(empty_report(), findings=(*many, worst), rules=rules())
    run = sarif.build_log(report, OPTIONS)["runs"][0]
    assert len(run["results"]) == sarif.MAX_RESULTS == 25_000
    assert run["results"][-1]["ruleId"] == "BKP-STO-003"


def test_artifacts_list_every_scanned_file() -> None:
    report = build_report()
    run = _run(report)
    assert [a["location"]["uri"] for a in run["artifacts"]] == list(report.files_scanned)
    assert {a["sourceLanguage"] for a in run["artifacts"]} == {"json", "terraform", "bicep"}


@pytest.mark.parametrize(("version", "expected"), [
    ("0.1.0", "0.1.0"), ("1.2", "1.2.0"), ("0.2.0.dev3", "0.2.0-dev3"),
    ("1.0.0rc1", "1.0.0-rc1"), ("1.0.0+local.1", "1.0.0+local.1"),
])
def test_semantic_version(version: str, expected: str) -> None:
    assert sarif.semantic_version(version) == expected
