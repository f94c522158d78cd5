"""A self-contained HTML page: the estate, its protection and its findings.

One file with no network access: inline CSS, one inline script allowed by its hash in the
page's Content-Security-Policy (``default-src 'none'``), an SVG drawn here. From top to
bottom: the summary (so an empty-looking page never hides a partial scan: input errors and
modules not followed are counted and listed), the estate as a picture, the VM table (sorts
by any column, filters by severity, area, vault and text), policies, vaults, and the
findings that belong to no VM, policy or vault.

Every string from the scanned files is escaped (:func:`html.escape`, quotes included),
control characters are shown escaped, and ids and classes are made of numbers and fixed
words only. The output depends on the report alone: the same report gives the same bytes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from html import escape
from urllib.parse import quote

from azbackup_policy.report import Finding, Report
from azbackup_policy.reporters import RenderOptions
from azbackup_policy.reporters._common import TOOL_NAME, count, label, ordered, plural
from azbackup_policy.reporters.html_assets import SCRIPT, STYLE, script_hash
from azbackup_policy.reporters.html_estate import (
    SEVERITY_ORDER,
    EstateView,
    PolicyRow,
    VaultRow,
    VmRow,
    location,
    shown,
    text,
    view,
)
from azbackup_policy.reporters.html_graph import render_graph
from azbackup_policy.reporters.sarif import help_uri

COLLAPSE_AFTER = 5  # findings of one VM, policy or vault shown before they are folded
_SAFE_LINK = re.compile(r"^https?://[^\s\"'<>\\]+$", re.IGNORECASE)


def safe_link_base(link_base: str | None) -> str | None:
    """``link_base`` when it is an http(s) URL, else None (no ``javascript:``)."""
    if link_base and _SAFE_LINK.match(link_base):
        return link_base if link_base.endswith("/") else link_base + "/"
    return None


def source_link(where: str, file: str | None, line: int | None, base: str | None) -> str:
    if base is None or file is None or file.startswith("/"):
        return f"<code>{text(where)}</code>"
    href = base + quote(file.replace("\\", "/")) + (f"#L{line}" if line else "")
    return f'<a href="{escape(href, quote=True)}"><code>{text(where)}</code></a>'


def _badge(name: str) -> str:
    return f'<span class="sev sev-{name}">{name}</span>'


def _finding_items(findings: Iterable[Finding], base: str | None) -> str:
    items = []
    for finding in ordered(findings):
        loc = finding.location
        rows = ", ".join(finding.matrix_rows)
        doc = help_uri(finding.rule_id, finding.rule_name, None)
        items.append(
            f"<li>{_badge(label(finding))} "
            f'<a href="{escape(doc, quote=True)}"><code>{text(finding.rule_id)}</code></a> '
            f"{text(finding.message)} <span class=\"sub\">(matrix {text(rows)}; "
            f"{source_link(f'{loc.file}:{loc.line}', loc.file, loc.line, base)})</span></li>")
    if not items:
        return ""
    listed = f'<ul class="findings">{"".join(items)}</ul>'
    if len(items) <= COLLAPSE_AFTER:
        return listed
    return f"<details><summary>{len(items)} findings</summary>{listed}</details>"


def _summary(report: Report, estate: EstateView) -> str:
    counts = count(report)
    total = len(estate.vms)
    protected = sum(1 for row in estate.vms if row.protected)
    share = f"{100 * protected / total:.0f}%" if total else "-"
    cards = [
        ("VMs", str(total)), ("protected", f"{protected} ({share})"),
        ("unprotected", str(total - protected)), ("vaults", str(len(estate.vaults))),
        ("policies", str(len(estate.policies))),
        *((name + "s", str(getattr(counts, name))) for name in SEVERITY_ORDER),
        ("input errors", str(len(report.errors))),
        ("not followed", str(len(report.not_followed))),
        ("files scanned", str(counts.files_scanned)),
    ]
    html = ['<section id="summary"><h2>Summary</h2><div class="cards">']
    for title, value in cards:
        bad = ' class="bad"' if value != "0" and title in (
            "unprotected", "errors", "input errors", "not followed") else ""
        html.append(f'<div class="card"><b{bad}>{text(value)}</b>{text(title)}</div>')
    html.append("</div>")
    areas = Counter((f.area, label(f)) for f in report.active_findings)
    if areas:
        html.append("<h3>Findings by area</h3><table><thead><tr><th>Area</th>"
                    + "".join(f'<th class="num">{name}</th>' for name in SEVERITY_ORDER)
                    + "</tr></thead><tbody>")
        for area in sorted({a for a, _ in areas}):
            cells = "".join(f'<td class="num">{areas[(area, name)]}</td>'
                            for name in SEVERITY_ORDER)
            html.append(f"<tr><td>{text(area)}</td>{cells}</tr>")
        html.append("</tbody></table>")
    html.append(_problems(report))
    html.append("</section>")
    return "\n".join(html)


def _problems(report: Report) -> str:
    items = [f"<li>input error <code>{text(f'{e.file}:{e.line}:{e.column}')}</code> "
             f"{text(e.message)}</li>" for e in report.errors]
    items += [f"<li>not followed <code>{text(f'{n.file}:{n.line}')}</code> "
              f"<code>{text(n.source)}</code>: {text(n.reason)}</li>"
              for n in report.not_followed]
    items += [f"<li>rule failure <code>{text(r.rule_id)}</code>: {text(r.message)}</li>"
              for r in report.rule_failures]
    if not items:
        return ""
    return (f"<details open><summary>{plural(len(items), 'problem')} of the scan: what is "
            f"listed here was not checked</summary><ul>{''.join(items)}</ul></details>")


def _options(values: Iterable[str]) -> str:
    return "".join(f'<option value="{text(v)}">{text(v)}</option>' for v in sorted(set(values)))


def _vm_rows(estate: EstateView, base: str | None) -> str:
    rows = []
    for row in sorted(estate.vms, key=lambda r: (r.unit, shown(r.vm.name), r.node)):
        rows.append(_vm_row(row, estate, base))
    return "\n".join(rows)


def _vm_row(row: VmRow, estate: EstateView, base: str | None) -> str:
    vm = row.vm
    policies = [estate.policy(n).policy for n in row.policies]
    vaults = [estate.vault(n).vault for n in row.vaults]
    vault_names = " ".join(shown(v.name) for v in vaults)
    span = vm.span
    where = location(span)
    severities = " ".join(sorted({label(f) for f in row.findings}))
    areas = " ".join(sorted({f.area for f in row.findings}))
    state = row.worst if row.protected else "unprotected"
    cells = [
        f'<td data-sort="{_RANKS[row.worst]}">{_badge(state)}</td>',
        f"<td>{text(vm.name)}</td>",
        f"<td><code>{text(vm.address)}</code></td>",
        f"<td>{source_link(where, span.file if span else None, span.line if span else None, base)}"
        "</td>",
        f"<td>{text(vm.os_type)}</td>", f"<td>{text(vm.size)}</td>",
        f"<td>{text(vm.security_type)}</td>",
        f"<td>{text(', '.join(shown(p.name) for p in policies)) or _NONE}</td>",
        f"<td>{text(vault_names) or _NONE}</td>",
        f'<td data-sort="{len(row.findings)}">{_finding_items(row.findings, base) or "-"}</td>',
    ]
    return (f'<tr id="row-{row.node}" data-node="{row.node}" data-severities="{severities}" '
            f'data-areas="{text(areas)}" data-vault="{text(vault_names)}">{"".join(cells)}</tr>')


_NONE = '<span class="empty">none</span>'
_RANKS = {"error": 5, "warning": 4, "note": 3, "review": 2, "clean": 1}
_VM_HEAD = ("State", "Name", "Address", "Location", "OS", "Size", "Security type", "Policy",
            "Vault", "Findings")


def _vm_section(report: Report, estate: EstateView, base: str | None) -> str:
    areas = {f.area for f in report.active_findings}
    vaults = {" ".join(shown(estate.vault(n).vault.name) for n in row.vaults)
              for row in estate.vms if row.vaults}
    head = "".join(f"<th>{name}</th>" for name in _VM_HEAD)
    return f"""<section id="vms"><h2>VMs (<span id="vm-count">{len(estate.vms)}</span> shown)</h2>
