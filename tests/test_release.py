"""Every documented ref names the release in ``_version.py``: pre-commit ``rev: vX.Y.Z``, the
Action's moving major tag ``@vX`` (or ``@vX.Y.Z``), Azure Pipelines ``refs/tags/vX.Y.Z`` and the
template's default ``packageSpec``; the CHANGELOG has the version (docs/releasing.md)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from conftest import REPO

from azbackup_policy._version import __version__

DOCUMENTS = [REPO / "README.md", REPO / "CHANGELOG.md", REPO / "action.yml",
             REPO / "templates" / "azure-pipelines" / "azbackup-policy.yml",
             *sorted((REPO / "docs").glob("*.md")), *sorted((REPO / "docs").glob("*.yml"))]
OWN = r"azbackup-policy/azbackup-policy"
REFS = [
    ("pre-commit rev", re.compile(r"^\s*rev:\s*(v\d+(?:\.\d+)*)", re.MULTILINE)),
    ("Azure Pipelines ref", re.compile(r"ref:\s*refs/tags/(v\d+(?:\.\d+)*)")),
    ("action or git ref", re.compile(OWN + r"(?:\.git)?@(v\d+(?:\.\d+)*)")),
]


def documented_refs() -> list[tuple[Path, str, str]]:
    found = []
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        for what, pattern in REFS:
            found += [(path, what, m.group(1)) for m in pattern.finditer(text)]
    return found


def test_every_documented_ref_is_this_release_or_its_major_tag() -> None:
    major = "v" + __version__.split(".")[0]
    allowed = {"v" + __version__, major}
    refs = documented_refs()
    kinds = {what for _, what, _ in refs}
    assert kinds == {what for what, _ in REFS}, "a kind of ref is no longer documented"
    wrong = [f"{p.relative_to(REPO)}: {what} {ref}" for p, what, ref in refs
             if ref not in allowed]
    assert not wrong, f"refs must be v{__version__} or {major} (docs/releasing.md): {wrong}"
    pinned = [ref for _, what, ref in refs if what != "action or git ref"]
    assert set(pinned) == {"v" + __version__}, "pre-commit and Azure Pipelines pin a release"


def test_the_template_installs_this_repository_at_the_release_tag() -> None:
    template = yaml.safe_load(
        (REPO / "templates" / "azure-pipelines" / "azbackup-policy.yml").read_text("utf-8"))
    (spec,) = [p for p in template["parameters"] if p["name"] == "packageSpec"]
    assert spec["default"] == f"git+https://github.com/{OWN}@v{__version__}"


def test_every_template_step_runs_on_linux_and_windows_agents() -> None:
    template = yaml.safe_load(
        (REPO / "templates" / "azure-pipelines" / "azbackup-policy.yml").read_text("utf-8"))
    for step in template["steps"]:
        assert "task" in step or "bash" in step or "pwsh" in step, step
        assert "script" not in step and "powershell" not in step, step


def test_the_changelog_has_this_version_and_the_release_procedure_is_linked() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(__version__)}\b", changelog, re.MULTILINE)
    assert "docs/releasing.md" in changelog
    assert (REPO / "docs" / "releasing.md").is_file()
