"""Terraform HCL static evaluation: operators, templates, functions, for expressions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_terraform_hcl_helpers import by_address, parse_folder, write_module

from azbackup_policy.model import Unknown

CASES: list[tuple[str, Any]] = [
    ("1 + 2 * 3", 7),
    ("10 / 4", 2.5),
    ("10 / 2", 5),
    ("7 % 3", 1),
    ("-var.known.a", -1),
    ("1.5e3", 1500),
    ('"a" == "a"', True),
    ('1 == "1"', False),
    ("!true", False),
    ("3 > 2 && 1 >= 1", True),
    ('var.known.a > 0 ? "yes" : "no"', "yes"),
    ("var.unknown_v ? 1 : 2", Unknown("var.unknown_v ? 1 : 2")),
    ('"${var.known.b}-${var.known.a}"', "x-1"),
    ('"pre-${var.unknown_v}"', Unknown('"pre-${var.unknown_v}"')),
    ('"${var.known.a}"', 1),
    ('"$${literal}"', "${literal}"),
    ('"tab\\tquote\\"\\u00e9"', 'tab\tquote"\u00e9'),
    ('try(var.known.missing, "fallback")', "fallback"),
    ('try(var.unknown_v, "fallback")', Unknown('try(var.unknown_v, "fallback")')),
    ("can(var.known.missing)", False),
    ("can(var.known.a)", True),
    ('coalesce("", null, "c")', "c"),
    ('lookup(local.m, "k2", "d")', "v2"),
    ('lookup(local.m, "zz", "d")', "d"),
    ('merge(local.m, { k3 = "v3" })', {"k1": "v1", "k2": "v2", "k3": "v3"}),
    ('jsonencode({ b = 1, a = [true, null, "<x>"] })', '{"a":[true,null,"\\u003cx\\u003e"],"b":1}'),
    ("tostring(5)", "5"),
    ('tonumber("42")', 42),
    ("toset(local.names)", ["a", "b"]),
    ('tolist(toset(["z", "y"]))', ["y", "z"]),
    ("length(local.names)", 3),
    ('concat(["a"], ["b", "c"])', ["a", "b", "c"]),
    ('format("%s-%03d", "vm", 7)', "vm-007"),
    ('lower("ABC")', "abc"),
    ('upper("abc")', "ABC"),
    ('replace("a-b-c", "-", "_")', "a_b_c"),
    ('replace("vm01", "/[0-9]+/", "X")', "vmX"),
    ('element(["a", "b"], 3)', "b"),
    ("keys(local.m)", ["k1", "k2"]),
    ("values(local.m)", ["v1", "v2"]),
    ('contains(local.names, "a")', True),
    ('[for n in local.names : upper(n) if n != "a"]', ["B", "B"]),
    ("{ for k, v in local.m : v => k }", {"v1": "k1", "v2": "k2"}),
    ("local.objects[*].name", ["one", "two"]),
    ("local.names[1]", "a"),
    ('var.known["b"]', "x"),
    ("max(1, 5, 3)", 5),
    ("notafunction(1)", Unknown("notafunction(1)")),
    ("merge(var.unknown_v, {})", Unknown("merge(var.unknown_v, {})")),
    ("length([var.unknown_v, 1])", 2),
    ("local.m.missing", Unknown("local.m.missing")),
    ("path.module", "."),  # the root module: Terraform's working directory
    ("path.root", "."),
    ("path.other", Unknown("path.other")),
    ('compact(["a", "", null])', ["a"]),
    ('one(["x"])', "x"),
    ('slice(["a", "b", "c"], 1, 3)', ["b", "c"]),
    ('base64encode("hi")', "aGk="),
    ('trimprefix("vm-web", "vm-")', "web"),
    ("var.count_text + 1", 3),
    ("var.flag_text", True),
    ('"vm-%{ if var.known.a == 1 }one%{ else }other%{ endif }"', "vm-one"),
    ('"%{ for n in local.names }<${n}>%{ endfor }"', "<b><a><b>"),
    ('"%{ for k, v in local.m }${k}=${v};%{ endfor }"', "k1=v1;k2=v2;"),
    ('"%{ if var.unknown_v }x%{ endif }"', Unknown('"%{ if var.unknown_v }x%{ endif }"')),
    ('"%{~ if true ~}x%{ endif }"', Unknown('"%{~ if true ~}x%{ endif }"')),
    ("<<EOT\nheredoc ${var.known.b}\nEOT\n", "heredoc x\n"),
    ("<<-EOT\n    two\n      lines\n    EOT\n", "two\n  lines\n"),
]

HEADER = '''variable "known" {
  default = { a = 1, b = "x" }
}

variable "unknown_v" {}

variable "count_text" {
  type    = number
  default = "2"
}

variable "flag_text" {
  type    = bool
  default = "true"
}

locals {
  names   = ["b", "a", "b"]
  m       = { k1 = "v1", k2 = "v2" }
  objects = [{ name = "one" }, { name = "two" }]
}
'''


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("eval")
    body = "".join(f"  e{index} = {text}\n" for index, (text, _) in enumerate(CASES))
    write_module(folder, {"main.tf": HEADER + f'resource "test_thing" "t" {{\n{body}}}\n'})
    resource = by_address(parse_folder(folder, cwd=folder))["test_thing.t"]
    return dict(resource.properties)


@pytest.mark.parametrize(("index", "expected"), [(i, e) for i, (_, e) in enumerate(CASES)],
                         ids=[text.split("\n")[0] for text, _ in CASES])
def test_expression(evaluated: dict[str, Any], index: int, expected: Any) -> None:
    value = evaluated[f"e{index}"]
    assert value == expected
    assert type(value) is type(expected)


def test_null_attributes_are_absent(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": 'resource "t" "r" {\n  a = null\n  b = 1\n}\n'})
    resource = by_address(parse_folder(tmp_path, cwd=tmp_path))["t.r"]
    assert dict(resource.properties) == {"b": 1}


def test_data_sources_are_resources_in_data_mode(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": (
        'data "azurerm_recovery_services_vault" "v" {\n'
        '  name                = "rsv-app"\n'
        '  resource_group_name = "rg-app"\n'
        '}\n'
        'resource "azurerm_backup_policy_vm" "p" {\n'
        '  recovery_vault_name = data.azurerm_recovery_services_vault.v.name\n'
        '  vault_id            = data.azurerm_recovery_services_vault.v.id\n'
        '}\n'
    )})
    resources = by_address(parse_folder(tmp_path, cwd=tmp_path))
    vault = resources["data.azurerm_recovery_services_vault.v"]
    assert (vault.mode, vault.type) == ("data", "azurerm_recovery_services_vault")
    policy = resources["azurerm_backup_policy_vm.p"]
    assert policy.properties["recovery_vault_name"] == "rsv-app"
    assert policy.properties["vault_id"] == Unknown("data.azurerm_recovery_services_vault.v.id")
    assert policy.references == {
        "recovery_vault_name": ("data.azurerm_recovery_services_vault.v",),
        "vault_id": ("data.azurerm_recovery_services_vault.v",),
    }


def test_links_through_locals_pick_the_right_instance(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": (
        'resource "azurerm_linux_virtual_machine" "a" {\n  name = "vm-a"\n}\n'
        'resource "azurerm_linux_virtual_machine" "b" {\n  name = "vm-b"\n}\n'
        'locals {\n'
        '  ids = {\n'
        '    a = azurerm_linux_virtual_machine.a.id\n'
        '    b = azurerm_linux_virtual_machine.b.id\n'
        '  }\n'
        '}\n'
        'resource "azurerm_backup_protected_vm" "p" {\n'
        '  for_each     = toset(["b"])\n'
        '  source_vm_id = local.ids[each.key]\n'
        '  name         = "item-${azurerm_linux_virtual_machine.b.name}"\n'
        '}\n'
    )})
    item = by_address(parse_folder(tmp_path, cwd=tmp_path))['azurerm_backup_protected_vm.p["b"]']
    assert item.properties["source_vm_id"] == Unknown("azurerm_linux_virtual_machine.b.id")
    assert item.references == {
        "source_vm_id": ("azurerm_linux_virtual_machine.b",),
        "name": ("azurerm_linux_virtual_machine.b",),
    }
    assert item.properties["name"] == "item-vm-b"


def test_splat_over_count_instances(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": (
        'resource "azurerm_network_interface" "n" {\n'
        '  count = 2\n  name  = "nic-${count.index}"\n}\n'
        'resource "azurerm_linux_virtual_machine" "vm" {\n'
        '  network_interface_ids = azurerm_network_interface.n[*].id\n'
        '  nic_names             = azurerm_network_interface.n[*].name\n'
        '}\n'
    )})
    vm = by_address(parse_folder(tmp_path, cwd=tmp_path))["azurerm_linux_virtual_machine.vm"]
    assert vm.properties["nic_names"] == ["nic-0", "nic-1"]
    assert len(vm.properties["network_interface_ids"]) == 2
    assert all(isinstance(v, Unknown) for v in vm.properties["network_interface_ids"])
    assert vm.references["network_interface_ids"] == (
        "azurerm_network_interface.n[0]", "azurerm_network_interface.n[1]",
    )


def test_legacy_splat_with_element_picks_one_instance(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": (
        'resource "azurerm_network_interface" "n" {\n  count = 2\n}\n'
        'resource "azurerm_linux_virtual_machine" "vm" {\n  count = 2\n'
        '  network_interface_ids = [element(azurerm_network_interface.n.*.id, count.index)]\n'
        '}\n'
    )})
    vm = by_address(parse_folder(tmp_path, cwd=tmp_path))["azurerm_linux_virtual_machine.vm[1]"]
    assert vm.references == {"network_interface_ids": ("azurerm_network_interface.n[1]",)}


def test_sensitive_module_output_and_protected_settings(tmp_path: Path) -> None:
    write_module(tmp_path, {
        "main.tf": (
            'module "secrets" {\n  source = "./secrets"\n}\n'
            'resource "azurerm_virtual_machine_extension" "ade" {\n'
            '  publisher          = "Microsoft.Azure.Security"\n'
            '  settings           = jsonencode({ VolumeType = "All" })\n'
            '  protected_settings = jsonencode({ key = "k" })\n'
            '  token              = module.secrets.token\n'
            '}\n'
        ),
        "secrets/main.tf": 'output "token" {\n  value     = "t0ken"\n  sensitive = true\n}\n',
    })
    ext = by_address(parse_folder(tmp_path, cwd=tmp_path))["azurerm_virtual_machine_extension.ade"]
    assert ext.properties["settings"] == '{"VolumeType":"All"}'
    assert ext.sensitive_paths == frozenset({"protected_settings", "token"})
    assert ext.properties["token"] == Unknown("(sensitive value)")
    assert "t0ken" not in repr(ext)


def test_sensitive_function_marks_the_attribute(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": 'resource "t" "r" {\n  key = sensitive("k3y")\n}\n'})
    resource = by_address(parse_folder(tmp_path, cwd=tmp_path))["t.r"]
    assert resource.properties["key"] == Unknown("(sensitive value)")
    assert resource.sensitive_paths == frozenset({"key"})


def test_optional_object_attributes_get_their_defaults(tmp_path: Path) -> None:
    write_module(tmp_path, {
        "main.tf": (
            'module "vm" {\n  source = "./vm"\n'
            '  os_disk = { caching = "ReadOnly" }\n'
            '  disks   = { a = { lun = "1" }, b = { lun = 2, caching = null } }\n}\n'
        ),
        "vm/main.tf": (
            'variable "os_disk" {\n'
            '  type = object({\n'
            '    caching              = string\n'
            '    storage_account_type = optional(string, "Premium_LRS")\n'
            '    disk_size_gb         = optional(number)\n'
            '  })\n'
            '}\n'
            'variable "disks" {\n'
            '  type = map(object({ lun = number, caching = optional(string, "None") }))\n'
            '}\n'
            'resource "azurerm_linux_virtual_machine" "vm" {\n'
            '  os_disk {\n'
            '    caching              = var.os_disk.caching\n'
            '    storage_account_type = var.os_disk.storage_account_type\n'
            '    disk_size_gb         = var.os_disk.disk_size_gb\n'
            '  }\n'
            '  lun     = var.disks["a"].lun\n'
            '  caching = var.disks["a"].caching\n'
            '  caching_b = var.disks["b"].caching\n'
            '}\n'
        ),
    })
    resources = by_address(parse_folder(tmp_path, cwd=tmp_path))
    vm = resources["module.vm.azurerm_linux_virtual_machine.vm"]
    assert vm.properties["os_disk"] == [
        {"caching": "ReadOnly", "storage_account_type": "Premium_LRS"}
    ]
    assert (vm.properties["lun"], vm.properties["caching"]) == (1, "None")
    assert vm.properties["caching_b"] == "None"  # null is given the default too