<div class="filters">
<label>Severity <select id="f-severity"><option value="">any</option>{_options(SEVERITY_ORDER)}
</select></label>
<label>Area <select id="f-area"><option value="">any</option>{_options(areas)}</select></label>
<label>Vault <select id="f-vault"><option value="">any</option>{_options(vaults)}</select>
</label>
<label>Text <input type="search" id="f-text" placeholder="name, address, rule, message">
</label></div>
<div class="graph">{render_graph(estate)}</div>
<table id="vm-table"><thead><tr>{head}</tr></thead><tbody>
{_vm_rows(estate, base)}
</tbody></table></section>"""


def _policy_rows(estate: EstateView, base: str | None) -> str:
    rows = []
    for row in sorted(estate.policies, key=lambda r: (r.unit, shown(r.policy.name), r.node)):
        rows.append(_policy_row(row, estate, base))
    return "\n".join(rows) or f'<tr><td colspan="8">{_NONE}</td></tr>'


def _schedule(row: PolicyRow) -> str:
    p = row.policy
    if shown(p.frequency) == "Hourly":
        return (f"hourly every {shown(p.hourly_interval)} h for {shown(p.hourly_window_hours)} h"
                f" from {shown(p.hourly_start)}")
    days = f" on {shown(p.weekdays)}" if p.weekdays else ""
    return f"{shown(p.frequency).lower()}{days} at {shown(p.time)} {shown(p.time_zone)}".strip()


def _retention(row: PolicyRow) -> str:
    p = row.policy
    parts = [f"{name} {shown(value)}" for name, value in (
        ("daily", p.retention_daily), ("weekly", p.retention_weekly),
        ("monthly", p.retention_monthly), ("yearly", p.retention_yearly)) if value is not None]
    return ", ".join(parts)


def _names(estate: EstateView, nodes: list[str]) -> str:
    wanted = set(nodes)
    names = sorted(shown(r.vm.name) for r in estate.vms if r.node in wanted)
    return text(", ".join(names)) if names else _NONE


def _policy_row(row: PolicyRow, estate: EstateView, base: str | None) -> str:
    p = row.policy
    vault = shown(estate.vault(row.vault).vault.name) if row.vault else ""
    return (f"<tr><td>{text(p.name)}</td><td>{text(p.policy_type)}</td>"
            f"<td>{text(_schedule(row))}</td><td>{text(_retention(row))}</td>"
            f"<td>{text(p.instant_restore_days)}</td><td>{text(vault) or _NONE}</td>"
            f"<td>{_names(estate, row.vms)}</td>"
            f"<td>{_finding_items(row.findings, base) or '-'}</td></tr>")


def _vault_row(row: VaultRow, estate: EstateView, base: str | None) -> str:
    v = row.vault
    policies = sorted(shown(estate.policy(n).policy.name) for n in row.policies)
    return (f"<tr><td>{text(v.name)}</td><td>{text(v.location)}</td>"
            f"<td>{text(v.redundancy)}</td><td>{text(v.cross_region_restore)}</td>"
            f"<td>{text(v.soft_delete)}</td><td>{text(v.immutability)}</td>"
            f"<td>{text(', '.join(policies)) or _NONE}</td><td>{_names(estate, row.vms)}</td>"
            f"<td>{_finding_items(row.findings, base) or '-'}</td></tr>")


def _settings_sections(estate: EstateView, base: str | None) -> str:
    vaults = "\n".join(_vault_row(r, estate, base) for r in sorted(
        estate.vaults, key=lambda r: (r.unit, shown(r.vault.name), r.node))) or \
        f'<tr><td colspan="9">{_NONE}</td></tr>'
    return f"""<section id="policies"><h2>Backup policies</h2><table><thead><tr>
