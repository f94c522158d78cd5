"""GitHub workflow commands: one annotation per problem, escaped as the runner expects."""

from __future__ import annotations

import dataclasses

from report_factory import build_report, empty_report

from azbackup_policy.model import SourceSpan
from azbackup_policy.reporters import RenderOptions, github


def test_escaping_follows_the_runner() -> None:
    assert github.escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_findings_become_annotations_by_severity() -> None:
    lines = github.render(build_report(), RenderOptions()).splitlines()
    assert ("::error file=tfplan.json,line=151,col=13,title=BKP-STO-003 ephemeral-os-disk::"
            "OS disk of azurerm_linux_virtual_machine.web[0] is ephemeral "
            "(diff_disk_settings.option = Local); Azure Backup cannot protect ephemeral OS disks"
            ) in lines
    assert any(line.startswith("::warning file=terraform/main.tf,line=88,endLine=112,")
               for line in lines)
    assert any(line.startswith("::notice file=arm/azuredeploy.json,") and "100%25" in line
               for line in lines)
    assert sum("title=BKP-STO-003" in line and line.startswith("::notice") for line in lines) == 1
    assert not any("CHG-1234" in line or "vmApiA" in line for line in lines)


def test_run_problems_are_annotated() -> None:
    lines = github.render(build_report(), RenderOptions()).splitlines()
    assert ("::error file=broken/main.tf,line=7,col=12,title=input error::"
            "Invalid expression: expected a value, found '}'") in lines
    assert any(line.startswith("::error title=rule BKP-EXT-001 failed::") for line in lines)
    assert any(line.startswith("::warning file=terraform/main.tf,line=42,"
                               "title=module not followed::git::https://") for line in lines)


def test_paths_are_relative_to_the_workspace() -> None:
    options = RenderOptions(cwd="/w/repo/infra", environment={"GITHUB_WORKSPACE": "/w/repo"})
    out = github.render(build_report(), options)
    assert "::error file=infra/tfplan.json,line=151," in out


def test_properties_cannot_inject_commands() -> None:
    report = build_report()
    first = next(f for f in report.findings if f.location.file == "tfplan.json")
    odd = dataclasses.replace(first, location=SourceSpan("a,b:c.tf", 1, 1),
                              message="bad\n::error::injected")
    out = github.render(dataclasses.replace(report, findings=(odd,), errors=(),
                                            rule_failures=(), not_followed=(), warnings=()),
                        RenderOptions())
    assert out == ("::error file=a%2Cb%3Ac.tf,line=1,col=1,title=BKP-STO-003 ephemeral-os-disk"
                   "::bad\\n::error::injected\n")


def test_an_empty_report_prints_nothing() -> None:
    assert github.render(empty_report(), RenderOptions()) == ""
