"""The current Bicep language, one fixture per construct: each is read without an error and
the value that flows through the construct reaches the VM it configures."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from azbackup_policy.discover import FileLoader
from azbackup_policy.model import Disk, Unknown
from azbackup_policy.model import VirtualMachine as VM
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers.bicep import Compiled, compile_file
from azbackup_policy.pipeline import ScanOptions, load_units, scan

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bicep"

# construct -> the fixture that writes it (every one also compiles in test_bicep_emit)
CONSTRUCTS = {
    "multi-line union types with a leading '|'": "union-types",
    "union types as param, type, property, tuple item, func and output types": "union-types",
    "nullable types in every position": "nullable-types",
    "'.?', '[?]', '!' and '??'": "nullable-types",
    "import {...} from, one name per line, with 'as'": "import-types",
    "import * as ns from": "import-types",
    "@export() on type, var and func": "import-types",
    "@sealed() and @discriminator()": "discriminated-types",
    "resourceInput<> and resourceOutput<>": "resource-derived-types",
    "func": "decorators-all",
    "#disable-next-line and #disable-diagnostics anywhere": "pragmas-anywhere",
    "extension declarations": "extensions",
    "decorators on every declaration": "decorators-all",
    "spread '...'": "spread",
    "lambdas": "lambda",
    "assert": "assert",
    "multi-line strings": "multiline-string",
    "typed variables": "typed-var",
    "nameof(), loadTextContent(), loadJsonContent()": "compile-time",
}


def compiled(name: str) -> Compiled:
    context = ParseContext(FileLoader([str(FIXTURES)]))
    return compile_file(str(FIXTURES / name / "main.bicep"), context)


def vms(name: str) -> list[VM]:
    loaded = load_units([str(FIXTURES / name)], ScanOptions())
    assert not loaded.errors, loaded.errors
    return [vm for unit in loaded.units for vm in unit.estate.vms]


def disk(vm: VM, role: str, index: int = 0) -> Disk:
    if role == "os":
        assert vm.os_disk is not None
        return vm.os_disk
    return vm.data_disks[index]


@pytest.mark.parametrize("fixture", sorted(set(CONSTRUCTS.values())))
def test_every_construct_fixture_is_read_without_an_error(fixture: str) -> None:
    assert compiled(fixture).problems == []


def test_union_types() -> None:
    template = compiled("union-types").template
    assert template["definitions"]["diskSku"]["allowed"] == [
        "Premium_LRS", "PremiumV2_LRS", "StandardSSD_LRS", "UltraSSD_LRS"]
    assert template["parameters"]["dataDiskSku"]["allowed"] == [
        "Premium_LRS", "UltraSSD_LRS"]
    storage = template["definitions"]["osDiskSpec"]["properties"]["storageAccountType"]
    assert storage["allowed"] == ["Premium_LRS", "StandardSSD_LRS", "Standard_LRS"]
    assert storage["nullable"] is True  # the '?' after the last member
    assert template["outputs"]["chosenSku"]["allowed"] == ["Premium_LRS", "UltraSSD_LRS"]
    [vm] = vms("union-types")
    data = disk(vm, "data")
    assert (data.storage_type, data.caching) == ("UltraSSD_LRS", "None")  # through the func
    assert disk(vm, "os").size_gb == 64


def test_nullable_types_and_null_operators() -> None:
    [vm] = vms("nullable-types")
    data = disk(vm, "data")
    assert (data.size_gb, data.caching) == (64, "ReadOnly")
    assert vm.tags == {"env": "none", "label": "unnamed"}


def test_imports_of_types_values_and_functions() -> None:
    [vm] = vms("import-types")
    assert vm.image is not None and vm.image.offer == "0001-com-ubuntu-server-jammy"
    assert [(d.name, d.storage_type) for d in vm.data_disks] == [
        ("vm-imports-data-0", "Premium_LRS"), ("vm-imports-data-1", "UltraSSD_LRS")]
    assert disk(vm, "os").storage_type == "StandardSSD_LRS"
    template = compiled("import-types").template
    assert set(template["definitions"]) >= {"dataDisk", "diskSku"}
    assert template["outputs"]["firstDisk"]["value"] == "[__bicep.nameOfDisk('vm-imports', 0)]"


def test_discriminated_and_sealed_types() -> None:
    template = compiled("discriminated-types").template
    assert template["definitions"]["vaultTarget"].get("additionalProperties") is False
    loaded = load_units([str(FIXTURES / "discriminated-types")], ScanOptions())
    [unit] = loaded.units
    [protection] = unit.estate.protections
    assert protection.vm == "vm"
    assert disk(unit.estate.vms[0], "os").storage_type == "Premium_LRS"


def test_resource_derived_types() -> None:
    [vm] = vms("resource-derived-types")
    assert vm.size == "Standard_E4s_v5"
    assert (disk(vm, "os").caching, disk(vm, "os").storage_type) == ("ReadOnly", "Premium_LRS")
    assert vm.security_type == "TrustedLaunch"


def test_pragmas_anywhere() -> None:
    [vm] = vms("pragmas-anywhere")
    assert (vm.name, vm.size, disk(vm, "data").size_gb) == ("vm-pragmas", "Standard_D2s_v5", 128)
    assert vm.tags == {"env": "prod", "owner": "team-compute"}


def test_extensions_are_declared_and_azure_resources_still_read() -> None:
    [vm] = vms("extensions")
    assert vm.name == "vm-extensions"


def test_decorators_and_functions() -> None:
    template = compiled("decorators-all").template
    prefix = template["parameters"]["prefix"]
    assert (prefix["minLength"], prefix["maxLength"]) == (3, 15)
    assert prefix["metadata"] == {"example": "app", "owner": "platform", "description":
                                  "Prefix of the VM names."}
    assert template["resources"]["vms"]["copy"] == {"name": "vms", "count":
                                                    "[length(range(0, parameters('count')))]",
                                                    "mode": "serial", "batchSize": 1}
    assert sorted(str(vm.name) for vm in vms("decorators-all")) == ["app-0", "app-1"]


def test_a_declaration_that_does_not_parse_is_an_error_at_its_line() -> None:
    result = compiled("recovery")
    [problem] = result.problems
    assert (problem.line, problem.column) == (5, 30)
    loaded = load_units([str(FIXTURES / "recovery")], ScanOptions())
    assert [(e.line, e.column) for e in loaded.errors] == [(5, 30)]
    [vm] = [vm for unit in loaded.units for vm in unit.estate.vms]
    assert vm.name == "vm-recovered"
    assert isinstance(vm.size, Unknown)  # the variable that did not parse
    assert disk(vm, "os").ephemeral


def test_compile_time_functions_read_files_beside_the_template() -> None:
    [vm] = vms("compile-time")
    assert (vm.name, vm.size, vm.zone) == ("vm-settings", "Standard_E8s_v5", "2")
    os_disk = disk(vm, "os")
    assert (os_disk.name, os_disk.size_gb, os_disk.caching) == ("osDisk", 128, "ReadWrite")
    files = compiled("compile-time").files
    assert [Path(f).name for f in files] == ["main.bicep", "vm-settings.json", "cloud-init.yaml"]


def test_compile_time_files_stay_inside_the_scan_root(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "secret.txt").write_text("not for the report", encoding="utf-8")
    (tmp_path / "repo" / "bad.json").write_text("{nope", encoding="utf-8")
    (tmp_path / "repo" / "main.bicep").write_text(
        "var a = loadTextContent('../secret.txt')\nvar b = loadJsonContent('missing.json')\n"
        "var c = 1\nvar d = loadJsonContent('bad.json')\n", encoding="utf-8")
    context = ParseContext(FileLoader([str(tmp_path / "repo")]))
    result = compile_file(str(tmp_path / "repo" / "main.bicep"), context)
    assert [(p.line, p.column, p.message.split(" (")[0]) for p in result.problems] == [
        (1, 9, f"{tmp_path / 'secret.txt'} is outside the scan root"),
        (4, 9, "bad.json is not JSON: Expecting property name enclosed in double quotes: "
               "line 1 column 2")]
    assert result.template["variables"] == {  # the values that could not be read: unknown
        "a": "[loadTextContent('../secret.txt')]", "b": "[loadJsonContent('missing.json')]",
        "c": 1}


def test_a_resource_that_does_not_parse_hides_what_it_declares(tmp_path: Path) -> None:
    """A VM whose protected item did not parse is not reported as unprotected."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "main.bicep").write_text(
        "resource vm 'Microsoft.Compute/virtualMachines@2024-07-01' = {\n"
        "  name: 'vm-a'\n  location: 'westeurope'\n  properties: {}\n}\n\n"
        "resource protection 'Microsoft.RecoveryServices/vaults/backupFabrics/"
        "protectionContainers/protectedItems@2024-04-01' = {\n"
        "  name: 'rsv/Azure/c/i' 'oops'\n}\n\nvar broken = (\n", encoding="utf-8")
    loaded = load_units([str(tmp_path)], ScanOptions())
    [unit] = loaded.units
    assert sorted((e.line, e.column) for e in loaded.errors) == [(8, 25), (12, 1)]
    assert [(u.span.line, u.resource_type) for u in unit.estate.unread] == [(8, "file")]
    assert unit.estate.unread_for("vm") != ()


