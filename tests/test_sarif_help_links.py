"""Every built-in rule's SARIF helpUri lands on its section of docs/rules.md."""

from __future__ import annotations

import re

from conftest import REPO

from azbackup_policy.pipeline import available_rules
from azbackup_policy.reporters.sarif import help_uri


def github_anchor(heading: str) -> str:
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_help_links_match_the_generated_headings() -> None:
    headings = re.findall(r"^#{2,4} (.+)$", (REPO / "docs" / "rules.md").read_text("utf-8"),
                          re.MULTILINE)
    anchors = {github_anchor(h) for h in headings}
    rules = [r for r in available_rules() if r.help_uri is None]
    assert rules
    for rule in rules:
        anchor = help_uri(rule.id, rule.name, None).rsplit("#", 1)[1]
        assert anchor in anchors, f"{rule.id}: #{anchor} is not a heading of docs/rules.md"
