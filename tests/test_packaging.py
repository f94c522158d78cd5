"""The wheel carries the policies and works from a fresh virtual environment."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
         str(REPO)],
        check=True, capture_output=True, text=True,
    )
    (found,) = out.glob("azbackup_policy-*.whl")
    return found


@pytest.mark.slow
def test_wheel_contains_policies_and_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "azbackup_policy/policies/coverage.py" in names
    assert "azbackup_policy/py.typed" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[azbackup_policy]" in text
    assert "azbackup_policy.policies.coverage" in text


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed (what ``pip install .`` does)."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
                   check=True, capture_output=True)
    return venv


@pytest.mark.slow
def test_fresh_venv_install_runs_a_scan(venv: Path, tmp_path: Path) -> None:
    python = venv / "bin" / "python"
    version = subprocess.run([str(venv / "bin" / "azbackup-policy"), "--version"],
                             capture_output=True, text=True, check=True)
    assert version.stdout.startswith("azbackup-policy ")
    scan = subprocess.run(
        [str(python), "-m", "azbackup_policy", "scan", str(REPO / "fixtures" / "example"),
         "--format", "json"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert scan.returncode == 1, scan.stderr  # the bundled example has findings
    data = json.loads(scan.stdout)
    assert data["errors"] == []
    assert len(data["files_scanned"]) == 3
    found = {(f["rule_id"], f["vm"]) for f in data["findings"]}
    assert ("BKP-COV-001", "vm-build") in found
    assert ("BKP-ACT-001", "vm-sql") in found
    assert ("BKP-STO-002", "vm-analytics") in found


@pytest.mark.slow
def test_wheel_contains_every_module(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        str(path.relative_to(REPO)) for path in (REPO / "azbackup_policy").rglob("*.py")
    } | {
        "azbackup_policy/policies/" + str(path.relative_to(REPO / "policies"))
        for path in (REPO / "policies").rglob("*.py")
    }
    missing = sorted(expected - names)
    assert not missing, f"not in the wheel (add the package to pyproject.toml): {missing}"


README_EXAMPLE = """
import doctest, re, sys
text = open("README.md", encoding="utf-8").read()
block = re.search(r"^```pycon\\n(.*?)^```", text, re.MULTILINE | re.DOTALL).group(1)
test = doctest.DocTestParser().get_doctest(block, {}, "README", "README.md", 0)
runner = doctest.DocTestRunner()
runner.run(test)
sys.exit(1 if runner.failures or not runner.tries else 0)
"""


@pytest.mark.slow
def test_from_the_repository_root_the_source_tree_finds_the_policies(venv: Path) -> None:
    """After ``pip install .``, Python run in the checkout imports the source folder (it is
    first on sys.path): the README example and ``python -m`` must work there too."""
    python = str(venv / "bin" / "python")
    example = subprocess.run([python, "-c", README_EXAMPLE], cwd=REPO, capture_output=True,
                             text=True, check=False)
    assert example.returncode == 0, example.stdout + example.stderr
    where = subprocess.run([python, "-c", "import azbackup_policy as a; print(a.__file__)"],
                           cwd=REPO, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).parent == REPO / "azbackup_policy"  # the source folder
    scan = subprocess.run([python, "-m", "azbackup_policy", "scan", "fixtures/example",
                           "--no-config"], cwd=REPO, capture_output=True, text=True, check=False)
    assert scan.returncode == 1, scan.stderr  # findings, not exit 3 (no policies)
    assert "3 files scanned" in scan.stdout
