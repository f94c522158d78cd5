"""The HTML report without a browser: content, escaping, determinism, size.

(What the page does when opened, filtering included, is tested in a real browser in
``test_reporters_html_browser.py``.)"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from conftest import FIXTURES

from azbackup_policy.cli import main
from azbackup_policy.model import BackupPolicy, Estate, Protection, SourceSpan, Vault
from azbackup_policy.model import VirtualMachine as VM
from azbackup_policy.pipeline import ScanOptions, scan
from azbackup_policy.report import Report, ScannedUnit
from azbackup_policy.reporters import RenderOptions, render
from azbackup_policy.reporters.html_assets import SCRIPT, script_hash

HOSTILE = [
    "<script>window.__pwned = 1</script>",
    '"onload="window.__pwned=2" x="',
    "</svg><img src=x onerror=\"window.__pwned=3\">",
    "vm\x1b]52;c;Y2xpcA==\x07evil",
    "line\nbreak & <b>bold</b>",
]


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, environ={})
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def example() -> Report:
    return scan([str(FIXTURES / "example")], ScanOptions())


def test_page_lists_every_vm_policy_and_vault(example: Report) -> None:
    page = render(example, "html")
    vms = [vm for unit in example.units for vm in unit.estate.vms]
    assert len(re.findall(r'<tr id="row-u\d+m\d+"', page)) == len(vms) == 4
    assert len(re.findall(r'<g class="node vm ', page)) == len(vms)
    assert page.count('<g class="node policy') == sum(len(u.estate.policies)
                                                      for u in example.units)
    assert page.count('<g class="node vault') == sum(len(u.estate.vaults) for u in example.units)
    for vm in vms:
        assert f"<td>{vm.name}</td>" in page
    assert "3 (75%)" in page  # protected VMs and their share
    rows = {name: row for row in re.findall(r"<tr id=\"row-.*?</tr>", page, re.S)
            for name in re.findall(r"<td>(vm-[a-z]+)</td>", row)}
    assert 'sev-unprotected">unprotected' in rows["vm-build"]
    assert all("unprotected" not in rows[name] for name in ("vm-sql", "vm-cache"))


def test_every_finding_is_shown_once_with_its_rule_link(example: Report) -> None:
    page = render(example, "html")
    active = example.active_findings
    assert active
    for finding in active:
        assert f"docs/rules.md#{finding.rule_id.lower()}-{finding.rule_name}" in page
    assert page.count('<ul class="findings"><li>') + page.count("</li><li>") >= 1
    assert sum(page.count(f"<code>{f.rule_id}</code></a>") for f in {
        f.rule_id: f for f in active}.values()) == len(active)


def test_csp_allows_exactly_the_inline_script() -> None:
    page = render(Report(tool_version="0"), "html")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    policy = csp.group(1)
    assert "default-src 'none'" in policy
    assert f"script-src {script_hash(SCRIPT)}" in policy
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert scripts == [SCRIPT]
    assert not re.search(r"\son[a-z]+=", page)  # no inline event handler anywhere
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")


def test_same_report_same_bytes(example: Report) -> None:
    again = scan([str(FIXTURES / "example")], ScanOptions())
    assert render(example, "html") == render(again, "html")


def _hostile_report() -> Report:
    file = "infra/main.tf"
    vms = tuple(VM(address=f"azurerm_linux_virtual_machine.h{i}", name=name,
                   resource_type="azurerm_linux_virtual_machine", size=name, os_type=name,
                   span=SourceSpan(file, 10 + i, 20 + i, 1)) for i, name in enumerate(HOSTILE))
    vault = Vault(address="azurerm_recovery_services_vault.v", name=HOSTILE[2],
                  redundancy=HOSTILE[0], span=SourceSpan(file, 1, 5, 1))
    policy = BackupPolicy(address="azurerm_backup_policy_vm.p", name=HOSTILE[1],
                          vault=vault.address, time_zone=HOSTILE[3])
    protection = Protection(address="azurerm_backup_protected_vm.p", vm=vms[0].address,
                            policy=policy.address, vault=vault.address)
    estate = Estate(vms=vms, vaults=(vault,), policies=(policy,), protections=(protection,))
    return Report(tool_version=HOSTILE[0], units=(ScannedUnit("infra", "terraform-hcl",
                                                              (file,), estate),))


def test_names_from_the_scanned_code_are_escaped() -> None:
    page = render(_hostile_report(), "html", RenderOptions(link_base="https://x.test/b/"))
    assert page.count("<script") == 1
    assert "<img" not in page and page.count("</svg>") == 1
    assert 'onerror="' not in page and '"onload="' not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert "\x1b" not in page and "\x07" not in page and "\\x1b]52" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


@pytest.mark.parametrize("base", ["javascript:alert(1)//", "data:text/html,x", " https://x",
                                  "https://x.test/\"onmouseover=alert(1)"])
def test_unsafe_link_base_gives_no_link(example: Report, base: str) -> None:
    page = render(example, "html", RenderOptions(link_base=base))
    assert "javascript:" not in page
    assert "data:text" not in page
    assert "onmouseover" not in page


def test_link_base_links_locations_to_the_source(example: Report) -> None:
    page = render(example, "html", RenderOptions(link_base="https://github.com/o/r/blob/abc"))
    assert 'href="https://github.com/o/r/blob/abc/fixtures/example/terraform/main.tf#L107"' \
        in page


def test_cli_writes_html_and_rejects_a_script_link_base(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    code, _, err = _run("scan", str(FIXTURES / "example"), "--format", "html", "--output",
                        str(out))
    assert code == 1, err
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    code, _, err = _run("scan", str(FIXTURES / "example"), "--format", "html",
                        "--link-base", "javascript:alert(1)")
    assert code == 2
    assert "--link-base must be an http:// or https:// URL" in err


def _estate_of(n: int) -> Report:
    file = "main.tf"
    vaults = tuple(Vault(address=f"azurerm_recovery_services_vault.v{v}", name=f"rsv-{v}",
                         redundancy="GeoRedundant", span=SourceSpan(file, 1 + v, 2 + v, 1))
                   for v in range(2))
    policies = tuple(BackupPolicy(address=f"azurerm_backup_policy_vm.p{p}", name=f"pol-{p}",
                                  vault=vaults[p % 2].address, frequency="Daily", time="23:00",
                                  retention_daily=30) for p in range(20))
    vms = tuple(VM(address=f"azurerm_linux_virtual_machine.vm[{i}]", name=f"vm-{i:04d}",
                   resource_type="azurerm_linux_virtual_machine", size="Standard_D2s_v5",
                   os_type="Linux", span=SourceSpan(file, 100 + i, 130 + i, 1))
                for i in range(n))
    protections = tuple(Protection(address=f"azurerm_backup_protected_vm.vm[{i}]",
                                   vm=vms[i].address, policy=policies[i % 20].address,
                                   vault=vaults[i % 20 % 2].address)
                        for i in range(n) if i % 10)
    estate = Estate(vms=vms, vaults=vaults, policies=policies, protections=protections)
    return Report(tool_version="0", units=(ScannedUnit(file, "terraform-hcl", (file,), estate),))


def test_size_grows_linearly_and_stays_under_5_mb_at_1000_vms() -> None:
    small = len(render(_estate_of(100), "html").encode())
    large = len(render(_estate_of(1000), "html").encode())
    assert large < 5_000_000
    assert 6 <= large / small <= 10.5  # linear (the fixed part is the frame of the page)