<th>Name</th><th>Type</th><th>Schedule</th><th>Retention</th><th>Instant restore (days)</th>
<th>Vault</th><th>VMs</th><th>Findings</th></tr></thead><tbody>
{_policy_rows(estate, base)}
</tbody></table></section>
<section id="vaults"><h2>Recovery Services vaults</h2><table><thead><tr>
<th>Name</th><th>Region</th><th>Redundancy</th><th>Cross Region Restore</th><th>Soft delete</th>
<th>Immutability</th><th>Policies</th><th>VMs</th><th>Findings</th></tr></thead><tbody>
{vaults}
</tbody></table></section>"""


def render(report: Report, options: RenderOptions) -> str:
    """The whole page."""
    estate = view(report)
    base = safe_link_base(getattr(options, "link_base", None))
    other = _finding_items(estate.other_findings, base)
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
           f"script-src {script_hash(SCRIPT)}; base-uri 'none'; form-action 'none'")
    counts = count(report)
    title = (f"{plural(len(estate.vms), 'VM')}, {plural(counts.error, 'error')}, "
             f"{plural(counts.warning, 'warning')}")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{TOOL_NAME}: {text(title)}</title>
<style>{STYLE}</style></head>
<body><header><h1>{TOOL_NAME} report</h1>
<div class="sub">Azure VM backup support matrix check; {text(report.tool_version)};
fail on {text(report.fail_on)}</div></header>
<main>
{_summary(report, estate)}
{_vm_section(report, estate, base)}
{_settings_sections(estate, base)}
<section id="other"><h2>Other findings</h2>{other or _NONE}</section>
</main>
<footer>Generated by {TOOL_NAME} {text(report.tool_version)}.</footer>
<script>{SCRIPT}</script>
</body></html>
"""
