"""Benchmark runner: wall time and peak memory per format and size, with floors.

    python benchmarks/run.py                 # N = 1, 100, 1000 (and 4000 for plan)
    python benchmarks/run.py --sizes 1 100 1000 10000

Each measurement is a whole ``azbackup-policy scan --format json`` process (start-up
included), timed with ``os.wait4`` so the peak RSS is the child's own. Floors:
the ``json.load`` process of the same file (plan, ARM), python-hcl2's own parse of
the same files (HCL), and MB/s (Bicep). Targets are those of the performance issue.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import write_all

PYTHON = sys.executable
CLI = [PYTHON, "-m", "azbackup_policy"]


def measure(argv: list[str], repeat: int = 3) -> tuple[float, float]:
    """Best wall time (s) and peak RSS (MB) of running ``argv``, over ``repeat`` runs."""
    best_time, peak = float("inf"), 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                cwd="/")
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise SystemExit(f"{argv} failed: {err[-2000:]}")
        if proc.stderr:
            proc.stderr.close()
        best_time = min(best_time, elapsed)
        peak = max(peak, usage.ru_maxrss / 1024)
    return best_time, peak


def json_floor(path: Path) -> float:
    code = f"import json; json.load(open({str(path)!r}, encoding='utf-8'))"
    return measure([PYTHON, "-c", code])[0]


def hcl_floor(folder: Path) -> float:
    code = (
        "import glob, hcl2\n"
        "from hcl2 import SerializationOptions as SO\n"
        "opts = SO(strip_string_quotes=True, explicit_blocks=False)\n"
        f"for f in sorted(glob.glob({str(folder)!r} + '/*.tf')):\n"
        "    hcl2.loads(open(f, encoding='utf-8').read(), serialization_options=opts)\n"
    )
    return measure([PYTHON, "-c", code], repeat=1)[0]


def scan_argv(path: Path) -> list[str]:
    return [*CLI, "scan", str(path), "--format", "json", "--output", os.devnull,
            "--fail-on", "never"]


def row(fmt: str, n: int, size_mb: float, wall: float, rss: float, floor: str) -> str:
    return f"| {fmt} | {n} | {size_mb:.2f} | {wall:.2f} | {rss:.0f} | {floor} |"


def bench_format(fmt: str, n: int, paths: dict[str, Path]) -> tuple[str, float]:
    path = paths[fmt]
    target = path.parent if fmt == "hcl" else path
    size_mb = (path.stat().st_size) / 1e6
    wall, rss = measure(scan_argv(target), repeat=1 if n >= 1000 else 3)
    if fmt in ("plan", "arm"):
        floor = json_floor(path)
        note = f"json.load {floor:.2f}s, ratio {wall / floor:.2f}x; mem target " \
               f"{3 * size_mb + 60:.0f} MB"
    elif fmt == "hcl":
        floor = hcl_floor(target)
        note = f"python-hcl2 {floor:.2f}s, ratio {wall / floor:.2f}x"
    else:
        note = f"{size_mb / wall:.2f} MB/s (whole process)"
    return row(fmt, n, size_mb, wall, rss, note), wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", type=int, default=[1, 100, 1000])
    parser.add_argument("--formats", nargs="+", default=["plan", "hcl", "arm", "bicep"])
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    version, _ = measure([*CLI, "--version"], repeat=5)
    print(f"azbackup-policy --version: {version:.3f} s (target <= 0.15 s)")
    print("\n| format | VMs | MB | wall s | peak MB | floor |\n|---|---|---|---|---|---|")
    walls: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            paths = write_all(n, Path(tmp) / f"n{n}")
            for fmt in args.formats:
                line, wall = bench_format(fmt, n, paths)
                walls[(fmt, n)] = wall
                print(line, flush=True)
        if "plan" in args.formats and 1000 in args.sizes:
            paths = write_all(4000, Path(tmp) / "n4000")
            line, wall = bench_format("plan", 4000, paths)
            print(line)
            print(f"\nplan 4000/1000 time ratio: {wall / walls[('plan', 1000)]:.2f} "
                  "(target <= 4.4)")


if __name__ == "__main__":
    main()
