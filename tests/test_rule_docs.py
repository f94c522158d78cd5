"""docs/rules.md and docs/matrix-coverage.md stay generated from the rule metadata."""

from __future__ import annotations

from pathlib import Path

import pytest
from policies_support import all_rules

from azbackup_policy import ruledocs

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("kind", "path"), [("rules", "docs/rules.md"),
                                            ("coverage", "docs/matrix-coverage.md")])
def test_docs_are_current(kind: str, path: str) -> None:
    current = (ROOT / path).read_text(encoding="utf-8")
    assert current == ruledocs.render(kind), (
        f"{path} is stale; regenerate it with: {ruledocs.REGENERATE[kind]}")


def test_rules_table_lists_every_rule() -> None:
    rules = list(all_rules().values())
    text = ruledocs.rules_table_text(rules)
    lines = text.splitlines()
    assert lines[0].split() == ["ID", "NAME", "SEVERITY", "AREA", "ROWS"]
    assert len(lines) == len(rules) + 1
    assert lines[1].startswith("BKP-ACT-001")


def test_explain_text_has_metadata_and_help() -> None:
    rule = all_rules()["BKP-STO-003"]
    text = ruledocs.explain_text(rule)
    assert text.startswith("BKP-STO-003 ephemeral-os-disk\n")
    for part in ("Severity: note", "Matrix rows: ST17", "Article date: 2026-03-26",
                 "Before:", "After:"):
        assert part in text


def test_coverage_maps_every_row() -> None:
    rows = {"X1": {"area": "a", "subject": "s", "static": "yes", "reason": ""},
            "X2": "not checkable"}
    rule = all_rules()["BKP-STO-003"]
    text = ruledocs.matrix_coverage_markdown([rule], rows)
    assert "| X1 | a | s | yes | - |" in text and "| X2 |" in text
    assert "not checkable" in text


def test_main_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert ruledocs.main(["nope"]) == 2
    assert "usage" in capsys.readouterr().err
