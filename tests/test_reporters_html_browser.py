"""The HTML report opened in a real browser (headless Chromium, driven by Playwright).

The browser is the system's Chromium (Debian's ``chromium`` package, which ``.ci/run``
installs when it runs as root); no browser build is downloaded. Outside CI, with no
browser on the machine, these tests are skipped with the reason; in CI a missing browser is
a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from playwright.sync_api import Browser, Page, sync_playwright

from azbackup_policy.pipeline import ScanOptions, scan
from azbackup_policy.report import Report
from azbackup_policy.reporters import RenderOptions, render
from azbackup_policy.reporters._common import label

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str | None:
    for name in (os.environ.get("AZBACKUP_POLICY_CHROMIUM"), "chromium", "chromium-browser",
                 "google-chrome"):
        found = shutil.which(name) if name else None
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium in CI: .ci/run installs Debian's chromium when root")
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        yield launched
        launched.close()


class Opened:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def visible_rows(self) -> int:
        return self.page.locator("#vm-table tbody tr:not([hidden])").count()


def open_report(browser: Browser, report: Report, tmp_path: Path, name: str,
                options: RenderOptions | None = None) -> Opened:
    path = tmp_path / name
    path.write_text(render(report, "html", options), encoding="utf-8")
    page = browser.new_page()
    opened = Opened(page)
    page.goto(path.as_uri(), wait_until="load")
    return opened


@pytest.fixture(scope="module")
def example() -> Report:
    return scan([str(FIXTURES / "example")], ScanOptions())


def test_rows_and_graph_nodes_match_the_inventory(browser: Browser, example: Report,
                                                  tmp_path: Path) -> None:
    opened = open_report(browser, example, tmp_path, "example.html")
    vms = [vm for unit in example.units for vm in unit.estate.vms]
    assert opened.page.locator("#vm-table tbody tr").count() == len(vms)
    assert opened.page.locator("svg g.vm").count() == len(vms)
    assert opened.page.locator("svg g.policy").count() == sum(
        len(u.estate.policies) for u in example.units)
    assert opened.visible_rows() == len(vms)
    assert opened.page.locator("#vm-count").inner_text() == str(len(vms))
    assert opened.console == []
    assert opened.requests == [(tmp_path / "example.html").as_uri()]


@pytest.mark.parametrize("severity", ["error", "warning", "note"])
def test_filtering_by_severity_hides_the_right_rows(browser: Browser, example: Report,
                                                     tmp_path: Path, severity: str) -> None:
    wanted = {f.vm for f in example.active_findings if label(f) == severity and f.vm}
    opened = open_report(browser, example, tmp_path, f"filter-{severity}.html")
    opened.page.select_option("#f-severity", severity)
    shown = opened.page.locator("#vm-table tbody tr:not([hidden]) td:nth-child(2)")
    assert sorted(shown.all_inner_texts()) == sorted(wanted)
    assert opened.page.locator("svg g.vm:not(.dim)").count() == len(wanted)
    opened.page.select_option("#f-severity", "")
    assert opened.visible_rows() == opened.page.locator("#vm-table tbody tr").count()
    assert opened.console == []


def test_text_filter_and_sorting(browser: Browser, example: Report, tmp_path: Path) -> None:
    opened = open_report(browser, example, tmp_path, "text.html")
    opened.page.fill("#f-text", "vm-cache")
    assert opened.visible_rows() == 1
    opened.page.fill("#f-text", "")
    header = opened.page.locator("#vm-table thead th", has_text="Name")
    header.click()
    names = opened.page.locator("#vm-table tbody tr td:nth-child(2)").all_inner_texts()
    assert names == sorted(names)
    header.click()
    names = opened.page.locator("#vm-table tbody tr td:nth-child(2)").all_inner_texts()
    assert names == sorted(names, reverse=True)


def _hostile_report(tmp_path: Path) -> Report:
    folder = tmp_path / "hostile"
    folder.mkdir()
    names = ['<script>window.__pwned=1</script>', '\\"onload=\\"window.__pwned=2',
             '</svg><img src=x onerror=window.__pwned=3>', "javascript:window.__pwned=4"]
    blocks = "\n".join(f'''
resource "azurerm_linux_virtual_machine" "h{i}" {{
  name                  = "{name}"
  resource_group_name   = "rg"
  location              = "westeurope"
  size                  = "Standard_D2s_v5"
  admin_username        = "a"
  network_interface_ids = []
  tags = {{ owner = "{name}" }}
  os_disk {{
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }}
  source_image_reference {{
    publisher = "Canonical"
    offer     = "0001-com-ubuntu-server-jammy"
    sku       = "22_04-lts-gen2"
    version   = "latest"
  }}
}}''' for i, name in enumerate(names))
    (folder / "main.tf").write_text(blocks, encoding="utf-8")
    report = scan([str(folder)], ScanOptions())
    assert not report.errors, report.errors
    return report


def test_hostile_names_do_not_execute(browser: Browser, tmp_path: Path) -> None:
    report = _hostile_report(tmp_path)
    opened = open_report(browser, report, tmp_path, "hostile.html",
                         RenderOptions(link_base="javascript:window.__pwned=5//"))
    page: Any = opened.page
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert opened.dialogs == []
    assert page.locator("#vm-table tbody tr").count() == 4
    assert page.locator("svg g.vm").count() == 4
    assert page.locator("img").count() == 0
    assert page.locator('a[href^="javascript:"]').count() == 0
    body = page.locator("#vm-table").inner_text()
    assert "<script>window.__pwned=1</script>" in body  # shown as text
    assert "</svg><img src=x onerror=window.__pwned=3>" in body
    assert [m for m in opened.console if "pageerror" in m] == []
    assert opened.requests == [(tmp_path / "hostile.html").as_uri()]


def test_a_large_estate_is_drawn_as_tiles_one_per_vm(browser: Browser, tmp_path: Path) -> None:
    from test_reporters_html import _estate_of

    report = _estate_of(250)
    opened = open_report(browser, report, tmp_path, "large.html")
    assert opened.page.locator("#vm-table tbody tr").count() == 250
    assert opened.page.locator("svg g.vm").count() == 250
    assert opened.page.locator("svg g.vm.unprotected").count() == 25  # every tenth
    opened.page.fill("#f-text", "vm-0007")
    assert opened.visible_rows() == 1
    assert opened.page.locator("svg g.vm:not(.dim)").count() == 1
    assert opened.console == []
