"""Text: ``path:line:col: severity RULE message [name]`` grouped by file, with a summary."""

from __future__ import annotations

import dataclasses

from report_factory import build_report, empty_report, errors_only_report

from azbackup_policy.reporters import RenderOptions, text


def test_finding_lines_have_the_compiler_format() -> None:
    out = text.render(build_report(), RenderOptions())
    assert ("tfplan.json:151:13: error BKP-STO-003 OS disk of "
            "azurerm_linux_virtual_machine.web[0] is ephemeral") in out
    assert "Azure Backup cannot protect ephemeral OS disks [vm-web-0]\n" in out
    assert "bicep/main.bicep:96:9: review BKP-STO-003 could not verify" in out


def test_suppressed_findings_are_counted_not_printed() -> None:
    out = text.render(build_report(), RenderOptions())
    assert "CHG-1234" not in out and "vmApiA" not in out
    assert "; 2 suppressed;" in out


def test_lines_are_grouped_by_file_in_order() -> None:
    out = text.render(build_report(), RenderOptions())
    blocks = out.rstrip("\n").split("\n\n")
    files = [block.split(":", 1)[0] for block in blocks[:-2]]
    assert files == sorted(files) == sorted(set(files))
    main = next(b for b in blocks if b.startswith("terraform/main.tf"))
    assert main.splitlines()[0].startswith("terraform/main.tf:42:1: not followed git::")
    assert main.splitlines()[1].startswith("terraform/main.tf:88:1: warning BKP-COV-001")


def test_run_problems_are_rendered() -> None:
    out = text.render(build_report(), RenderOptions())
    assert "broken/main.tf:7:12: input error Invalid expression" in out
    assert "rule failure BKP-EXT-001 (plugin:azbackup-policy-contoso): raised KeyError" in out
    assert "not scanned package.json: JSON of no known kind" in out
    assert "warning suppression of BKP-STO-009" in out


def test_summary_line_counts_everything() -> None:
    last = text.render(build_report(), RenderOptions()).splitlines()[-1]
    assert last == ("2 errors, 1 warning, 1 note, 1 review; 2 suppressed; 8 files scanned; "
                    "1 not scanned; 1 input error; 1 rule failure")
    assert text.render(empty_report(), RenderOptions()) == (
        "0 errors, 0 warnings, 0 notes, 0 reviews; 0 suppressed; 0 files scanned; "
        "0 input errors\n")
    assert text.render(errors_only_report(), RenderOptions()).endswith(
        "; 2 input errors; 1 rule failure\n")


def test_colour_only_when_asked() -> None:
    plain = text.render(build_report(), RenderOptions(color=False))
    coloured = text.render(build_report(), RenderOptions(color=True))
    assert "\x1b[" not in plain
    assert "\x1b[31;1merror\x1b[0m" in coloured
    assert __import__("re").sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_name_falls_back_to_the_address() -> None:
    report = build_report()
    first = report.findings[0]
    bare = dataclasses.replace(first, vm=None, resource=dataclasses.replace(
        first.resource, name=None))
    out = text.render(dataclasses.replace(report, findings=(bare,)), RenderOptions())
    assert f"[{first.resource.address}]" in out
