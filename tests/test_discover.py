from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from azbackup_policy.discover import (
    ARM,
    ARM_PARAMETERS,
    BICEP,
    HCL,
    PLAN,
    FileLoader,
    discover,
)
from azbackup_policy.errors import InputError

ARM_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
PARAM_SCHEMA = (
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run(tmp_path: Path, *paths: str, excludes: tuple[str, ...] = ()):
    loader = FileLoader([str(tmp_path)], cwd=str(tmp_path))
    return discover(list(paths), loader=loader, excludes=excludes, cwd=str(tmp_path))


def test_kinds_are_decided_by_name_and_content(tmp_path: Path) -> None:
    write(tmp_path / "plan.json", json.dumps({"format_version": "1.2", "planned_values": {}}))
    write(tmp_path / "arm" / "azuredeploy.json", json.dumps({"$schema": ARM_SCHEMA}))
    write(tmp_path / "arm" / "azuredeploy.parameters.json", json.dumps({"$schema": PARAM_SCHEMA}))
    write(tmp_path / "tf" / "main.tf", 'resource "x" "y" {}\n')
    write(tmp_path / "tf" / "vars.tf", "")
    write(tmp_path / "main.bicep", "param x string\n")
    write(tmp_path / "package.json", '{"name": "x"}')
    found = run(tmp_path, str(tmp_path))
    kinds = {(s.path, s.kind) for s in found.sources}
    assert kinds == {
        ("plan.json", PLAN),
        ("arm/azuredeploy.json", ARM),
        ("arm/azuredeploy.parameters.json", ARM_PARAMETERS),
        ("tf", HCL),
        ("main.bicep", BICEP),
    }
    skipped = [(s.path, s.reason) for s in found.skipped]
    assert skipped == [("package.json", "JSON of no known kind")]
    assert found.errors == []


def test_explicit_unknown_json_is_an_input_error(tmp_path: Path) -> None:
    write(tmp_path / "settings.json", '{"editor": true}')
    found = run(tmp_path, str(tmp_path / "settings.json"))
    assert found.sources == []
    assert len(found.errors) == 1
    assert found.errors[0].file == "settings.json"
    assert "no known kind" in found.errors[0].message


def test_missing_path_is_an_error_and_others_still_found(tmp_path: Path) -> None:
    write(tmp_path / "a.bicep", "")
    found = run(tmp_path, str(tmp_path / "nope"), str(tmp_path / "a.bicep"))
    assert [s.path for s in found.sources] == ["a.bicep"]
    assert [e.message for e in found.errors] == ["no such file or directory"]


def test_skips_vcs_and_tool_folders_and_excludes(tmp_path: Path) -> None:
    for folder in (".git", ".terraform/modules/x", "node_modules/pkg", "vendored"):
        write(tmp_path / folder / "main.tf", "")
    write(tmp_path / "root" / "main.tf", "")
    found = run(tmp_path, str(tmp_path), excludes=("vendored",))
    assert [s.path for s in found.sources] == ["root"]


def test_symlink_loop_is_not_followed_forever(tmp_path: Path) -> None:
    write(tmp_path / "a" / "main.bicep", "")
    os.symlink(tmp_path / "a", tmp_path / "a" / "loop")
    found = run(tmp_path, str(tmp_path))
    assert [s.path for s in found.sources] == ["a/main.bicep"]


def test_directory_named_json_is_walked_not_read(tmp_path: Path) -> None:
    write(tmp_path / "odd.json" / "main.bicep", "")
    found = run(tmp_path, str(tmp_path))
    assert [s.path for s in found.sources] == ["odd.json/main.bicep"]
    assert found.errors == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xef\xbb\xbfhello\r\n", "hello\r\n"),
        ("h\u00e9".encode("utf-16"), "h\u00e9"),
    ],
)
def test_loader_decodes_boms(tmp_path: Path, data: bytes, expected: str) -> None:
    (tmp_path / "f.bicep").write_bytes(data)
    assert FileLoader([str(tmp_path)]).read_text(str(tmp_path / "f.bicep")) == expected


