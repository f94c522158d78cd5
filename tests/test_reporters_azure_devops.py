"""Azure Pipelines logging commands, escaped per the agent's rules."""

from __future__ import annotations

import dataclasses

from report_factory import build_report, empty_report

from azbackup_policy.reporters import RenderOptions, azure_devops
from azbackup_policy.rules import Kind

COMPLETE = "##vso[task.complete result=SucceededWithIssues;]"


def test_escaping_follows_the_agent() -> None:
    assert azure_devops.escape_data("50%\r\n]") == "50%AZP25%0D%0A]"
    assert azure_devops.escape_property("a;b]c%") == "a%3Bb%5Dc%AZP25"


def test_findings_become_logissue_commands() -> None:
    lines = azure_devops.render(build_report(), RenderOptions()).splitlines()
    assert ("##vso[task.logissue type=error;sourcepath=tfplan.json;linenumber=151;"
            "columnnumber=13;code=BKP-STO-003]OS disk of azurerm_linux_virtual_machine.web[0] "
            "is ephemeral (diff_disk_settings.option = Local); Azure Backup cannot protect "
            "ephemeral OS disks") in lines
    assert any("type=warning;sourcepath=arm/azuredeploy.json" in line and "100%AZP25" in line
               for line in lines)
    assert all(line.startswith("##vso[") for line in lines)
    assert any("code=input-error]Invalid expression" in line for line in lines)


def test_no_complete_command_when_the_build_fails() -> None:
    assert COMPLETE not in azure_devops.render(build_report(), RenderOptions())


def test_succeeded_with_issues_when_findings_stay_below_the_threshold() -> None:
    report = dataclasses.replace(build_report(), errors=(), rule_failures=())
    below = azure_devops.render(report, RenderOptions(fail_on="never"))
    assert below.splitlines()[-1].startswith(COMPLETE)
    assert COMPLETE not in azure_devops.render(report, RenderOptions(fail_on="error"))
    only_notes = dataclasses.replace(report, findings=tuple(
        f for f in report.findings if f.severity.value == "note" or f.kind is Kind.REVIEW))
    assert COMPLETE in azure_devops.render(only_notes, RenderOptions(fail_on="warning"))


def test_an_empty_report_prints_nothing() -> None:
    assert azure_devops.render(empty_report(), RenderOptions()) == ""


def test_paths_relative_to_the_sources_directory() -> None:
    options = RenderOptions(cwd="/a/s/iac", environment={"BUILD_SOURCESDIRECTORY": "/a/s"})
    assert "sourcepath=iac/tfplan.json;" in azure_devops.render(build_report(), options)
