"""Terraform HCL parser: input errors carry a location; limits; robustness."""

from __future__ import annotations

import re
from pathlib import Path

import hcl2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_terraform_hcl_helpers import by_address, parse_error, parse_folder, write_module

from azbackup_policy.errors import InputError
from azbackup_policy.model import Unknown

FIXTURES = "fixtures/hcl"
VM = '''resource "azurerm_linux_virtual_machine" "vm" {
  name = "vm-1"
}
'''


def test_syntax_error_has_file_line_and_column(in_repo: Path) -> None:
    error = parse_error(f"{FIXTURES}/syntax_error")
    assert (error.file, error.line, error.column) == (f"{FIXTURES}/syntax_error/main.tf", 7, 28)
    assert "unexpected '='" in error.message


def test_unclosed_block_points_at_the_end(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": 'resource "a" "b" {\n  name = "x"\n'})
    error = parse_error(tmp_path, cwd=tmp_path)
    assert (error.file, error.line) == ("main.tf", 3)


def test_other_python_hcl2_failures_become_input_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_module(tmp_path, {"main.tf": VM})

    def explode(text: str) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(hcl2, "parses_to_tree", explode)
    error = parse_error(tmp_path, cwd=tmp_path)
    assert (error.file, error.line, error.column) == ("main.tf", 1, 1)
    assert "boom" in error.message


def test_invalid_tf_json_has_a_location(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf.json": '{\n  "resource": {\n    "a": [1,, 2]\n  }\n}\n'})
    error = parse_error(tmp_path, cwd=tmp_path)
    assert (error.file, error.line) == ("main.tf.json", 3)


def test_tfvars_syntax_error(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": VM, "terraform.tfvars": 'size = "a\n'})
    with pytest.raises(InputError) as caught:
        parse_folder(tmp_path, cwd=tmp_path)
    assert (caught.value.file, caught.value.line) == ("terraform.tfvars", 1)


def test_missing_var_file(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": VM})
    with pytest.raises(InputError, match="variables file not found"):
        parse_folder(tmp_path, cwd=tmp_path, var_files=(str(tmp_path / "nope.tfvars"),))


def test_count_over_the_limit_names_file_and_line(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": 'resource "a" "b" {\n  count = 50\n}\n'})
    with pytest.raises(InputError) as caught:
        parse_folder(tmp_path, cwd=tmp_path, max_loop_count=10)
    assert (caught.value.file, caught.value.line) == ("main.tf", 2)
    assert "over the limit of 10" in caught.value.message
    assert len(parse_folder(tmp_path, cwd=tmp_path, max_loop_count=50).resources) == 50


def test_for_each_over_the_limit(tmp_path: Path) -> None:
    text = 'resource "a" "b" {\n\n  for_each = toset(["x", "y", "z"])\n}\n'
    write_module(tmp_path, {"main.tf": text})
    with pytest.raises(InputError) as caught:
        parse_folder(tmp_path, cwd=tmp_path, max_loop_count=2)
    assert caught.value.line == 3


def test_for_each_of_a_wrong_type(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": 'resource "a" "b" {\n  for_each = 3\n}\n'})
    with pytest.raises(InputError, match="map, or a set of strings") as caught:
        parse_folder(tmp_path, cwd=tmp_path)
    assert caught.value.line == 2


def test_module_cycle(tmp_path: Path) -> None:
    write_module(tmp_path, {
        "a/main.tf": 'module "b" {\n  source = "../b"\n}\n',
        "b/main.tf": 'module "a" {\n  source = "../a"\n}\n',
    })
    with pytest.raises(InputError, match="calls itself") as caught:
        parse_folder(tmp_path / "a", cwd=tmp_path)
    assert (caught.value.file, caught.value.line) == ("b/main.tf", 2)


def test_module_depth_limit(tmp_path: Path) -> None:
    call = 'module "next" {{\n  source = "../m{}"\n}}\n'
    files = {f"m{i}/main.tf": call.format(i + 1) for i in range(5)}
    files["m5/main.tf"] = VM
    write_module(tmp_path, files)
    with pytest.raises(InputError, match="deeper than 2 levels"):
        parse_folder(tmp_path / "m0", cwd=tmp_path, max_module_depth=2)
    doc = parse_folder(tmp_path / "m0", cwd=tmp_path)
    assert [r.address for r in doc.resources] == [
        "module.next.module.next.module.next.module.next.module.next."
        "azurerm_linux_virtual_machine.vm"
    ]


def test_missing_module_folder_is_not_followed(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": 'module "x" {\n  source = "./modules/x"\n}\n' + VM})
    doc = parse_folder(tmp_path, cwd=tmp_path)
    [entry] = doc.not_followed
    assert (entry.file, entry.line, entry.address) == ("main.tf", 2, "module.x")
    assert "no .tf files in modules/x" in entry.reason and entry.hint
    assert [r.address for r in doc.resources] == ["azurerm_linux_virtual_machine.vm"]


def test_module_outside_the_scan_root(tmp_path: Path) -> None:
    write_module(tmp_path, {
        "root/main.tf": 'module "x" {\n  source = "../shared"\n}\n',
        "shared/main.tf": VM,
    })
    outside = parse_folder(tmp_path / "root", cwd=tmp_path, roots=(str(tmp_path / "root"),))
    [entry] = outside.not_followed
    assert "outside the scan root" in entry.reason and "--allow-outside-root" in entry.hint
    assert outside.resources == ()
    doc = parse_folder(tmp_path / "root", cwd=tmp_path, roots=(str(tmp_path),))
    assert [r.address for r in doc.resources] == ["module.x.azurerm_linux_virtual_machine.vm"]


def test_deeply_nested_expression(tmp_path: Path) -> None:
    deep = "[" * 3000 + "1" + "]" * 3000
    write_module(tmp_path, {"main.tf": f'resource "a" "b" {{\n  name = "x"\n  x = {deep}\n}}\n'})
    with pytest.raises(InputError, match="nested too deeply") as caught:
        parse_folder(tmp_path, cwd=tmp_path)
    assert (caught.value.file, caught.value.line) == ("main.tf", 3)


def test_duplicate_declarations_are_input_errors(tmp_path: Path) -> None:
    write_module(tmp_path, {"a.tf": VM, "b.tf": "\n" + VM})
    error = parse_error(tmp_path, cwd=tmp_path)
    assert re.search(r"first declared at a\.tf:1", error.message)
    assert (error.file, error.line) == ("b.tf", 2)


def test_duplicate_local_and_attribute(tmp_path: Path) -> None:
    write_module(tmp_path / "l", {"main.tf": "locals {\n  a = 1\n}\nlocals {\n  a = 2\n}\n"})
    error = parse_error(tmp_path / "l", cwd=tmp_path)
    assert re.search("duplicate local value 'a'", error.message)
    assert error.line == 5
    write_module(tmp_path / "a", {"main.tf": 'resource "a" "b" {\n  x = 1\n  x = 2\n}\n'})
    error = parse_error(tmp_path / "a", cwd=tmp_path)
    assert re.search("set twice", error.message)
    assert (error.line, error.column) == (3, 3)


def test_folder_without_resources_still_gives_a_document(tmp_path: Path) -> None:
    write_module(tmp_path, {"versions.tf": 'terraform {\n  required_version = ">= 1.5"\n}\n'})
    doc = parse_folder(tmp_path, cwd=tmp_path)
    assert doc.resources == () and doc.files == ("versions.tf",)


def test_reference_cycle_reads_as_unknown(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": (
        'resource "a" "x" {\n  name = a.y.name\n}\n'
        'resource "a" "y" {\n  name = a.x.name\n}\n'
        'locals {\n  p = local.q\n  q = local.p\n}\n'
        'resource "a" "z" {\n  name = local.p\n}\n'
    )})
    resources = by_address(parse_folder(tmp_path, cwd=tmp_path))
    assert resources["a.x"].properties["name"] == Unknown("a.y.name")
    assert resources["a.y"].properties["name"] == Unknown("a.x.name")
    assert isinstance(resources["a.z"].properties["name"], Unknown)


REPO = Path(__file__).resolve().parent.parent
BASE = (REPO / FIXTURES / "count" / "main.tf").read_text()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, len(BASE) - 1), st.integers(0, 40), st.text(max_size=8))
def test_mutated_input_returns_a_document_or_an_input_error(
    tmp_path: Path, start: int, cut: int, insert: str
) -> None:
    folder = tmp_path / f"m{start}-{cut}-{abs(hash(insert))}"
    folder.mkdir(exist_ok=True)
    (folder / "main.tf").write_text(BASE[:start] + insert + BASE[start + cut:], encoding="utf-8")
    try:
        parse_folder(folder, cwd=tmp_path)
    except InputError as error:
        assert error.file.endswith("main.tf") and error.line >= 1


JSON_BASE = (REPO / FIXTURES / "tf_json" / "main.tf.json").read_text()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, len(JSON_BASE) - 1), st.integers(0, 20), st.text(max_size=6))
def test_mutated_tf_json_returns_a_document_or_an_input_error(
    tmp_path: Path, start: int, cut: int, insert: str
) -> None:
    folder = tmp_path / f"j{start}-{cut}-{abs(hash(insert))}"
    folder.mkdir(exist_ok=True)
    text = JSON_BASE[:start] + insert + JSON_BASE[start + cut:]
    (folder / "main.tf.json").write_text(text, encoding="utf-8")
    try:
        parse_folder(folder, cwd=tmp_path)
    except InputError as error:
        assert error.file.endswith("main.tf.json") and error.line >= 1
