"""Make ``docs/report-example.png``: the HTML report of the bundled example, as a browser
shows it. Run from the repository root after ``pip install -e '.[test]'`` with Chromium
installed (Debian: ``apt-get install chromium``):

    python docs/screenshot.py

The README shows the picture; regenerate it with this script, never by hand.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from azbackup_policy.pipeline import ScanOptions, scan
from azbackup_policy.reporters import RenderOptions, render

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "report-example.png"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> int:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("no chromium on PATH (apt-get install chromium)", file=sys.stderr)
        return 2
    report = scan(["fixtures/example"], ScanOptions(cwd=str(ROOT)))
    page_text = render(report, "html", RenderOptions(
        link_base="https://github.com/azbackup-policy/azbackup-policy/blob/main/"))
    with tempfile.TemporaryDirectory() as folder:
        page_file = Path(folder) / "report.html"
        page_file.write_text(page_text, encoding="utf-8")
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=browser, args=FLAGS)
            page = launched.new_page(viewport={"width": 1280, "height": 1400})
            page.goto(page_file.as_uri(), wait_until="load")
            page.screenshot(path=str(OUT), full_page=False)
            launched.close()
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
