"""Documented defaults the linkers apply when an argument or property is left out, in every
format where it can be left out (mutants X13 and X14 of ``../shared/reviews/tests.md``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from azbackup_policy.model import Estate
from azbackup_policy.pipeline import ScanOptions, load_estate

REPO = Path(__file__).resolve().parent.parent
COV_005 = REPO / "fixtures" / "rules" / "coverage" / "cov-005"


def scan(folder: Path) -> Estate:
    return load_estate(str(folder), ScanOptions(cwd=str(folder)))


VAULT_TF = """\
resource "azurerm_recovery_services_vault" "rsv" {
  name                = "rsv-app"
  location            = "westeurope"
  resource_group_name = "rg-app"
  sku                 = "Standard"
%s}
"""


@pytest.mark.parametrize(("argument", "redundancy"), [
    ("", "GeoRedundant"),
    ('  storage_mode_type   = "LocallyRedundant"\n', "LocallyRedundant"),
    ('  storage_mode_type   = "ZoneRedundant"\n', "ZoneRedundant"),
])
def test_azurerm_vault_storage_mode_defaults_to_geo_redundant(
        tmp_path: Path, argument: str, redundancy: str) -> None:
    """azurerm_recovery_services_vault: storage_mode_type defaults to GeoRedundant and
    cross_region_restore_enabled to false (X13). A plan always carries the computed value."""
    (tmp_path / "main.tf").write_text(VAULT_TF % argument, encoding="utf-8")
    (vault,) = scan(tmp_path).vaults
    assert (vault.redundancy, vault.cross_region_restore) == (redundancy, False)


def _without_inclusion_flag(source: Path, target: Path) -> Path:
    """The cov-005 fixture with every ``isInclusionList`` left out of diskExclusionProperties."""
    text = source.read_text(encoding="utf-8")
    if source.suffix == ".json":
        edited = text.replace('],\n            "isInclusionList": false', "]")
    else:
        edited = text.replace("        isInclusionList: false\n", "")
    assert "isInclusionList" not in edited and edited != text
    target.mkdir()
    (target / source.name).write_text(edited, encoding="utf-8")
    return target


@pytest.mark.parametrize("name", ["azuredeploy.json", "main.bicep"])
def test_disk_lun_list_without_is_inclusion_list_is_an_exclusion(tmp_path: Path,
                                                                  name: str) -> None:
    """ARM/Bicep diskExclusionProperties: isInclusionList defaults to false, so a diskLunList
    alone lists the disks to *exclude* (X14). Before/after in the same scan: only the flag's
    absence changes, and the protected items read the same."""
    original = scan(_copy(COV_005 / name, tmp_path / "with-flag"))
    edited = scan(_without_inclusion_flag(COV_005 / name, tmp_path / "without-flag"))
    luns = sorted((p.include_luns, p.exclude_luns) for p in edited.protections
                  if p.include_luns is not None or p.exclude_luns is not None)
    assert luns == [(None, (0,)), (None, (3,))]
    assert luns == sorted((p.include_luns, p.exclude_luns) for p in original.protections
                          if p.include_luns is not None or p.exclude_luns is not None)


def _copy(source: Path, target: Path) -> Path:
    target.mkdir()
    (target / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return target
