"""Benchmark runner: wall time, CPU time and peak memory per format and size, with floors.

    python benchmarks/run.py                          # N = 1, 100, 1000 (+ 4000: scaling)
    python benchmarks/run.py --sizes 1 100 1000 10000 --repeat 5
    python benchmarks/run.py --formats plan arm --scaling plan arm bicep

Each measurement is a whole ``azbackup-policy scan --format json`` process (start-up
included), timed with ``os.wait4`` so that CPU time and peak RSS are the child's own.
Every command runs once to warm up (byte-code caches are written: the runner removes
``PYTHONDONTWRITEBYTECODE`` from the children's environment, as a user's shell would not
set it) and then ``--repeat`` times; the best wall and CPU times are reported. The
machine may be shared: the load average is printed before and after.

Floors: the ``json.load`` process of the same file (plan, ARM); python-hcl2's own parse
of the same files, ``hcl2.loads`` (HCL; the Lark-tree-only time, which the tool's HCL
reader starts from, is printed too); MB/s of the whole process (Bicep).
Targets are those of the performance issue; each row says whether it is met.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PYTHON = sys.executable
CLI = [PYTHON, "-m", "azbackup_policy"]
ROOT = Path(__file__).resolve().parent.parent
SMALL_PLAN = ROOT / "fixtures" / "scenarios" / "estate-basic" / "tfplan.json"
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
# Packages that --version and a small plan scan must not import (lazy loading); yaml is
# not among them: a scan reads the matrix, which is YAML.
HEAVY = ("jsonschema", "lark", "hcl2", "azbackup_policy.parsers.arm",
         "azbackup_policy.parsers.bicep", "azbackup_policy.parsers.hcl",
         "azbackup_policy.reporters.sarif", "azbackup_policy.baseline")


@dataclass(frozen=True)
class Run:
    wall: float  # best of the repeats, seconds
    cpu: float  # best user+sys, seconds
    rss: float  # highest peak RSS, MB (10**6 bytes, the unit of the file sizes)


def measure(argv: list[str], repeat: int, warm_up: bool = True) -> Run:
    """Best wall and CPU time and the peak RSS of ``argv`` (after a warm-up run)."""
    wall, cpu, rss = float("inf"), float("inf"), 0.0
    for attempt in range(repeat + 1 if warm_up else repeat):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                cwd="/", env=ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise SystemExit(f"{argv} failed: {err[-2000:]}")
        if warm_up and attempt == 0:
            continue
        wall = min(wall, elapsed)
        cpu = min(cpu, usage.ru_utime + usage.ru_stime)
        rss = max(rss, usage.ru_maxrss * 1024 / 1e6)  # KiB on Linux -> MB, as file sizes
    return Run(wall, cpu, rss)


def generate(n: int, out: Path) -> dict[str, Path]:
    """The inputs for ``n`` VMs, written by a child process.

    Linux counts a child's peak RSS from the moment it is forked, before ``exec``: a runner
    that had built a large estate itself would pass that memory on to every measurement.
    """
    subprocess.run([PYTHON, str(Path(__file__).resolve().parent / "generate.py"), str(n),
                    str(out)], check=True, stdout=subprocess.DEVNULL)
    return {"plan": out / "tfplan.json", "hcl": out / "terraform" / "main.tf",
            "arm": out / "arm" / "azuredeploy.json", "bicep": out / "bicep" / "main.bicep",
            "whatif": out / "whatif.json"}


def json_floor(path: Path, repeat: int) -> Run:
    code = f"import json; json.load(open({str(path)!r}, encoding='utf-8'))"
    return measure([PYTHON, "-c", code], max(repeat, 3))


def hcl_floor(folder: Path, repeat: int, tree_only: bool = False) -> Run:
    call = ("hcl2.parses_to_tree(text)" if tree_only else
            "hcl2.loads(text, serialization_options=opts)")
    code = (
        "import glob, hcl2\n"
        "from hcl2 import SerializationOptions as SO\n"
        "opts = SO(strip_string_quotes=True, explicit_blocks=False)\n"
        f"for f in sorted(glob.glob({str(folder)!r} + '/*.tf')):\n"
        "    text = open(f, encoding='utf-8').read()\n"
        f"    {call}\n"
    )
    return measure([PYTHON, "-c", code], repeat, warm_up=False)


def scan_argv(path: Path) -> list[str]:
    return [*CLI, "scan", str(path), "--format", "json", "--output", os.devnull,
            "--fail-on", "never"]


def resources_in(path: Path) -> int:
    data = json.loads(path.read_text(encoding="utf-8"))
    return len(data.get("resource_changes", ()))


def yes(ok: bool) -> str:
    return "met" if ok else "NOT met"


def bench_format(fmt: str, n: int, path: Path, repeat: int) -> tuple[str, Run]:
    target = path.parent if fmt == "hcl" else path
    size_mb = path.stat().st_size / 1e6
    run = measure(scan_argv(target), repeat, warm_up=n < 1000)
    if fmt in ("plan", "arm", "whatif"):
        floor = json_floor(path, repeat)
        ratio = run.wall / floor.wall
        note = f"json.load {floor.wall:.3f} s | {ratio:.1f}x | <= 2.5x {yes(ratio <= 2.5)}"
        if fmt == "plan":
            limit = 3 * size_mb + 60
            note += (f"; RSS <= {limit:.0f} MB {yes(run.rss <= limit)} (json.load process "
                     f"{floor.rss:.0f} MB)")
    elif fmt == "hcl":
        floor = hcl_floor(target, repeat)
        tree = hcl_floor(target, repeat, tree_only=True)
        ratio = run.wall / floor.wall
        note = (f"hcl2.loads {floor.wall:.3f} s | {ratio:.2f}x | <= 1.3x {yes(ratio <= 1.3)}"
                f" (Lark tree only {tree.wall:.3f} s: {run.wall / tree.wall:.2f}x)")
    else:
        rate = size_mb / run.wall
        note = f"- | {rate:.2f} MB/s | >= 2 MB/s {yes(rate >= 2)}"
    line = (f"| {fmt} | {n} | {size_mb:.2f} | {run.wall:.3f} | {run.cpu:.3f} | "
            f"{run.rss:.0f} | {note} |")
    return line, run


def imported_by(argv: list[str]) -> list[str]:
    """The modules of HEAVY that ``argv`` (a Python command) imports."""
    proc = subprocess.run([PYTHON, "-X", "importtime", *argv[1:]], capture_output=True,
                          text=True, cwd="/", env=ENV, check=False)
    names = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
             if line.startswith("import time:")}
    return sorted({n.split(".")[0] if not n.startswith("azbackup") else n
                   for n in names if n.startswith(HEAVY)})


def start_up(repeat: int) -> None:
    version = measure([*CLI, "--version"], repeat)
    print(f"azbackup-policy --version: {version.wall:.3f} s wall, {version.cpu:.3f} s CPU "
          f"(<= 0.15 s {yes(version.wall <= 0.15)}); heavy imports: "
          f"{imported_by([*CLI, '--version']) or 'none'}")
    small = measure(scan_argv(SMALL_PLAN), repeat)
    print(f"scan of {SMALL_PLAN.relative_to(ROOT)} ({resources_in(SMALL_PLAN)} resources): "
          f"{small.wall:.3f} s wall, {small.cpu:.3f} s CPU, {small.rss:.0f} MB "
          f"(<= 0.3 s {yes(small.wall <= 0.3)}); heavy imports: "
          f"{imported_by(scan_argv(SMALL_PLAN)) or 'none'}")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", type=int, default=[1, 100, 1000])
    parser.add_argument("--formats", nargs="+",
                        default=["plan", "hcl", "arm", "bicep", "whatif"])
    parser.add_argument("--scaling", nargs="*", default=["plan", "arm", "bicep"],
                        help="formats also run at 4000 VMs, for the 4000/1000 ratio")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; load average {load()}")
    start_up(max(args.repeat, 5))
    print("\n| format | VMs | MB | wall s | CPU s | peak MB | floor s | ratio | target |\n"
          "|---|---|---|---|---|---|---|---|---|")
    runs: dict[tuple[str, int], Run] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sizes = list(args.sizes)
        if args.scaling and 1000 in sizes and 4000 not in sizes:
            sizes.append(4000)
        for n in sizes:
            paths = generate(n, Path(tmp) / f"n{n}")
            formats = args.formats if n != 4000 or 4000 in args.sizes else args.scaling
            for fmt in formats:
                repeat = args.repeat if n < 1000 else 1 if fmt == "hcl" or n >= 10000 else 2
                line, run = bench_format(fmt, n, paths[fmt], repeat)
                runs[(fmt, n)] = run
                print(line, flush=True)
    print()
    for fmt in args.scaling:
        if (fmt, 1000) in runs and (fmt, 4000) in runs:
            ratio = runs[(fmt, 4000)].wall / runs[(fmt, 1000)].wall
            print(f"{fmt} 4000/1000 wall ratio: {ratio:.2f} (<= 4.4 {yes(ratio <= 4.4)})")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
