"""The folders tell the architecture; imports must respect it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "azbackup_policy"
POLICIES = REPO / "policies"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {n for n in names if n.startswith("azbackup_policy")}


def ours(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def test_model_imports_nothing_of_ours() -> None:
    assert imported_modules(PACKAGE / "model.py") == set()


def test_parsers_import_only_model_document_errors_discover_and_parsers() -> None:
    allowed = ("azbackup_policy.model", "azbackup_policy.document", "azbackup_policy.errors",
               "azbackup_policy.discover", "azbackup_policy.parsers")
    for path in ours(PACKAGE / "parsers"):
        bad = {m for m in imported_modules(path) if not m.startswith(allowed)}
        assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


def test_policies_import_only_model_and_rule_api() -> None:
    allowed = ("azbackup_policy.model", "azbackup_policy.rules", "azbackup_policy.hookspecs",
               "azbackup_policy.policies")
    for path in ours(POLICIES):
        bad = {m for m in imported_modules(path) if not m.startswith(allowed)}
        assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


def test_nothing_imports_cli() -> None:
    for path in ours(PACKAGE) + ours(POLICIES):
        if path.name in ("cli.py", "__main__.py"):
            continue
        assert "azbackup_policy.cli" not in imported_modules(path), path


def test_import_is_cheap() -> None:
    code = (
        "import sys, azbackup_policy; "
        "heavy = {'jsonschema', 'hcl2', 'lark', 'yaml', 'pluggy'} & set(sys.modules); "
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd="/")
    assert out.stdout.strip() == "[]"


def test_mypy_strict_clean() -> None:
    """Every annotation is checked: the library, the built-in policies and the example plugin."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"),
         "--cache-dir", os.devnull, "azbackup_policy", "policies", "plugins"],
        capture_output=True, text=True, cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(REPO)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
