"""Every input limit is an InputError (exit 2) that names the file and a line >= 1.

Limits: file size (--max-file-size), JSON and Bicep nesting (--max-nesting-depth),
resources per file or module tree (--max-resources), module depth and cycles (HCL modules,
Bicep modules, ARM linked templates; --max-module-depth), loop sizes (HCL count, Bicep
range(), ARM copy with ARM's own 800) and long strings (parsed, nothing quadratic).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from azbackup_policy.cli import main

ARM_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
LOCATED = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$", re.M)


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["inventory", "--no-config", "--format", "json", *args], stdout=out,
                stderr=err, environ={})
    return code, out.getvalue(), err.getvalue()


def errors(err: str) -> list[dict[str, str]]:
    assert "Traceback" not in err
    return [m.groupdict() for m in LOCATED.finditer(err)]


def one_error(code: int, err: str, file: str, *words: str) -> dict[str, str]:
    assert code == 2, err
    found = errors(err)
    assert len(found) == 1, err
    assert found[0]["file"].endswith(file) and int(found[0]["line"]) >= 1, found
    for word in words:
        assert word in found[0]["message"], found
    return found[0]


def arm(resources: list[object], **extra: object) -> str:
    return json.dumps({"$schema": ARM_SCHEMA, "contentVersion": "1.0.0.0",
                       "resources": resources, **extra}, indent=1)


def vault(name: str, **extra: object) -> dict[str, object]:
    return {"type": "Microsoft.RecoveryServices/vaults", "apiVersion": "2024-04-01",
            "name": name, "location": "westeurope", **extra}


def plan(count: int, nested: object = None) -> str:
    resources = [{"address": f"azurerm_resource_group.rg{i}", "mode": "managed",
                  "type": "azurerm_resource_group", "name": f"rg{i}",
                  "values": {"name": f"rg{i}", "tags": nested}} for i in range(count)]
    return json.dumps({"format_version": "1.2", "planned_values": {
        "root_module": {"resources": resources}}}, indent=1)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- file size ------------------------------------------------------------------------------

def test_file_over_max_file_size_is_an_error_and_other_files_are_read(tmp_path: Path) -> None:
    write(tmp_path / "big.json", arm([vault("rsv-big", tags={"pad": "x" * 4000})]))
    write(tmp_path / "small.json", arm([vault("rsv-small")]))
    code, out, err = run(str(tmp_path), "--max-file-size", "2000")
    found = one_error(code, err, "big.json", "over the limit of 2000 bytes", "--max-file-size")
    assert found["line"] == "1"
    assert [v["name"] for v in json.loads(out)["vaults"]] == ["rsv-small"]


def test_module_file_over_max_file_size(tmp_path: Path) -> None:
    write(tmp_path / "main.bicep", "module m './m.bicep' = {\n  name: 'm'\n}\n")
    write(tmp_path / "m.bicep", "// " + "x" * 3000 + "\n")
    code, _, err = run(str(tmp_path / "main.bicep"), "--max-file-size", "1000")
    one_error(code, err, "m.bicep", "over the limit")


# -- nesting --------------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [250, 5000])
def test_arm_nesting_deeper_than_the_limit(tmp_path: Path, depth: int) -> None:
    deep = "[" * depth + "]" * depth
    text = arm([vault("rsv")]).replace('"rsv"', '"rsv", "tags": {"a": ' + deep + "}")
    write(tmp_path / "deep.json", text)
    code, _, err = run(str(tmp_path / "deep.json"))
    found = one_error(code, err, "deep.json", "nesting deeper than 200")
    assert int(found["line"]) > 1


@pytest.mark.parametrize("depth", [250, 5000])
def test_plan_nesting_deeper_than_the_limit(tmp_path: Path, depth: int) -> None:
    text = plan(1).replace('"tags": null', '"tags":\n' + "[" * depth + "]" * depth)
    write(tmp_path / "deep.json", text)
    code, _, err = run(str(tmp_path / "deep.json"))
    found = one_error(code, err, "deep.json", "nested")
    if depth == 250:  # decoded, then measured: the line of the first bracket too deep
        assert int(found["line"]) > 1 and "200" in found["message"]


def test_nesting_limit_is_configurable(tmp_path: Path) -> None:
    write(tmp_path / "p.json", plan(1, nested={"a": {"b": {"c": {"d": 1}}}}))
    assert run(str(tmp_path / "p.json"))[0] == 0
    code, _, err = run(str(tmp_path / "p.json"), "--max-nesting-depth", "5")
    one_error(code, err, "p.json", "deeper than 5")


def test_bicep_nesting_deeper_than_the_limit(tmp_path: Path) -> None:
    write(tmp_path / "deep.bicep", "var x = " + "[" * 300 + "]" * 300 + "\n")
    code, _, err = run(str(tmp_path / "deep.bicep"))
    one_error(code, err, "deep.bicep", "200")


# -- number of resources --------------------------------------------------------------------

def test_max_resources_arm(tmp_path: Path) -> None:
    write(tmp_path / "t.json", arm([vault("[concat('rsv-', copyIndex())]",
                                          copy={"name": "v", "count": 5})]))
    assert run(str(tmp_path))[0] == 0
    code, _, err = run(str(tmp_path), "--max-resources", "3")
    one_error(code, err, "t.json", "more than 3 resources")


def test_max_resources_plan(tmp_path: Path) -> None:
    write(tmp_path / "p.json", plan(5))
    code, _, err = run(str(tmp_path), "--max-resources", "3")
    one_error(code, err, "p.json", "over the limit of 3")


def test_max_resources_bicep(tmp_path: Path) -> None:
    write(tmp_path / "main.bicep", "resource v 'Microsoft.RecoveryServices/vaults@2024-04-01'"
          " = [for i in range(0, 5): {\n  name: 'rsv-${i}'\n  location: 'westeurope'\n}]\n")
    code, _, err = run(str(tmp_path), "--max-resources", "3")
    one_error(code, err, "main.bicep", "more than 3 resources")


def test_max_resources_hcl(tmp_path: Path) -> None:
    write(tmp_path / "main.tf", 'resource "azurerm_resource_group" "rg" {\n  count = 5\n'
          '  name = "rg-${count.index}"\n  location = "westeurope"\n}\n')
    code, _, err = run(str(tmp_path), "--max-resources", "3")
    one_error(code, err, "", "over the limit of 3")


# -- module depth and cycles ----------------------------------------------------------------

def test_hcl_module_that_calls_itself(tmp_path: Path) -> None:
    write(tmp_path / "main.tf", 'module "me" {\n  source = "./"\n}\n')
    code, _, err = run(str(tmp_path))
    one_error(code, err, "main.tf")


def test_hcl_modules_calling_each_other(tmp_path: Path) -> None:
    write(tmp_path / "main.tf", 'module "a" {\n  source = "./a"\n}\n')
    write(tmp_path / "a" / "main.tf", 'module "b" {\n  source = "../b"\n}\n')
    write(tmp_path / "b" / "main.tf", 'module "a" {\n  source = "../a"\n}\n')
    code, _, err = run(str(tmp_path / "main.tf"))
    assert code == 2 and errors(err), err


def test_bicep_module_that_includes_itself(tmp_path: Path) -> None:
    write(tmp_path / "main.bicep", "module me './main.bicep' = {\n  name: 'me'\n}\n")
    code, _, err = run(str(tmp_path))
    found = one_error(code, err, "main.bicep", "module cycle")
    assert found["line"] == "1"


def test_bicep_module_chain_deeper_than_the_limit(tmp_path: Path) -> None:
    for level in range(6):
        write(tmp_path / f"m{level}.bicep",
              f"module next './m{level + 1}.bicep' = {{\n  name: 'n{level}'\n}}\n")
    write(tmp_path / "m6.bicep", "param p string = 'end'\n")
    code, _, err = run(str(tmp_path / "m0.bicep"), "--max-module-depth", "3")
    one_error(code, err, ".bicep", "deeper than 3")


def test_arm_linked_template_that_links_itself(tmp_path: Path) -> None:
    deployment = {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
                  "name": "me", "properties": {"mode": "Incremental",
                                               "templateLink": {"relativePath": "main.json"}}}
    write(tmp_path / "main.json", arm([deployment]))
    code, _, err = run(str(tmp_path / "main.json"))
    one_error(code, err, "main.json", "includes itself")


def test_arm_nested_deployments_deeper_than_the_limit(tmp_path: Path) -> None:
    inner: dict[str, object] = {"$schema": ARM_SCHEMA, "resources": [vault("rsv")]}
    for level in range(6):
        inner = {"$schema": ARM_SCHEMA, "resources": [{
            "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
            "name": f"d{level}", "properties": {"mode": "Incremental", "template": inner}}]}
    write(tmp_path / "main.json", json.dumps(inner, indent=1))
    assert run(str(tmp_path))[0] == 0
    code, _, err = run(str(tmp_path), "--max-module-depth", "3")
    one_error(code, err, "main.json", "nested too deeply")


# -- loop sizes -----------------------------------------------------------------------------

def test_hcl_count_of_a_million(tmp_path: Path) -> None:
    write(tmp_path / "main.tf", 'resource "azurerm_resource_group" "rg" {\n'
          '  count = 1000000\n  name = "rg-${count.index}"\n  location = "westeurope"\n}\n')
    code, _, err = run(str(tmp_path))
    found = one_error(code, err, "main.tf", "over the limit of 10000")
    assert found["line"] == "2"


def test_bicep_range_of_a_hundred_million(tmp_path: Path) -> None:
    write(tmp_path / "main.bicep", "resource v 'Microsoft.RecoveryServices/vaults@2024-04-01'"
          " = [for i in range(0, 100000000): {\n  name: 'rsv-${i}'\n  location: 'westeurope'"
          "\n}]\n")
    code, _, err = run(str(tmp_path))
    assert code == 2, err
    found = errors(err)  # the loop count and the name that indexes the range: both refused
    assert found and all(e["file"].endswith("main.bicep") and "range()" in e["message"]
                         and "over the limit" in e["message"] for e in found), err


@pytest.mark.parametrize(("count", "fails"), [(800, False), (801, True)])
def test_arm_copy_count_over_arms_own_limit(tmp_path: Path, count: int, fails: bool) -> None:
    write(tmp_path / "t.json", arm([vault("[concat('rsv-', copyIndex())]",
                                          copy={"name": "v", "count": count})]))
    code, out, err = run(str(tmp_path))
    if fails:
        found = one_error(code, err, "t.json", "801", "ARM's limit of 800")
        assert int(found["line"]) > 1
    else:
        assert code == 0 and len(json.loads(out)["vaults"]) == 800, err


def test_loop_limit_is_configurable(tmp_path: Path) -> None:
    write(tmp_path / "main.tf", 'resource "azurerm_resource_group" "rg" {\n'
          '  count = 20\n  name = "rg-${count.index}"\n  location = "westeurope"\n}\n')
    code, _, err = run(str(tmp_path), "--max-loop-count", "10")
    one_error(code, err, "main.tf", "over the limit of 10")


# -- long strings ---------------------------------------------------------------------------

LONG = "x" * 2_000_000


@pytest.mark.parametrize("name", ["t.json", "p.json", "main.bicep", "main.tf"])
def test_very_long_strings_are_read(tmp_path: Path, name: str) -> None:
    """A 2 MB string in each format is read (a quadratic step would not finish here)."""
    texts = {
        "t.json": arm([vault("rsv", tags={"long": LONG})]),
        "p.json": plan(1, nested={"long": LONG}),
        "main.bicep": "resource v 'Microsoft.RecoveryServices/vaults@2024-04-01' = {\n"
                      f"  name: 'rsv'\n  location: 'westeurope'\n"
                      f"  tags: {{ long: '{LONG}' }}\n}}\n",
        "main.tf": f'resource "azurerm_resource_group" "rg" {{\n  name = "rg"\n'
                   f'  location = "westeurope"\n  tags = {{ long = "{LONG}" }}\n}}\n',
    }
    write(tmp_path / name, texts[name])
    code, _, err = run(str(tmp_path))
    assert code == 0 and err == ""


def test_long_unterminated_string_is_a_located_error(tmp_path: Path) -> None:
    write(tmp_path / "t.json", '{"$schema": "' + ARM_SCHEMA + '", "resources": "' + LONG)
    code, _, err = run(str(tmp_path / "t.json"))
    one_error(code, err, "t.json", "invalid JSON")
