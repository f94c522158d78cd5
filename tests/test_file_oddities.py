"""Odd files through the CLI: every problem is ``file:line:col: message`` on stderr with
exit code 2 and no traceback, and the other files of the same run are still scanned."""

from __future__ import annotations

import builtins
import codecs
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from azbackup_policy.cli import main

ARM_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
LOCATED = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$", re.M)
GOOD_ARM = json.dumps({"$schema": ARM_SCHEMA, "contentVersion": "1.0.0.0", "resources": [
    {"type": "Microsoft.RecoveryServices/vaults", "apiVersion": "2024-04-01",
     "name": "rsv-good", "location": "westeurope"}]}, indent=2)
GOOD = {
    "good.json": GOOD_ARM,
    "good.bicep": "resource v 'Microsoft.RecoveryServices/vaults@2024-04-01' = {\n"
                  "  name: 'rsv-bicep'\n  location: 'westeurope'\n}\n",
    "tf/main.tf": 'resource "azurerm_recovery_services_vault" "v" {\n  name = "rsv-tf"\n'
                  '  location = "westeurope"\n  resource_group_name = "rg"\n'
                  '  sku = "Standard"\n}\n',
}


def scan(*args: str) -> tuple[int, dict[str, Any], str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["scan", "--no-config", "--format", "json", "--fail-on", "never", *args],
                stdout=out, stderr=err, environ={})
    return code, json.loads(out.getvalue()), err.getvalue()


def with_good_files(folder: Path) -> list[str]:
    for name, text in GOOD.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return sorted(GOOD)


def located(err: str) -> list[dict[str, str]]:
    assert "Traceback" not in err and "Error:" not in err, err
    return [m.groupdict() for m in LOCATED.finditer(err)]


def assert_one_error(code: int, report: dict[str, Any], err: str, file: str,
                     line: int | None = None) -> dict[str, str]:
    assert code == 2, err
    found = located(err)
    assert len(found) == 1, err
    assert found[0]["file"].endswith(file) and int(found[0]["line"]) >= 1, found
    assert int(found[0]["col"]) >= 1
    if line is not None:
        assert int(found[0]["line"]) == line, found
    assert len(report["errors"]) == 1
    return found[0]


def assert_good_scanned(report: dict[str, Any], folder: Path) -> None:
    scanned = " ".join(report["files_scanned"])
    for name in GOOD:
        assert name.split("/")[-1] in scanned, (name, scanned)


# -- symlinks -------------------------------------------------------------------------------

def test_symlink_loops_are_not_followed(tmp_path: Path) -> None:
    with_good_files(tmp_path)
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "tf" / "up").symlink_to(tmp_path / "tf", target_is_directory=True)
    (tmp_path / "self.json").symlink_to(tmp_path / "self.json")
    code, report, err = scan(str(tmp_path))
    assert code == 0 and located(err) == [], err
    assert_good_scanned(report, tmp_path)
    assert len(report["files_scanned"]) == len(GOOD)


def test_symlink_loop_named_explicitly(tmp_path: Path) -> None:
    with_good_files(tmp_path)
    (tmp_path / "self.json").symlink_to(tmp_path / "self.json")
    code, report, err = scan(str(tmp_path / "self.json"), str(tmp_path))
    assert_one_error(code, report, err, "self.json", 1)
    assert_good_scanned(report, tmp_path)


# -- unreadable files -----------------------------------------------------------------------

