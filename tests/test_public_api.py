"""The public API type-checks for real: ``mypy --strict`` sees the installed package's real
names (a misspelt name or a bad ``fail_on`` is an error) and a consumer of every public
name passes. mypy runs outside the repository, so it finds what is installed (README:
``pip install -e '.[test]' --config-settings editable_mode=compat`` or a wheel)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO

import azbackup_policy

CONSUMER = Path(__file__).with_name("api_consumer.py")

MISTAKES = '''from azbackup_policy import ScanOptions, scna

ScanOptions(fail_on="bogus")
'''


def test_all_is_sorted_and_every_name_resolves() -> None:
    names = azbackup_policy.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(azbackup_policy, name) is not None, name


def test_the_consumer_uses_the_whole_public_api() -> None:
    tree = ast.parse(CONSUMER.read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module == "azbackup_policy" for alias in node.names}
    assert imported == set(azbackup_policy.__all__)


def test_mypy_strict_accepts_the_consumer_and_rejects_mistakes(tmp_path: Path) -> None:
    shutil.copy(CONSUMER, tmp_path / "consumer.py")
    (tmp_path / "mistakes.py").write_text(MISTAKES, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir",
         str(tmp_path / ".mypy_cache"), "consumer.py", "mistakes.py"],
        cwd=tmp_path, capture_output=True, text=True, check=False)
    lines = [line for line in run.stdout.splitlines() if ": error:" in line]
    assert "import-not-found" not in run.stdout, (
        "mypy cannot see the installed azbackup_policy; install it as the README says "
        "(an editable install needs --config-settings editable_mode=compat)\n" + run.stdout)
    assert not [line for line in lines if line.startswith("consumer.py")], run.stdout
    assert any('"scna"' in line for line in lines), run.stdout
    assert any("'bogus'" in line and "fail_on" in line for line in lines), run.stdout


def test_the_consumer_runs(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(CONSUMER), str(REPO / "fixtures" / "example")],
                         cwd=tmp_path, capture_output=True, text=True, check=False)
    assert run.returncode == 1, run.stderr  # the example has errors
    assert "97 rules" in run.stdout or " rules, azbackup-policy " in run.stdout
    assert "vm-build:" in run.stdout
