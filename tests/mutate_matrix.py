"""Mutation check of policies/matrix.yaml: change every number in it by +1 and by -1, one at a
time, and run the tests that guard the limits; a mutant that no test notices is reported.

    .venv/bin/python tests/mutate_matrix.py            # every number, both directions
    .venv/bin/python tests/mutate_matrix.py --list     # the mutation sites only

Not part of the suite (it runs the suite once per mutant). The file is always restored.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MATRIX = ROOT / "policies" / "matrix.yaml"
NUMBER = re.compile(r"(?<![\w.\-'\"])(\d+(?:\.\d+)?)(?![\w.\-'\"])")
FAST = ["tests/test_matrix_data.py", "tests/test_matrix_boundaries.py",
        "tests/test_policies_frequency_retention.py", "tests/test_policies_storage.py",
        "tests/test_policies_compute.py", "tests/test_policies_coverage_actions.py"]
SLOW = ["tests/test_policies_fixtures.py", "tests/test_sample_estate.py",
        "tests/test_review_cases.py"]


def sites(text: str) -> list[tuple[int, int, int, str]]:
    """(line number, start, end, number) of every number outside comments."""
    found = []
    for number, line in enumerate(text.splitlines(keepends=True)):
        code = line.split("#", 1)[0]
        found += [(number, m.start(1), m.end(1), m.group(1)) for m in NUMBER.finditer(code)]
    return found


def mutate(text: str, site: tuple[int, int, int, str], delta: int) -> str:
    lines = text.splitlines(keepends=True)
    number, start, end, value = site
    new = str(round(float(value) + delta, 2)) if "." in value else str(int(value) + delta)
    lines[number] = lines[number][:start] + new + lines[number][end:]
    return "".join(lines)


def killed(tests: list[str]) -> bool:
    run = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                          *tests], cwd=ROOT, capture_output=True, text=True)
    return run.returncode != 0


def main() -> int:
    original = MATRIX.read_text(encoding="utf-8")
    all_sites = sites(original)
    if "--list" in sys.argv:
        for number, _, _, value in all_sites:
            print(f"{MATRIX.name}:{number + 1}: {value}")
        return 0
    survivors = []
    try:
        for site in all_sites:
            for delta in (1, -1):
                MATRIX.write_text(mutate(original, site, delta), encoding="utf-8")
                if not (killed(FAST) or killed(SLOW)):
                    survivors.append(f"line {site[0] + 1}: {site[3]} {delta:+d}")
                    print("SURVIVED", survivors[-1], flush=True)
    finally:
        MATRIX.write_text(original, encoding="utf-8")
    print(f"{2 * len(all_sites)} mutants, {len(survivors)} survived")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
