"""Documentation generated from rule metadata, so the docs cannot drift from the code.

* ``rules_markdown(rules)`` -> ``docs/rules.md``
* ``matrix_coverage_markdown(rules, rows)`` -> ``docs/matrix-coverage.md``
* ``rules_table_text(rules)`` -> the ``azbackup-policy rules`` listing
* ``explain_text(rule)`` -> ``azbackup-policy explain RULE``

Regenerate the committed docs with::

    python -m azbackup_policy.ruledocs rules > docs/rules.md
    python -m azbackup_policy.ruledocs coverage > docs/matrix-coverage.md
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from azbackup_policy.rules import Rule

BUILTIN_DISTRIBUTION = "azbackup-policy"
REGENERATE = {
    "rules": "python -m azbackup_policy.ruledocs rules > docs/rules.md",
    "coverage": "python -m azbackup_policy.ruledocs coverage > docs/matrix-coverage.md",
}


def _sorted(rules: Iterable[Rule]) -> list[Rule]:
    return sorted(rules, key=lambda r: r.id)


def _by_area(rules: Iterable[Rule]) -> dict[str, list[Rule]]:
    groups: dict[str, list[Rule]] = {}
    for rule in _sorted(rules):
        groups.setdefault(rule.area, []).append(rule)
    return dict(sorted(groups.items()))


def _anchor(rule: Rule) -> str:
    return f"{rule.id.lower()}-{rule.name}"


def _why_severity(rule: Rule) -> str:
    """`` -- why`` from the rule's severity rationale (its leading "error: " dropped)."""
    why = rule.severity_rationale.split(": ", 1)[-1].strip()
    return f" ([why](severity.md)): {why}" if why else ""


def _rule_section(rule: Rule) -> list[str]:
    return [
        f"### {rule.id} {rule.name}",
        "",
        f"*{rule.summary}*",
        "",
        f"- Severity: **{rule.severity.value}**{_why_severity(rule)}",
        f"- Checks: {rule.target.value}",
        f"- Matrix rows: {', '.join(rule.matrix_rows)}",
        f"- Article date: {rule.article_date}",
        "",
        rule.help.strip(),
        "",
    ]


def rules_markdown(rules: Iterable[Rule]) -> str:
    """The rule reference (docs/rules.md) as Markdown."""
    groups = _by_area(rules)
    lines = [
        "# Rules",
        "",
        "<!-- Generated from rule metadata; do not edit. Regenerate with:",
        f"     {REGENERATE['rules']} -->",
        "",
        f"{sum(len(g) for g in groups.values())} rules in {len(groups)} areas. Matrix rows refer "
        "to the fact sheet of Microsoft's *Support matrix for Azure VM backups*; see "
        "[matrix-coverage.md](matrix-coverage.md).",
        "",
        "| Rule | Name | Severity | Area | Summary |",
        "|---|---|---|---|---|",
    ]
    for area, members in groups.items():
        lines += [f"| [{r.id}](#{_anchor(r)}) | {r.name} | {r.severity.value} | {area} | "
                  f"{r.summary} |" for r in members]
    lines.append("")
    for area, members in groups.items():
        lines += [f"## {area}", ""]
        for rule in members:
            lines += _rule_section(rule)
    return "\n".join(lines).rstrip() + "\n"


def rules_table_text(rules: Iterable[Rule]) -> str:
    """A plain-text table of rules for the ``rules`` command."""
    rows = [("ID", "NAME", "SEVERITY", "AREA", "ROWS")] + [
        (r.id, r.name, r.severity.value, r.area, ",".join(r.matrix_rows)) for r in _sorted(rules)
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row))
             for row in rows]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def rules_json(rules: Iterable[Rule]) -> str:
    """Every rule's metadata as a JSON list, for ``rules --format json`` (sorted by id)."""
    import json

    entries = [{
        "id": r.id, "name": r.name, "area": r.area, "severity": r.severity.value,
        "target": r.target.value, "matrix_rows": list(r.matrix_rows), "summary": r.summary,
        "help": r.help, "help_uri": r.help_uri, "tags": list(r.tags),
        "article_date": r.article_date, "origin": r.origin,
    } for r in _sorted(rules)]
    return json.dumps(entries, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def explain_text(rule: Rule) -> str:
    """Everything about one rule, for ``explain RULE``."""
    origin = f"\nOrigin: {rule.origin}" if rule.origin else ""
    return (
        f"{rule.id} {rule.name}\n\n{rule.summary}\n\n"
        f"Severity: {rule.severity.value}"
        f"{_why_severity(rule).replace(' ([why](severity.md)):', ' --')}"
        f"\nArea: {rule.area}\nChecks: {rule.target.value}\n"
        f"Matrix rows: {', '.join(rule.matrix_rows)}\n"
        f"Article date: {rule.article_date}{origin}\n\n{rule.help.strip()}\n"
    )


def _reason(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("reason", ""))
    return str(value or "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def matrix_coverage_markdown(rules: Iterable[Rule], row_reasons: Mapping[str, Any]) -> str:
    """Every matrix row id -> the rules that enforce it, or why no rule does.

    ``row_reasons`` maps every row id to its reason text, or to the ``rows.yaml`` entry
    (``{area, subject, static, reason}``).
    """
    enforced: dict[str, list[str]] = {}
    for rule in _sorted(rules):
        for row in rule.matrix_rows:
            enforced.setdefault(row, []).append(f"[{rule.id}](rules.md#{_anchor(rule)})")
    covered = sum(1 for row in row_reasons if row in enforced)
    lines = [
        "# Matrix coverage",
        "",
        "<!-- Generated from rule metadata and policies/rows.yaml; do not edit. Regenerate with:",
        f"     {REGENERATE['coverage']} -->",
        "",
        f"{len(row_reasons)} matrix rows; {covered} are enforced by at least one rule, the others "
        "give the reason no rule checks them.",
        "",
        "| Row | Area | Subject | Static? | Rules | Reason / note |",
        "|---|---|---|---|---|---|",
    ]
    for row, value in row_reasons.items():
        info = value if isinstance(value, Mapping) else {}
        lines.append(
            f"| {row} | {info.get('area', '')} | {_cell(str(info.get('subject', '')))} | "
            f"{info.get('static', '')} | {', '.join(enforced.get(row, [])) or '-'} | "
            f"{_cell(_reason(value))} |"
        )
    return "\n".join(lines) + "\n"


def builtin_rules() -> list[Rule]:
    """The rules of this distribution, loaded through the entry points like any plugin."""
    from azbackup_policy.plugins import default_host

    return [r for r in default_host().rules()
            if r.origin.split(":", 1)[0] == BUILTIN_DISTRIBUTION]


def render(kind: str) -> str:
    """The text of ``docs/rules.md`` (``rules``) or ``docs/matrix-coverage.md`` (``coverage``)."""
    rules = builtin_rules()
    if kind == "rules":
        return rules_markdown(rules)
    from azbackup_policy.matrix import load_rows

    return matrix_coverage_markdown(rules, load_rows())


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1 or argv[0] not in REGENERATE:
        sys.stderr.write("usage: python -m azbackup_policy.ruledocs {rules|coverage}\n")
        return 2
    sys.stdout.write(render(argv[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
