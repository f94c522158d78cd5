"""The estate-basic scenario in Bicep: compiled shape, positions, and (with the ARM
parser) every VM with the right protection."""

from __future__ import annotations

from pathlib import Path

import pytest

from azbackup_policy.discover import FileLoader, Source
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers.bicep import Compiled, compile_file

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios" / "estate-basic"
MAIN = ROOT / "bicep" / "main.bicep"


def compiled() -> Compiled:
    return compile_file(str(MAIN), ParseContext(FileLoader([str(ROOT)])))


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    lines = [n for n, line in enumerate(MAIN.read_text().splitlines(), 1) if needle in line]
    return lines[occurrence - 1]


def test_estate_resources_and_loops() -> None:
    resources = compiled().template["resources"]
    assert list(resources) == [
        "vnet", "vnet::subnet", "vault", "vault::daily", "vault::enhanced", "webNic", "webVm",
        "webProtection", "apiNic", "apiVm", "apiProtection", "db", "jumpNic", "jumpVm"]
    assert resources["webVm"]["copy"]["count"] == "[length(range(0, parameters('webCount')))]"
    assert resources["apiVm"]["copy"]["count"] == "[length(createArray('api-a', 'api-b'))]"
    web = resources["webProtection"]["properties"]
    assert web["policyId"] == (
        "[resourceId('Microsoft.RecoveryServices/vaults/backupPolicies', "
        "parameters('vaultName'), 'pol-daily')]")
    assert web["sourceResourceId"].startswith(
        "[resourceId('Microsoft.Compute/virtualMachines', format('vm-web-{0}'")
    api = resources["apiProtection"]["properties"]
    assert "'pol-enhanced'" in api["policyId"]
    assert resources["jumpVm"]["name"] == "vm-jump"


def test_estate_module_protects_from_inside() -> None:
    db = compiled().template["resources"]["db"]
    params = db["properties"]["parameters"]
    assert params["vaultName"] == {"value": "[parameters('vaultName')]"}
    assert "'pol-daily'" in params["backupPolicyId"]["value"]
    inner = db["properties"]["template"]["resources"]
    assert inner["vault"]["existing"] is True
    assert inner["protection"]["properties"]["policyId"] == "[parameters('backupPolicyId')]"
    disks = inner["vm"]["properties"]["storageProfile"]["dataDisks"]
    assert disks[0]["managedDisk"]["id"] == (
        "[resourceId('Microsoft.Compute/disks', 'disk-db-data')]")


def test_positions_of_resources_properties_and_items() -> None:
    result = compiled()
    positions = result.positions
    vm = positions[("resources", "webVm")]
    assert vm.file == FileLoader().display(str(MAIN)) and vm.line == line_of("", "resource webVm ")
    size = positions[("resources", "webVm", "properties", "hardwareProfile", "vmSize")]
    assert size.line == line_of("", "vmSize: 'Standard_D2s_v5'") and size.column == 7
    nic_item = positions[("resources", "webVm", "properties", "networkProfile",
                          "networkInterfaces", 0)]
    assert nic_item.line == line_of("", "id: webNic[i].id") - 1
    child = positions[("resources", "vault::daily")]
    assert child.line == line_of("", "resource daily 'backupPolicies'")
    assert child.end_line > child.line
    default = positions[("parameters", "vaultName", "defaultValue")]
    assert default.line == line_of("", "param vaultName string") and default.column == 26


@pytest.mark.parametrize(
    ("vm", "policy"),
    [("webVm[0]", "vault::daily"), ("webVm[1]", "vault::daily"),
     ("apiVm[0]", "vault::enhanced"), ("apiVm[1]", "vault::enhanced"),
     ("db/vm", "vault::daily"), ("jumpVm", None)],
)
def test_estate_every_vm_has_the_right_protection(vm: str, policy: str | None) -> None:
    from azbackup_policy.linkers import link
    from azbackup_policy.parsers.bicep import parse

    loader = FileLoader([str(ROOT)])
    context = ParseContext(loader)
    (document,) = parse(Source(loader.display(str(MAIN)), "bicep"), context)
    assert document.format == "bicep"
    assert len(document.files) == 2
    estate = link(document)
    found = estate.lookup(vm)
    assert found is not None
    policies = [p.policy for p in estate.protections_of(found)]
    assert policies == ([policy] if policy else [])


def test_estate_bicepparam_document_lists_both_files() -> None:
    from azbackup_policy.parsers.bicep import parse_bicepparam

    loader = FileLoader([str(ROOT)])
    shown = loader.display(str(ROOT / "bicep" / "main.bicepparam"))
    (document,) = parse_bicepparam(Source(shown, "bicepparam"), ParseContext(loader))
    assert document.files[:2] == (shown, loader.display(str(MAIN)))
    assert document.format == "bicep"
    names = {r.properties.get("name") for r in document.resources}
    assert "rsv-app" in names and "vm-web-1" in names