def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with_good_files(tmp_path)
    secret = tmp_path / "locked.json"
    secret.write_text(GOOD_ARM, encoding="utf-8")
    secret.chmod(0)
    real_open = builtins.open

    def guarded(file: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fspath(file).endswith("locked.json"):  # what chmod 000 does for non-root
            raise PermissionError(13, "Permission denied", os.fspath(file))
        return real_open(file, *args, **kwargs)

    if os.geteuid() == 0:  # root reads anything: simulate the permission error
        monkeypatch.setattr(builtins, "open", guarded)
    code, report, err = scan(str(tmp_path))
    found = assert_one_error(code, report, err, "locked.json", 1)
    assert "Permission denied" in found["message"]
    assert_good_scanned(report, tmp_path)


# -- encodings and line ends ----------------------------------------------------------------

@pytest.mark.parametrize("name", ["bad.json", "bad.bicep", "badtf/main.tf"])
def test_non_utf8_bytes(tmp_path: Path, name: str) -> None:
    with_good_files(tmp_path)
    text = {"bad.json": GOOD_ARM, "bad.bicep": GOOD["good.bicep"],
            "badtf/main.tf": GOOD["tf/main.tf"]}[name]
    data = text.encode("utf-8").replace(b"westeurope", b"west\xffeurope")
    (tmp_path / name).parent.mkdir(exist_ok=True)
    (tmp_path / name).write_bytes(data)
    code, report, err = scan(str(tmp_path))
    line = data[: data.index(b"\xff")].count(b"\n") + 1
    found = assert_one_error(code, report, err, name, line)
    assert "UTF-8" in found["message"] and "0xff" in found["message"]
    assert_good_scanned(report, tmp_path)


@pytest.mark.parametrize("bom", ["utf-8-sig", "utf-16"])
@pytest.mark.parametrize("name", ["good.json", "good.bicep", "tf/main.tf"])
def test_byte_order_marks_are_read(tmp_path: Path, bom: str, name: str) -> None:
    with_good_files(tmp_path)
    data = GOOD[name].encode(bom)
    assert data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    (tmp_path / name).write_bytes(data)
    code, report, err = scan(str(tmp_path))
    assert code == 0 and located(err) == [], err
    assert_good_scanned(report, tmp_path)


@pytest.mark.parametrize("name", ["good.json", "good.bicep", "tf/main.tf"])
def test_crlf_is_read_and_errors_keep_their_line(tmp_path: Path, name: str) -> None:
    with_good_files(tmp_path)
    (tmp_path / name).write_bytes(GOOD[name].replace("\n", "\r\n").encode())
    code, report, err = scan(str(tmp_path))
    assert code == 0 and located(err) == [], err
    first, rest = GOOD[name].split("\n", 1)
    broken = f"{first}\n\n  ^^^ ?!\n{rest}"
    (tmp_path / name).write_bytes(broken.replace("\n", "\r\n").encode())
    line = 3
    code, report, err = scan(str(tmp_path))
    assert_one_error(code, report, err, name.split("/")[0], line)


# -- empty files and directories with file names --------------------------------------------

@pytest.mark.parametrize("name", ["empty.bicep", "emptytf/main.tf", "empty.bicepparam"])
def test_empty_source_files(tmp_path: Path, name: str) -> None:
    with_good_files(tmp_path)
    (tmp_path / name).parent.mkdir(exist_ok=True)
    (tmp_path / name).write_bytes(b"")
    code, report, err = scan(str(tmp_path))
    assert code in (0, 2), err
    if code == 2:
        assert_one_error(code, report, err, name.split("/")[0], 1)
    assert_good_scanned(report, tmp_path)


def test_empty_json_named_explicitly(tmp_path: Path) -> None:
    with_good_files(tmp_path)
    (tmp_path / "empty.json").write_bytes(b"")
    code, report, err = scan(str(tmp_path / "empty.json"), str(tmp_path))
    found = assert_one_error(code, report, err, "empty.json", 1)
    assert "no known kind" in found["message"]
    assert_good_scanned(report, tmp_path)
    code, report, err = scan(str(tmp_path))  # met while walking: skipped, not an error
    assert code == 0 and "empty.json" in json.dumps(report["files_skipped"])


@pytest.mark.parametrize("name", ["dir.json", "dir.tf", "dir.bicep", "dir.bicepparam"])
def test_directories_named_like_files(tmp_path: Path, name: str) -> None:
    with_good_files(tmp_path)
    (tmp_path / name).mkdir()
    (tmp_path / name / "x.bicep").write_text(GOOD["good.bicep"], encoding="utf-8")
    code, report, err = scan(str(tmp_path))
    assert code == 0 and located(err) == [], err
    assert_good_scanned(report, tmp_path)
    code, report, err = scan(str(tmp_path / name), str(tmp_path))  # named explicitly
    assert code == 0 and located(err) == [], err


@pytest.mark.parametrize("folder", [".git", ".terraform", "node_modules"])
def test_tool_folders_are_skipped(tmp_path: Path, folder: str) -> None:
    with_good_files(tmp_path)
    hidden = tmp_path / "tf" / folder / "modules" / "x"
    hidden.mkdir(parents=True)
    (hidden / "main.tf").write_text("resource {{{ broken", encoding="utf-8")
    (hidden / "broken.json").write_text('{"$schema": "' + ARM_SCHEMA + '", ', encoding="utf-8")
    (hidden / "broken.bicep").write_text("resource ??? {", encoding="utf-8")
    code, report, err = scan(str(tmp_path))
    assert code == 0 and located(err) == [], err
    assert folder not in json.dumps(report["files_scanned"])


# -- many files in one run ------------------------------------------------------------------

BROKEN = {
    "b1.json": GOOD_ARM[:-20],
    "b2.bicep": "resource v 'Microsoft.RecoveryServices/vaults@2024-04-01' = {\n  name: \n",
    "b3/main.tf": 'resource "azurerm_resource_group" "rg" {\n  name = \n}\n',
    "b4.json": '{"format_version": "1.2", "planned_values": {"root_module": [}}',
    "b5.json": GOOD_ARM.replace("rsv-good", "[concat('a']"),
}


def test_twenty_good_and_five_broken_files(tmp_path: Path) -> None:
    for i in range(7):
        (tmp_path / f"arm{i}.json").write_text(GOOD_ARM.replace("rsv-good", f"rsv-{i}"),
                                               encoding="utf-8")
        (tmp_path / f"bicep{i}.bicep").write_text(GOOD["good.bicep"].replace(
            "rsv-bicep", f"rsv-b{i}"), encoding="utf-8")
    for i in range(6):
        (tmp_path / f"tf{i}").mkdir()
        (tmp_path / f"tf{i}" / "main.tf").write_text(GOOD["tf/main.tf"], encoding="utf-8")
    for name, text in BROKEN.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    code, report, err = scan(str(tmp_path))
    assert code == 2, err
    found = located(err)
    assert sorted(Path(e["file"]).name for e in found) == sorted(
        Path(n).name for n in BROKEN), err
    assert len(report["errors"]) == 5
    scanned = report["files_scanned"]
    # b5.json is valid JSON with one bad expression, b2.bicep one bad declaration: each is
    # reported, and the rest of the file is read.
    assert len(scanned) == 22, scanned
    broken = {str(tmp_path / name) for name in BROKEN}
    assert broken & set(scanned) == {str(tmp_path / "b5.json"), str(tmp_path / "b2.bicep")}


# -- boundaries: scan root, network, YAML tags, eval --------------------------------------

def test_paths_outside_the_scan_root_are_not_followed(tmp_path: Path) -> None:
    outside, root = tmp_path / "outside", tmp_path / "root"
    outside.mkdir()
    root.mkdir()
    (outside / "m.bicep").write_text(GOOD["good.bicep"], encoding="utf-8")
    (outside / "mod").mkdir()
    (outside / "mod" / "main.tf").write_text(GOOD["tf/main.tf"], encoding="utf-8")
    (outside / "linked.json").write_text(GOOD_ARM, encoding="utf-8")
    (outside / "data.json").write_text('{"a": 1}', encoding="utf-8")
    (root / "main.bicep").write_text(
        "module m '../outside/m.bicep' = {\n  name: 'm'\n}\n"
        "var d = loadJsonContent('../outside/data.json')\n"
        "var t = loadTextContent('../outside/data.json')\n", encoding="utf-8")
    (root / "tf").mkdir()
    (root / "tf" / "main.tf").write_text('module "m" {\n  source = "../../outside/mod"\n}\n',
                                         encoding="utf-8")
    deployment = {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
                  "name": "d", "properties": {"mode": "Incremental", "templateLink": {
                      "relativePath": "../outside/linked.json"}}}
    (root / "arm.json").write_text(json.dumps({"$schema": ARM_SCHEMA, "resources": [
        deployment]}), encoding="utf-8")
    code, report, err = scan(str(root))
    mentions = " ".join([err, json.dumps(report["not_followed"])])
    for name in ("m.bicep", "mod", "linked.json"):
        assert name in mentions, (name, mentions)
    assert "outside the scan root" in mentions
    assert "rsv-good" not in json.dumps(report) and "rsv-tf" not in json.dumps(report)
    code, report, err = scan(str(root), "--allow-outside-root")
    assert code == 0 and located(err) == [], err
    assert len(report["files_scanned"]) >= 6


def test_no_network_access_while_scanning_every_fixture(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access during a scan")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    fixtures = Path(__file__).resolve().parent.parent / "fixtures"
    out, err = io.StringIO(), io.StringIO()
    code = main(["scan", "--no-config", "--allow-outside-root", "--format", "json",
                 str(fixtures)], stdout=out, stderr=err, environ={})
    report = json.loads(out.getvalue())
    assert code in (1, 2) and len(report["files_scanned"]) > 50, err
    assert "network access" not in err


@pytest.mark.parametrize("option", ["--config", "--rules"])
def test_yaml_with_python_tags_is_rejected(tmp_path: Path, option: str) -> None:
    with_good_files(tmp_path)
    evil = tmp_path / "evil.yaml"
    evil.write_text("rules: !!python/object/apply:os.system ['touch pwned']\n"
                    "strict: !!python/object:builtins.object {}\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main(["scan", option, str(evil), str(tmp_path)], stdout=out, stderr=err,
                environ={})
    text = err.getvalue()
    assert code == 2 and "evil.yaml" in text and "Traceback" not in text, text
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def test_no_eval_exec_or_unsafe_yaml_in_the_package() -> None:
    package = Path(__file__).resolve().parent.parent / "azbackup_policy"
    policies = Path(__file__).resolve().parent.parent / "policies"
    banned = re.compile(r"(?<![\w.])(?<!def )(eval|exec|compile)\(|"
                        r"yaml\.(load|unsafe_load|full_load)\(|yaml\.C?(Unsafe|Full)?Loader\b|pickle"
                        r"|marshal\.loads|__import__\(")
    hits = [f"{path}:{n}: {line.strip()}"
            for folder in (package, policies) for path in sorted(folder.rglob("*.py"))
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if banned.search(line)]
    assert hits == []


def test_plugins_come_only_from_entry_points() -> None:
    import inspect

    from azbackup_policy import plugins

    source = inspect.getsource(plugins)
    assert "entry_points" in source or "load_setuptools_entrypoints" in source
    assert "import_module" not in source and "spec_from_file_location" not in source


@pytest.mark.parametrize(("name", "text"), [
    ("m.bicep", "module m './a\\u{0}b.bicep' = {\n  name: 'm'\n}\n"),
    ("p.bicepparam", "using './x\\u{0}.bicep'\n"),
    ("arm.json", json.dumps({"$schema": ARM_SCHEMA, "resources": [{
        "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "d",
        "properties": {"templateLink": {"relativePath": "a\u0000b.json"}}}]})),
    ("tfnul/main.tf", 'module "m" {\n  source = "./a\\u0000b"\n}\n'),
])
@pytest.mark.parametrize("outside", [False, True])
def test_module_path_with_a_nul_character(tmp_path: Path, name: str, text: str,
                                          outside: bool) -> None:
    """Found by fuzzing: ``using '\\x00./main.bicep'`` raised ValueError (embedded null byte)."""
    with_good_files(tmp_path)
    (tmp_path / name).parent.mkdir(exist_ok=True)
    (tmp_path / name).write_text(text, encoding="utf-8")
    code, report, err = scan(str(tmp_path), *(["--allow-outside-root"] if outside else []))
    found = assert_one_error(code, report, err, name.split("/")[-1])
    assert "NUL" in found["message"]
    assert_good_scanned(report, tmp_path)


# -- a defect of the tool that one input brings out -----------------------------------------
@pytest.mark.parametrize("stage", ["parse", "link"])
def test_an_unexpected_failure_on_one_input_is_located_and_the_rest_is_scanned(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str) -> None:
    """A bug in a parser or a linker that one file triggers (not an InputError) is reported
    against that file as an internal error (exit 2), never a traceback; the others are read."""
    import azbackup_policy.pipeline as pipeline

    with_good_files(tmp_path)
    if stage == "parse":
        real_loader = pipeline.load_parser

        def loader(name: str) -> Any:
            parser = real_loader(name)

            def failing(source: Any, context: Any) -> Any:
                if source.path.endswith(".bicep"):
                    raise KeyError("boom")
                return parser(source, context)
            return failing
        monkeypatch.setattr(pipeline, "load_parser", loader)
    else:
        real_link = pipeline.link

        def link(doc: Any) -> Any:
            if doc.path.endswith(".bicep"):
                raise TypeError("boom")
            return real_link(doc)
        monkeypatch.setattr(pipeline, "link", link)
    code, report, err = scan(str(tmp_path))
    found = assert_one_error(code, report, err, "good.bicep", line=1)
    assert "internal error" in found["message"] and "boom" in found["message"], found
    assert "please report" in found["message"]
    scanned = " ".join(report["files_scanned"])
    assert "good.json" in scanned and "main.tf" in scanned and "good.bicep" not in scanned
