"""Markdown summary: verdict, counts by area, findings table, collapsed details."""

from __future__ import annotations

import dataclasses

from report_factory import build_report, empty_report, finding

from azbackup_policy.model import SourceSpan
from azbackup_policy.reporters import RenderOptions, markdown


def test_summary_has_the_verdict_counts_and_tables() -> None:
    out = markdown.render(build_report(), RenderOptions())
    assert out.startswith("## azbackup-policy: ❌ failed\n")
    assert "| storage | 2 | 0 | 0 | 1 |" in out
    assert "| **Total** | **2** | **1** | **1** | **1** |" in out
    assert "### 5 findings" in out
    assert "<summary>2 suppressed findings</summary>" in out
    assert "- input error: `broken/main.tf:7:12`" in out


def test_empty_report_passes() -> None:
    out = markdown.render(empty_report(), RenderOptions())
    assert out.startswith("## azbackup-policy: ✅ passed\n")
    assert "|" not in out


def test_below_threshold_is_a_pass_with_findings() -> None:
    report = dataclasses.replace(build_report(), errors=(), rule_failures=())
    out = markdown.render(report, RenderOptions(fail_on="never"))
    assert out.startswith("## azbackup-policy: ⚠️ passed with findings\n")


def test_cells_are_escaped() -> None:
    assert markdown.cell("a|b <script> *x*\nnext") == (
        "a\\|b &lt;script&gt; \\*x\\*\\\\nnext")
    assert markdown.code("a|b") == "`a\\|b`"
    assert markdown.code("a`b") == "a\\`b"


def _many(count: int) -> tuple:
    return tuple(finding("BKP-COV-001", f"azurerm_linux_virtual_machine.vm[{i}]",
                         "azurerm_linux_virtual_machine", f"vm-{i}",
                         SourceSpan("main.tf", i + 1, i + 1), "not protected")
                 for i in range(count))


def test_long_tables_are_collapsed_and_cut() -> None:
    count = markdown.MAX_ROWS + 5
    report = dataclasses.replace(empty_report(), findings=_many(count))
    out = markdown.render(report, RenderOptions())
    assert f"<summary>{count} findings</summary>" in out
    assert "… and 5 more" in out
    assert out.count("| warning |") == markdown.MAX_ROWS
    short = markdown.render(dataclasses.replace(report, findings=_many(3)), RenderOptions())
    assert "<details>" not in short and "### 3 findings" in short