def test_load_file_as_base64_reads_the_bytes_beside_the_file(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "outside.bin").write_bytes(b"not for the report")
    (tmp_path / "repo" / "data.bin").write_bytes(b"\x00\xff#cloud-config\r\n")
    (tmp_path / "repo" / "main.bicep").write_text(
        "var a = loadFileAsBase64('data.bin')\nvar b = loadFileAsBase64('missing.bin')\n"
        "var c = loadFileAsBase64('../outside.bin')\n", encoding="utf-8")
    context = ParseContext(FileLoader([str(tmp_path / "repo")]))
    result = compile_file(str(tmp_path / "repo" / "main.bicep"), context)
    assert [(p.line, p.column) for p in result.problems] == [(3, 9)]
    assert "outside the scan root" in result.problems[0].message
    assert result.template["variables"] == {
        "a": base64.b64encode(b"\x00\xff#cloud-config\r\n").decode(),
        "b": "[loadFileAsBase64('missing.bin')]", "c": "[loadFileAsBase64('../outside.bin')]"}


def test_custom_data_from_load_file_as_base64_reaches_the_linux_rules(tmp_path: Path) -> None:
    """``customData: loadFileAsBase64('cloud-init.yaml')`` is how Bicep VMs usually carry
    cloud-init: the noexec /var mount in the file is found (BKP-LNX-003)."""
    source = Path(__file__).parent.parent / "fixtures/rules/os_linux/lnx-003"
    literal = re.search(r"customData: ('[A-Za-z0-9+/=]+') // expect: BKP-LNX-003",
                        (source / "main.bicep").read_text(encoding="utf-8"))
    assert literal is not None
    text = (source / "main.bicep").read_text(encoding="utf-8").replace(
        literal.group(1), "loadFileAsBase64('cloud-init.yaml')")
    (tmp_path / ".git").mkdir()
    (tmp_path / "main.bicep").write_text(text, encoding="utf-8")
    options = ScanOptions(cwd=str(tmp_path), select=("BKP-LNX-003",))
    assert [f.rule_id for f in scan([str(tmp_path)], options).findings] == []  # no file yet
    (tmp_path / "cloud-init.yaml").write_bytes(
        base64.b64decode(literal.group(1).strip("'")))
    report = scan([str(tmp_path)], options)
    assert report.errors == ()
    assert [(f.rule_id, f.location.line) for f in report.findings] == [
        ("BKP-LNX-003", text[:text.index("loadFileAsBase64(")].count("\n") + 1)]
