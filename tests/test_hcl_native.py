"""HCL that Terraform accepts and python-hcl2's grammar does not: read through
:func:`azbackup_policy.parsers.hcl.native.prepare`, with every line where it was."""

from __future__ import annotations

from pathlib import Path

import hcl2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_terraform_hcl_helpers import by_address, parse_error, parse_folder, write_module

from azbackup_policy.parsers.hcl.native import prepare
from azbackup_policy.parsers.hcl.syntax import split_template

# name -> text python-hcl2 rejects as it stands, and Terraform accepts
ACCEPTED_BY_TERRAFORM = {
    "function name, newline, (": 'x = [\n  format\n  ("%s", "a")\n]\n',
    "function name, newline, ( in parentheses": 'x = (\n  merge\n  (a, b)\n)\n',
    "nested calls": 'x = [\n  join\n  (",", [\n    lower\n    ("A")\n  ])\n]\n',
    "provider function, newline, (": 'x = [\n  provider::azurerm::parse_resource_id\n  (a)\n]\n',
    "comment between name and (": 'x = [\n  f # why\n  (1)\n]\n',
    ".attr on the next line": 'x = (\n  a\n  .b\n)\n',
    "[index] on the next line": 'x = [\n  a\n  [0]\n]\n',
    "[*] on the next line": 'x = (\n  a\n  [*].b\n)\n',
    "=> on the next line in {for}": 'x = { for k, v in y : k\n  => v }\n',
    "block comment after =": 'x = /* why */ 1\n',
    "block comment in an object": 'x = {\n  a = 1 /* c */\n  b = /* d */ 2\n}\n',
    "block comment between labels": 'resource /* c */ "a" "b" {}\n',
    "strip markers": 'x = "${~ a ~}"\n',
    "left strip marker": 'x = "v-${~a}"\n',
}


@pytest.mark.parametrize("text", ACCEPTED_BY_TERRAFORM.values(), ids=ACCEPTED_BY_TERRAFORM)
def test_python_hcl2_reads_it_once_prepared(text: str) -> None:
    with pytest.raises(Exception):  # noqa: B017 - the gap itself: any Lark error
        hcl2.parses_to_tree(text)
    prepared = prepare(text)
    hcl2.parses_to_tree(prepared)
    assert len(prepared) == len(text) and prepared.count("\n") == text.count("\n")


def test_ordinary_text_is_returned_as_it_is() -> None:
    text = 'resource "a" "b" {\n  # a comment\n  x = f(a, [1, 2])\n  y = "${z}"\n}\n'
    assert prepare(text) is text


def test_strings_heredocs_and_comments_are_not_rewritten() -> None:
    text = ('x = [\n  "a /* not a comment */ b",\n  <<EOT\n  f\n  (1)\nEOT\n  ,\n'
            '  # f\n  # (2)\n  "${~ y}",\n]\n')
    prepared = prepare(text)
    assert prepared.splitlines()[:9] == text.splitlines()[:9]
    assert prepared.splitlines()[9] == '  "${  y}",'


def test_values_and_lines_are_terraform_s(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": '''locals {
  names = ["Web", "Db"]
}

resource "azurerm_linux_virtual_machine" "vm" {
  name = join("-", [
    lower
    (local.names[0]),
    local
    .names[1],
  ])
  size = /* the smallest that works */ "Standard_B2s"
  computer_name = "host  ${~ lower(local.names[1]) ~}  01"
  admin_username = "azureuser"
}

resource "azurerm_network_interface" "nic" {
  name = "nic"
  tags = { for n in local.names : lower(n)
    => n }
}
'''})
    doc = parse_folder(tmp_path, cwd=tmp_path)
    vm = by_address(doc)["azurerm_linux_virtual_machine.vm"]
    assert vm.properties["name"] == "web-Db"
    assert vm.properties["size"] == "Standard_B2s"
    assert vm.properties["computer_name"] == "hostdb01"
    assert vm.property_spans["size"].line == 12
    assert vm.property_spans["admin_username"].line == 14
    nic = by_address(doc)["azurerm_network_interface.nic"]
    assert nic.span.line == 17
    assert nic.properties["tags"] == {"web": "Web", "db": "Db"}


def test_an_error_after_a_rewritten_place_keeps_its_line_and_column(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": 'locals {\n  a = [\n    upper\n    ("x")\n  ]\n'
                            '  b = /* c */ 1\n  c = = 2\n}\n'})
    error = parse_error(tmp_path, cwd=tmp_path)
    assert (error.file, error.line, error.column) == ("main.tf", 7, 7)


def test_heredoc_strip_markers() -> None:
    assert split_template("hello ${~ x ~}\n  world\n") == ["hello", (" x ", 9), "world\n"]
    assert split_template("a ${~b} c") == ["a", ("b", 5), " c"]


@given(st.text(alphabet='ab (.)[]*/"~${}#\n =,', max_size=60))
def test_prepare_keeps_length_and_line_count(text: str) -> None:
    prepared = prepare(text)
    assert len(prepared) == len(text)
    assert prepared.count("\n") == text.count("\n")
