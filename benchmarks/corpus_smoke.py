"""Smoke run over the shared corpus of real ARM templates and plan JSON (not a test).

    python benchmarks/corpus_smoke.py [CORPUS]        # default ../shared/corpus

Each file of ``MANIFEST.tsv`` is scanned on its own with ``scan`` (all rules) and
``inventory`` (``load_units``), so one crash cannot hide the others. Prints: files, units,
VMs found, templates the manifest says declare a VM (``has_vm``) against those where the
tool found one, input errors with their messages, and crashes (any exception other than
the project's own errors), with a short traceback. Exit code 1 when anything crashed.
"""

from __future__ import annotations

import csv
import sys
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from azbackup_policy.errors import AzBackupPolicyError
from azbackup_policy.pipeline import ScanOptions, load_units, scan


@dataclass
class Tally:
    files: int = 0
    units: int = 0
    vms: int = 0
    declared_vm: int = 0
    found_vm_where_declared: int = 0
    found_vm_not_declared: int = 0
    missed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    rule_failures: list[str] = field(default_factory=list)
    by_kind: Counter[str] = field(default_factory=Counter)


def manifest(corpus: Path) -> list[dict[str, str]]:
    with open(corpus / "MANIFEST.tsv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def smoke_one(path: Path, row: dict[str, str], tally: Tally) -> None:
    tally.files += 1
    tally.by_kind[row.get("kind", "?")] += 1
    options = ScanOptions()
    try:
        loaded = load_units([str(path)], options)
        report = scan([str(path)], options)
    except AzBackupPolicyError as error:
        tally.errors.append(f"{path}: {error}")
        return
    except Exception as error:  # a crash is what this script looks for
        where = traceback.extract_tb(error.__traceback__)[-3:]
        tally.crashes.append(f"{path}: {type(error).__name__}: {error}\n"
                             + "".join(traceback.format_list(where)))
        return
    tally.units += len(loaded.units)
    vms = sum(len(unit.estate.vms) for unit in loaded.units)
    tally.vms += vms
    tally.errors.extend(f"{e.file}:{e.line}:{e.column}: {e.message}" for e in loaded.errors)
    tally.rule_failures.extend(f"{path}: {f.rule_id}: {f.message}" for f in report.rule_failures)
    if row.get("has_vm") == "y":
        tally.declared_vm += 1
        if vms:
            tally.found_vm_where_declared += 1
        elif not loaded.errors:
            tally.missed.append(str(path))
    elif vms:
        tally.found_vm_not_declared += 1


def main(argv: list[str]) -> int:
    corpus = Path(argv[0] if argv else "../shared/corpus").resolve()
    tally = Tally()
    for row in manifest(corpus):
        smoke_one(corpus / row["local_path"], row, tally)
    print(f"corpus: {corpus}")
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(tally.by_kind.items()))
    print(f"files: {tally.files} ({kinds})")
    print(f"units: {tally.units}")
    print(f"VMs found: {tally.vms}")
    print(f"templates that declare a VM (has_vm=y): {tally.declared_vm}; "
          f"the tool found one in {tally.found_vm_where_declared}; "
          f"VMs found where has_vm=n: {tally.found_vm_not_declared}")
    print(f"declared a VM, none found, no input error: {len(tally.missed)}")
    for path in tally.missed:
        print(f"  {path}")
    print(f"input errors: {len(tally.errors)}")
    for message in tally.errors:
        print(f"  {message}")
    print(f"rule failures: {len(tally.rule_failures)}")
    for message in tally.rule_failures:
        print(f"  {message}")
    print(f"crashes: {len(tally.crashes)}")
    for message in tally.crashes:
        print(f"  {message}")
    return 1 if tally.crashes or tally.rule_failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
