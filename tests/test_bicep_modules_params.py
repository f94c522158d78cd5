"""Modules (local, registry, cycles, scan root, depth) and parameter values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from azbackup_policy.discover import FileLoader
from azbackup_policy.errors import InputError
from azbackup_policy.parsers import ParseContext, ParseOptions
from azbackup_policy.parsers.bicep import Compiled, compile_file
from azbackup_policy.parsers.bicep.build import read_unit
from azbackup_policy.parsers.bicep.params import apply_bicepparam, json_parameter_values

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bicep"


def context(root: Path = FIXTURES, **options: object) -> ParseContext:
    return ParseContext(FileLoader([str(root)]), ParseOptions(**options))  # type: ignore[arg-type]


def test_local_module_becomes_inner_nested_deployment() -> None:
    compiled = compile_file(str(FIXTURES / "module-local" / "main.bicep"), context())
    module = compiled.template["resources"]["vmMod"]
    assert module["type"] == "Microsoft.Resources/deployments"
    assert module["name"] == "vm-deploy"
    props = module["properties"]
    assert props["expressionEvaluationOptions"] == {"scope": "inner"}
    assert props["mode"] == "Incremental"
    assert props["parameters"] == {"vmName": {"value": "vm-mod"},
                                   "location": {"value": "[parameters('location')]"}}
    inner = props["template"]
    assert inner["parameters"]["size"]["defaultValue"] == "Standard_B2s"
    assert inner["resources"]["vm"]["name"] == "[parameters('vmName')]"
    assert compiled.template["outputs"]["vmId"]["value"] == "[reference('vmMod').outputs.id.value]"
    assert [Path(f).name for f in compiled.files] == ["main.bicep", "vm.bicep"]


def test_module_scope_and_default_name() -> None:
    compiled = compile_file(str(FIXTURES / "module-local" / "main.bicep"), context())
    scoped = compiled.template["resources"]["rgScoped"]
    assert scoped["resourceGroup"] == "rg-other"
    assert scoped["name"] == "rgScoped"


def test_module_positions_point_into_the_module_file() -> None:
    compiled = compile_file(str(FIXTURES / "module-local" / "main.bicep"), context())
    span = compiled.positions[("resources", "vmMod", "properties", "template", "resources", "vm",
                               "properties", "hardwareProfile", "vmSize")]
    assert span.file.endswith("module-local/modules/vm.bicep")
    assert (span.line, span.column) == (10, 7)
    param = compiled.positions[("resources", "vmMod", "properties", "parameters", "vmName")]
    assert param.file.endswith("module-local/main.bicep") and param.line == 6


def test_registry_and_template_spec_modules_are_not_followed() -> None:
    compiled = compile_file(str(FIXTURES / "module-registry" / "main.bicep"), context())
    assert compiled.template["resources"] == {}
    no_cache = "registry module: no Bicep module cache known"
    assert [n.address for n in compiled.not_followed] == ["vault", "custom", "spec"]
    assert [(n.line, n.source, n.reason) for n in compiled.not_followed] == [
        (1, "br/public:avm/res/recovery-services/vault:0.9.0", no_cache),
        (7, "br:contoso.azurecr.io/bicep/modules/vm:1.2.0", no_cache),
        (14, "ts:00000000-0000-0000-0000-000000000001/rg-specs/vmSpec:2.0", "template spec"),
    ]


def only_problem(compiled: Compiled, match: str) -> InputError:
    """The one declaration that could not be compiled (the rest of the file was read);
    a module's is ``hidden`` (what it declares is unknown), a value's a plain problem."""
    found = [*compiled.problems, *compiled.hidden]
    assert len(found) == 1, found
    assert match in found[0].message
    return found[0]


def test_module_cycle_is_an_input_error() -> None:
    compiled = compile_file(str(FIXTURES / "module-cycle" / "main.bicep"), context())
    problem = only_problem(compiled, "module cycle")
    assert compiled.hidden == [problem]
    assert problem.file.endswith("module-cycle/a.bicep") and problem.line == 1


def test_module_outside_the_scan_root_is_refused(tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    (tmp_path / "outside.bicep").write_text("var x = 1\n")
    (inner / "main.bicep").write_text("var a = 1\n\nmodule o '../outside.bicep' = {\n"
                                      "  name: 'o'\n}\n")
    compiled = compile_file(str(inner / "main.bicep"), context(inner))
    assert only_problem(compiled, "outside the scan root").line == 3
    assert compiled.template["variables"] == {"a": 1}


def test_module_depth_limit(tmp_path: Path) -> None:
    for level in range(4):
        (tmp_path / f"m{level}.bicep").write_text(
            f"module next './m{level + 1}.bicep' = {{\n  name: 'n{level}'\n}}\n")
    (tmp_path / "m4.bicep").write_text("var done = true\n")
    assert not compile_file(str(tmp_path / "m0.bicep"),
                            context(tmp_path, max_module_depth=5)).problems
    only_problem(compile_file(str(tmp_path / "m0.bicep"), context(tmp_path, max_module_depth=2)),
                 "modules nested deeper than 2")


def test_json_template_module(tmp_path: Path) -> None:
    (tmp_path / "inner.json").write_text(json.dumps({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0", "resources": []}))
    (tmp_path / "main.bicep").write_text("module j './inner.json' = {\n  name: 'j'\n}\n")
    compiled = compile_file(str(tmp_path / "main.bicep"), context(tmp_path))
    assert compiled.template["resources"]["j"]["properties"]["template"]["resources"] == []


def bicepparam(name: str) -> tuple[dict[str, object], dict]:
    folder = FIXTURES / "bicepparam"
    ctx = context()
    text = (folder / name).read_text()
    unit = read_unit(text, str(folder / name), str(folder / name), 200)
    compiled = compile_file(str(folder / "main.bicep"), ctx)
    apply_bicepparam(unit, compiled, "main.bicep")
    return compiled.template["parameters"], compiled.positions


def test_bicepparam_values_become_defaults() -> None:
    params, positions = bicepparam("main.bicepparam")
    assert params["vaultName"]["defaultValue"] == "[format('{0}-from-params', 'rsv')]"
    assert params["retentionDays"]["defaultValue"] == 30
    assert params["tags"]["defaultValue"] == {"env": "prod"}
    assert params["adminPassword"]["type"] == "securestring"
    span = positions[("parameters", "retentionDays", "defaultValue")]
    assert span.file.endswith("main.bicepparam") and span.line == 5


def test_bicepparam_unknown_parameter_is_an_input_error() -> None:
    folder = FIXTURES / "bicepparam"
    unit = read_unit((folder / "unknown.bicepparam").read_text(),
                     str(folder / "unknown.bicepparam"), str(folder / "unknown.bicepparam"), 200)
    compiled = compile_file(str(folder / "main.bicep"), context())
    apply_bicepparam(unit, compiled, "main.bicep")
    problem = only_problem(compiled, "parameter 'notDeclared' is not declared")
    assert (problem.line, problem.column) == (3, 7)


def test_json_parameter_files() -> None:
    path = str(FIXTURES / "bicepparam" / "params.json")
    assert json_parameter_values(context(parameter_files=(path,))) == {
        "vaultName": "rsv-from-json"}


def test_broken_json_parameter_file(tmp_path: Path) -> None:
    broken = tmp_path / "p.json"
    broken.write_text('{"parameters": {\n  "a": }')
    with pytest.raises(InputError) as caught:
        json_parameter_values(context(tmp_path, parameter_files=(str(broken),)))
    assert caught.value.line == 2


def test_json_template_module_may_have_comments_and_is_parsed_once(tmp_path: Path) -> None:
    (tmp_path / "inner.json").write_text(
        '{\n  // an ARM template may carry comments\n  "$schema": "https://schema.management.'
        'azure.com/schemas/2019-04-01/deploymentTemplate.json#",\n  "contentVersion": '
        '"1.0.0.0",\n  "resources": [],\n}\n')
    (tmp_path / "main.bicep").write_text(
        "module a './inner.json' = {\n  name: 'a'\n}\nmodule b './inner.json' = {\n"
        "  name: 'b'\n}\n")
    ctx = context(tmp_path)
    compiled = compile_file(str(tmp_path / "main.bicep"), ctx)
    assert compiled.problems == [] and compiled.hidden == []
    resources = compiled.template["resources"]
    assert resources["a"]["properties"]["template"] is resources["b"]["properties"]["template"]