def test_loader_reports_non_utf8_with_position(tmp_path: Path) -> None:
    (tmp_path / "f.bicep").write_bytes(b"ok\nab\xff\n")
    with pytest.raises(InputError) as info:
        FileLoader([str(tmp_path)], cwd=str(tmp_path)).read_text(str(tmp_path / "f.bicep"))
    assert (info.value.file, info.value.line, info.value.column) == ("f.bicep", 2, 3)


def test_loader_enforces_size_limit_and_root(tmp_path: Path) -> None:
    inside = tmp_path / "root"
    write(inside / "big.json", "x" * 100)
    outside = write(tmp_path / "other" / "m.bicep", "")
    loader = FileLoader([str(inside)], max_file_bytes=10, cwd=str(tmp_path))
    with pytest.raises(InputError, match="over the limit"):
        loader.read_text(str(inside / "big.json"))
    with pytest.raises(InputError, match="outside the scan root"):
        loader.check_allowed(str(outside), referrer="root/main.bicep", line=3)
    assert FileLoader([str(inside)], allow_outside_root=True).inside_roots(str(outside))


def test_scan_with_a_working_directory_other_than_the_process_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import FIXTURES

    from azbackup_policy.pipeline import ScanOptions, scan

    monkeypatch.chdir(tmp_path)  # the process is elsewhere; paths shown relative to cwd
    report = scan([str(FIXTURES / "example")], ScanOptions(cwd=str(FIXTURES.parent)))
    assert report.errors == ()
    assert set(report.files_scanned) == {
        "fixtures/example/arm/azuredeploy.json", "fixtures/example/bicep/main.bicep",
        "fixtures/example/terraform/main.tf"}
    assert {f.location.file for f in report.findings} <= set(report.files_scanned)


def test_repository_root_is_the_enclosing_git_work_tree(tmp_path):
    from azbackup_policy.discover import repository_root, scan_roots

    repo = tmp_path / "repo"
    (repo / "envs" / "prod").mkdir(parents=True)
    (repo / ".git").mkdir()
    (repo / "envs" / "prod" / "main.tf").write_text("")
    assert repository_root("envs/prod", cwd=str(repo)) == str(repo.resolve())
    assert repository_root(str(repo / "envs/prod/main.tf")) == str(repo.resolve())
    # a worktree or submodule has a .git file, not a folder
    sub = repo / "vendor" / "sub"
    sub.mkdir(parents=True)
    (sub / ".git").write_text("gitdir: ../../.git/modules/sub\n")
    assert repository_root(str(sub)) == str(sub.resolve())
    # no git at all: the working directory
    loose = tmp_path / "loose" / "a"
    loose.mkdir(parents=True)
    assert repository_root(str(loose), cwd=str(tmp_path)) == str(tmp_path.resolve())
    assert scan_roots(["envs/prod"], cwd=str(repo)) == [
        str(repo.resolve()), str((repo / "envs" / "prod").resolve())
    ]


@pytest.mark.parametrize("fixture", [
    "rules/os_linux/lnx-003",  # Terraform file functions, Bicep, ARM custom data
    "hcl/module", "arm/linked-template", "bicep/module-local", "scenarios/estate-basic"])
def test_a_library_scan_with_its_own_cwd_reads_what_a_cli_scan_reads(
        tmp_path: Path, fixture: str) -> None:
    """``ScanOptions(cwd=...)`` with relative paths: files beside a file (modules, linked
    templates, file()/loadTextContent() targets) are found from that cwd, not from the
    process's working directory (which is the checkout here)."""
    import shutil

    from azbackup_policy import ScanOptions, scan

    source = Path(__file__).resolve().parent.parent / "fixtures" / fixture
    repo = tmp_path / "repo"
    shutil.copytree(source, repo)
    (repo / ".git").mkdir()
    here = scan(["."], ScanOptions(cwd=str(repo)))
    assert here.errors == ()
    assert here.units
    rows = sorted((f.rule_id, f.location.file, f.location.line) for f in here.findings)
    absolute = scan([str(repo)], ScanOptions(cwd=str(repo)))
    assert rows == sorted((f.rule_id, f.location.file, f.location.line)
                          for f in absolute.findings)
    assert sorted(here.files_scanned) == sorted(absolute.files_scanned)
