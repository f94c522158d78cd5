"""Helpers of the plan parser: the .tf block locator, addresses, value merging."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from azbackup_policy.discover import PLAN, FileLoader, Source
from azbackup_policy.errors import InputError
from azbackup_policy.linkers.azurerm import link
from azbackup_policy.model import Unknown
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers.terraform_plan import parse
from azbackup_policy.parsers.tf_source_map import scan_blocks
from azbackup_policy.parsers.tfplan_address import parse_address, tokenize
from azbackup_policy.parsers.tfplan_values import merge_values

TRICKY = '''# resource "azurerm_x" "commented" {
resource "azurerm_linux_virtual_machine" "web" {
  count = 2
  name  = "vm-web-${count.index}" # } not a brace
  custom_data = base64encode(<<-EOT
    #!/bin/sh
    echo "}" {
  EOT
  )
  tags = {
    a = "}"
    b = "${join("}", ["x"])}"
  }
  /* } */
  os_disk {
    caching = "ReadWrite"
  }
  dynamic "identity" {
    for_each = []
    content {
      type = "SystemAssigned"
    }
  }
  os_disk {
    caching = "None"
  }
  size = var.size == "a" ? "Standard_B2s" : "Standard_D2s_v5"
}

data "azurerm_client_config" "current" {}

# azbackup-policy: ignore BKP-COV-001 reason="restored by hand"
resource "azurerm_backup_protected_vm" "web" {
  // azbackup-policy: ignore BKP-POL-002 reason="inside"
  source_vm_id = azurerm_linux_virtual_machine.web[count.index].id
}
'''


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_blocks_ignore_braces_in_strings_comments_and_heredocs() -> None:
    blocks = {(b.mode, b.type, b.name): b for b in scan_blocks(TRICKY, "main.tf")}
    assert set(blocks) == {
        ("managed", "azurerm_linux_virtual_machine", "web"),
        ("data", "azurerm_client_config", "current"),
        ("managed", "azurerm_backup_protected_vm", "web"),
    }
    vm = blocks[("managed", "azurerm_linux_virtual_machine", "web")]
    assert (vm.span.line, vm.span.end_line) == (2, line_of(TRICKY, 'size = var.size') + 1)
    assert vm.attributes["size"].line == line_of(TRICKY, "size = var.size")
    assert vm.attributes["tags"].line == line_of(TRICKY, "tags = {")
    assert vm.attributes["os_disk.0.caching"].line == line_of(TRICKY, '"ReadWrite"')
    assert vm.attributes["os_disk.1.caching"].line == line_of(TRICKY, '"None"')
    assert "identity.0.type" not in vm.attributes and "a" not in vm.attributes
    protected = blocks[("managed", "azurerm_backup_protected_vm", "web")]
    assert protected.span.line == line_of(TRICKY, '"azurerm_backup_protected_vm"')
    assert protected.comments == (
        'azbackup-policy: ignore BKP-COV-001 reason="restored by hand"',
        'azbackup-policy: ignore BKP-POL-002 reason="inside"')
    assert vm.comments == ()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('{}[]()"#/*<-=$%\\\n ab_EOT')), max_size=300))
def test_block_locator_never_raises(text: str) -> None:
    for block in scan_blocks(text, "x.tf"):
        assert block.span.line <= block.span.end_line


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=len(TRICKY)))
def test_truncated_sources_never_raise(cut: int) -> None:
    scan_blocks(TRICKY[:cut], "x.tf")


def test_addresses_with_quoted_module_keys() -> None:
    address = parse_address('module.a["x.y]"].module.b[0].data.azurerm_x.y["k"]')
    assert address is not None
    assert address.module == (("a", "x.y]"), ("b", 0))
    assert (address.mode, address.type, address.name, address.key) == (
        "data", "azurerm_x", "y", "k")
    assert address.instance() == 'module.a["x.y]"].module.b[0].data.azurerm_x.y["k"]'
    reference = parse_address("azurerm_linux_virtual_machine.web[0].id")
    assert reference is not None and reference.rest == (("id", None),)


def test_non_resource_references_are_not_addresses() -> None:
    for text in ("var.x", "local.y", "each.value.id", "count.index", "module.m.out", "x"):
        assert parse_address(text) is None
    assert tokenize('a["unterminated') is None


def test_merge_marks_unknown_and_sensitive_leaves() -> None:
    values = {"a": 1, "b": None, "list": [None, "x"], "block": [{"c": None}], "secret": "pw"}
    unknown = {"gone": True, "list": [True, False], "block": [{"c": True}]}
    sensitive = {"secret": True, "block": [{}]}
    merged, paths = merge_values(values, unknown, sensitive, lambda p: f"expr:{p}")
    assert merged == {"a": 1, "b": None, "list": [Unknown("expr:list.0"), "x"],
                      "block": [{"c": Unknown("expr:block.0.c")}],
                      "secret": Unknown("(sensitive value)"), "gone": Unknown("expr:gone")}
    assert paths == frozenset({"secret"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["address", "values", "resources", "child_modules", "root_module",
                         "change", "actions", "after_unknown", "references", "expressions",
                         "module_calls", "module", "index", "type", "name", "mode", "id"]),
        inner, max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(planned=json_values, changes=json_values, configuration=json_values)
def test_random_plan_shapes_give_a_document_or_an_input_error(
        tmp_path_factory: pytest.TempPathFactory, planned: object, changes: object,
        configuration: object) -> None:
    plan = {"format_version": "1.2", "planned_values": planned,
            "resource_changes": changes, "configuration": configuration}
    path = tmp_path_factory.mktemp("fuzz") / "plan.json"
    path.write_text(json.dumps(plan))
    try:
        (document,) = parse(Source(str(path), PLAN), ParseContext(FileLoader()))
    except InputError:
        return
    link(document)  # the linker takes whatever the parser accepted


def _paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


_BASE_PLAN = "fixtures/plan/policy-switch-v2-to-v1/tfplan.json"


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_mutated_real_plans_give_a_document_or_an_input_error(
        tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    from conftest import REPO

    plan = json.loads((REPO / _BASE_PLAN).read_text())
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        path = data.draw(st.sampled_from(_paths(plan)[1:]))
        parent = plan
        for step in path[:-1]:
            parent = parent[step]  # type: ignore[index]
        parent[path[-1]] = data.draw(json_values)  # type: ignore[index]
    target = tmp_path_factory.mktemp("mutated") / "plan.json"
    target.write_text(json.dumps(plan))
    try:
        (document,) = parse(Source(str(target), PLAN), ParseContext(FileLoader()))
    except InputError:
        return
    link(document)
