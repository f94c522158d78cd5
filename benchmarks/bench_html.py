"""Render time and size of the HTML report, for the bundled example and an N-VM estate.

    python benchmarks/bench_html.py            # the example and the 1,000-VM estate
    python benchmarks/bench_html.py 100 1000 4000

The estate is the one ``generate.py`` writes (its plan JSON); the scan is done once and
only ``render(report, "html")`` is timed (best of 5).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from azbackup_policy.pipeline import ScanOptions, scan
from azbackup_policy.report import Report
from azbackup_policy.reporters import render

ROOT = Path(__file__).resolve().parent.parent


def timed(report: Report) -> tuple[float, int]:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        page = render(report, "html")
        best = min(best, time.perf_counter() - start)
    return best, len(page.encode("utf-8"))


def line(name: str, report: Report) -> str:
    seconds, size = timed(report)
    vms = sum(len(unit.estate.vms) for unit in report.units)
    return (f"| {name} | {vms} | {len(report.findings)} | {seconds * 1000:.1f} | "
            f"{size / 1e6:.2f} |")


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000]
    print("| estate | VMs | findings | render (ms) | size (MB) |\n|---|---|---|---|---|")
    print(line("fixtures/example", scan([str(ROOT / "fixtures" / "example")], ScanOptions())))
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            out = Path(folder) / f"n{n}"
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(n),
                            str(out)], check=True, stdout=subprocess.DEVNULL)
            print(line(f"generate.py {n} (plan)", scan([str(out / "tfplan.json")],
                                                       ScanOptions())))


if __name__ == "__main__":
    main()
