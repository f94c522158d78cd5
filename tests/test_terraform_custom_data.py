"""Terraform custom data reaches the model (HCL and plan JSON) for the Linux rules.

The HCL evaluator reads ``custom_data`` in the idioms real modules use (heredocs,
``filebase64``/``file``/``templatefile`` of files beside the module, ``base64gzip``, the
``cloudinit_config`` data source); plan JSON lets the sensitive ``custom_data`` of the VM
types through. The fixtures' plans were computed by the fixture generator, not by the
linter, so equal texts from both formats check the evaluator. Files it cannot read give an
unknown value that says why; hostile templates and files stay bounded.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from azbackup_policy.policies._custom_data import MAX_TEXT, custom_data_text
from test_terraform_hcl_helpers import by_address, parse_folder, write_module

from azbackup_policy import ScanOptions
from azbackup_policy.discover import FileLoader, Source
from azbackup_policy.model import Unknown
from azbackup_policy.parsers import ParseContext, ParseOptions
from azbackup_policy.parsers.budget import EvalLimits
from azbackup_policy.parsers.terraform_hcl import parse
from azbackup_policy.parsers.terraform_plan import parse as parse_plan
from azbackup_policy.pipeline import load_estate

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = sorted((ROOT / "fixtures" / "rules" / "os_linux").glob("lnx-00[3-6]"))
VM = '''resource "azurerm_linux_virtual_machine" "vm" {{
  name        = "vm"
  custom_data = {expr}
}}
'''


def texts(path: Path) -> dict[str, object]:
    estate = load_estate(str(path), ScanOptions(cwd=str(ROOT)))
    return {str(vm.name): custom_data_text(vm.custom_data)
            if isinstance(vm.custom_data, str) else vm.custom_data for vm in estate.vms}


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_hcl_and_plan_give_the_same_custom_data(folder: Path) -> None:
    hcl, plan = texts(folder / "main.tf"), texts(folder / "plan" / "tfplan.json")
    with_data = {name: text for name, text in hcl.items() if text is not None}
    assert len(with_data) >= 4 and all(isinstance(t, str) and t for t in with_data.values())
    assert {name: plan[name] for name in with_data} == with_data


def custom_data(tmp_path: Path, expr: str, files: dict[str, str] | None = None,
                check_sensitive: bool = True, **loader: object) -> object:
    write_module(tmp_path / "tf", {"main.tf": VM.format(expr=expr), **(files or {})})
    files_loader = FileLoader((str(tmp_path / "tf"),), **loader)  # type: ignore[arg-type]
    documents = parse(Source(str(tmp_path / "tf"), "terraform-hcl"),
                      ParseContext(files_loader, ParseOptions()))
    resource = by_address(documents[0])["azurerm_linux_virtual_machine.vm"]
    assert ("custom_data" in resource.sensitive_paths) is check_sensitive
    return resource.properties.get("custom_data")


@pytest.mark.parametrize(("expr", "files", "text"), [
    ('filebase64("${path.module}/a.yaml")', {"a.yaml": "#cloud-config\n"}, "#cloud-config\n"),
    ('base64encode(file("${path.root}/a.sh"))', {"a.sh": "echo hi\n"}, "echo hi\n"),
    ('fileexists("${path.module}/a.sh") ? "yes" : "no"', {"a.sh": ""}, "yes"),
    ('fileexists("${path.module}/b.sh") ? "yes" : "no"', {}, "no"),
    ('base64gzip(templatefile("t.tftpl", { n = 2 }))',
     {"t.tftpl": "%{ for i in range(n) ~}\nline ${i}\n%{ endfor ~}\n%{ if n > 1 }many%{ endif }"},
     "line 0\nline 1\nmany"),
    ('<<-EOT\n    a: ${upper("x")}\n    %{~ if true ~}\n    b\n    %{~ endif }\n  EOT',
     {}, "a: Xb\n"),
])
def test_file_functions_and_templates(tmp_path: Path, expr: str, files: dict[str, str],
                                      text: str) -> None:
    value = custom_data(tmp_path, expr, files)
    assert isinstance(value, str) and custom_data_text(value) == text


@pytest.mark.parametrize(("expr", "files", "why"), [
    ('filebase64("${path.module}/../outside.yaml")', {}, "is outside the scan root"),
    ('file("missing.sh")', {}, "tf/missing.sh does not exist"),
    ('file("${path.module}")', {}, "is a folder, not a file"),
    ('fileexists("/etc/passwd") ? "a" : "b"', {}, "is outside the scan root"),
    ('file("~/cloud-init.yaml")', {}, "is in the home folder"),  # Terraform: $HOME
    ('file("bin.dat")', {"bin.dat": "\udcff"}, "is not UTF-8 text"),
    ('templatefile("t.tftpl", {})', {"t.tftpl": "${"}, "t.tftpl is not a valid template"),
    ('templatefile("t.tftpl", {})', {"t.tftpl": "${missing}"}, "a value t.tftpl uses"),
    ('templatefile("t.tftpl", {})', {"t.tftpl": '${templatefile("t.tftpl", {})}'}, ""),
    ('templatefile("t.tftpl", {})',
     {"t.tftpl": "%{ if true }" * 100 + "x" + "%{ endif }" * 100}, "not a valid template"),
    ('templatefile("t.tftpl", {})',
     {"t.tftpl": "${" + "(" * 3000 + "1" + ")" * 3000 + "}"}, "not a valid template"),
])
def test_unreadable_files_are_unknown_with_a_reason(tmp_path: Path, expr: str,
                                                    files: dict[str, str], why: str) -> None:
    (tmp_path / "outside.yaml").write_text("#cloud-config\n", encoding="utf-8")
    (tmp_path / "tf").mkdir()
    for name, text in files.items():  # bytes that are not UTF-8 as well
        (tmp_path / "tf" / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    value = custom_data(tmp_path, expr)
    assert isinstance(value, Unknown) and why in value.expression, value
    assert value.expression.startswith("(sensitive value")


def test_a_file_over_the_size_limit_is_unknown(tmp_path: Path) -> None:
    files = {"big.yaml": "#" * 5000}
    value = custom_data(tmp_path, 'filebase64("big.yaml")', files, max_file_bytes=4096)
    assert isinstance(value, Unknown) and "over the limit" in value.expression


def test_a_template_that_grows_too_large_stops_at_the_budget(tmp_path: Path) -> None:
    template = "%{ for a in range(100000) }%{ for b in range(100000) }xxxxxxxx%{ endfor }" \
               "%{ endfor }"
    write_module(tmp_path / "tf", {"main.tf": VM.format(expr='templatefile("t", {})'),
                                   "t": template})
    doc = parse_folder(tmp_path / "tf", roots=(str(tmp_path),),
                       limits=EvalLimits(string_length=100_000))
    value = by_address(doc)["azurerm_linux_virtual_machine.vm"].properties["custom_data"]
    assert isinstance(value, Unknown)
    assert any("evaluation budget exceeded" in p.message for p in doc.problems)


def test_path_module_of_a_child_module_and_cloudinit_config(tmp_path: Path) -> None:
    write_module(tmp_path, {
        "main.tf": 'module "vm" {\n  source = "./modules/vm"\n}\n',
        "modules/vm/main.tf": '''data "cloudinit_config" "ci" {
  part {
    content_type = "text/x-shellscript"
    content      = file("${path.module}/setup.sh")
  }
  part {
    content = "caf\u00e9"
  }
}
''' + VM.format(expr="data.cloudinit_config.ci.rendered"),
        "modules/vm/setup.sh": "zpool create data /dev/sdc\n",
    })
    doc = parse_folder(tmp_path, roots=(str(tmp_path),))
    resources = by_address(doc)
    value = resources["module.vm.azurerm_linux_virtual_machine.vm"].properties["custom_data"]
    assert custom_data_text(value) == "zpool create data /dev/sdc\n\ncaf\u00e9"
    rendered = resources["module.vm.data.cloudinit_config.ci"].properties["rendered"]
    assert rendered == value and base64.b64decode(value)[:2] == b"\x1f\x8b"  # gzip by default


def test_other_resources_see_custom_data_as_sensitive(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": VM.format(expr='base64encode("zpool create x")') + '''
resource "azurerm_resource_group" "rg" {
  name = "rg"
  tags = { copy = azurerm_linux_virtual_machine.vm.custom_data }
}
'''})
    tags = by_address(parse_folder(tmp_path))["azurerm_resource_group.rg"].properties["tags"]
    assert tags == {"copy": Unknown("azurerm_linux_virtual_machine.vm.custom_data")}


def test_legacy_vm_custom_data(tmp_path: Path) -> None:
    write_module(tmp_path, {"main.tf": '''resource "azurerm_virtual_machine" "vm" {
  name = "legacy"
  os_profile {
    computer_name  = "legacy"
    admin_username = "azureuser"
    custom_data    = "#cloud-config\\nruncmd:\\n  - zpool create data /dev/sdc\\n"
  }
  os_profile_linux_config {
    disable_password_authentication = true
  }
}
'''})
    estate = load_estate(str(tmp_path), ScanOptions(cwd=str(tmp_path)))
    assert custom_data_text(str(estate.vms[0].custom_data)).startswith("#cloud-config\n")


def plan_of(vm_type: str, values: dict[str, object], sensitive: dict[str, object]) -> str:
    resource = {"address": f"{vm_type}.vm", "mode": "managed", "type": vm_type, "name": "vm",
                "values": {"name": "vm", **values}, "sensitive_values": sensitive}
    change = {"address": f"{vm_type}.vm", "mode": "managed", "type": vm_type, "name": "vm",
              "change": {"actions": ["create"], "before": None, "after": resource["values"],
                         "after_unknown": {"id": True}, "after_sensitive": sensitive}}
    return json.dumps({"format_version": "1.2", "terraform_version": "1.9.8",
                       "planned_values": {"root_module": {"resources": [resource]}},
                       "resource_changes": [change]})


@pytest.mark.parametrize(("vm_type", "values", "sensitive", "expected"), [
    ("azurerm_linux_virtual_machine", {"custom_data": "eg==", "admin_password": "pw"},
     {"custom_data": True, "admin_password": True}, "eg=="),
    ("azurerm_windows_virtual_machine", {"custom_data": "eg=="}, {"custom_data": True}, "eg=="),
    ("azurerm_virtual_machine",
     {"os_profile": [{"custom_data": "3f786850e387550fdab836ed7e6dc881de23001b"}]},
     {"os_profile": [{}]}, Unknown("(the plan holds only a SHA-1 hash of the custom data)")),
])
def test_plan_lets_only_custom_data_through(tmp_path: Path, vm_type: str,
                                            values: dict[str, object],
                                            sensitive: dict[str, object],
                                            expected: object) -> None:
    (tmp_path / "tfplan.json").write_text(plan_of(vm_type, values, sensitive), encoding="utf-8")
    context = ParseContext(FileLoader((str(tmp_path),)), ParseOptions())
    resource = parse_plan(Source(str(tmp_path / "tfplan.json"), "terraform-plan"), context)[0] \
        .resources[0]
    path = "os_profile.0.custom_data" if vm_type == "azurerm_virtual_machine" else "custom_data"
    found = resource.properties.get("custom_data") or resource.properties["os_profile"][0][
        "custom_data"]
    assert found == expected
    if "admin_password" in values:
        assert resource.properties["admin_password"] == Unknown("(sensitive value)")
    assert (path in resource.sensitive_paths) is (vm_type != "azurerm_virtual_machine")


def test_gzip_bombs_are_cut(tmp_path: Path) -> None:
    import gzip
    bomb = base64.b64encode(gzip.compress(b"zpool create " + b" " * (50 * MAX_TEXT))).decode()
    assert len(custom_data_text(bomb)) <= MAX_TEXT


def test_null_custom_data_is_not_set(tmp_path: Path) -> None:
    assert custom_data(tmp_path / "a", "null", check_sensitive=False) is None


def test_json_syntax_templates_and_file_functions(tmp_path: Path) -> None:
    expr = '${base64encode(templatefile("${path.module}/t.tftpl", {pkgs = ["docker.io"]}))}'
    body = {"resource": {"azurerm_linux_virtual_machine": {"vm": {"name": "vm",
                                                                  "custom_data": expr}}}}
    write_module(tmp_path, {"main.tf.json": json.dumps(body),
                            "t.tftpl": "packages:\n%{ for p in pkgs ~}\n- ${p}\n%{ endfor ~}\n"})
    value = by_address(parse_folder(tmp_path))["azurerm_linux_virtual_machine.vm"] \
        .properties["custom_data"]
    assert custom_data_text(value) == "packages:\n- docker.io\n"
