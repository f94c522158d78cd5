"""Fingerprints against fixed expected strings, and the stability promises proven on real scans.

The expected fingerprints below are literals computed outside the code under test, from the
documented format 2 (SHA-256 of ``v2``, the unit's path relative to the repository root,
rule id, resource address and attribute path joined by U+001F, first 32 hex digits), e.g.::

    printf 'v2\\x1fapp\\x1fBKP-COV-001\\x1fazurerm_linux_virtual_machine.jump\\x1f' \\
        | sha256sum | cut -c1-32

A change of the fingerprint format must change these strings deliberately (it breaks every
baseline and every SARIF history that users keep).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from azbackup_policy.engine import fingerprint
from azbackup_policy.pipeline import ScanOptions, scan
from azbackup_policy.report import Report
from azbackup_policy.reporters import RenderOptions, sarif

UNPROTECTED = "ee4d6bcce877964d867166de3eee966e"  # app, BKP-COV-001, ...jump, no attribute
EPHEMERAL = "fdac2fcfd169441098033784be686aec"  # app, BKP-STO-003, ...web.os_disk, ephemeral
EXPECTED = {
    ("BKP-COV-001", "azurerm_linux_virtual_machine.jump"): UNPROTECTED,
    ("BKP-STO-003", "azurerm_linux_virtual_machine.web"): EPHEMERAL,
}


@pytest.mark.parametrize(("parts", "unit", "expected"), [
    (("BKP-COV-001", "azurerm_linux_virtual_machine.jump", None), "app", UNPROTECTED),
    (("BKP-COV-001", "azurerm_linux_virtual_machine.jump", ""), "app", UNPROTECTED),
    (("BKP-STO-003", "azurerm_linux_virtual_machine.web.os_disk", "ephemeral"), "app",
     EPHEMERAL),
    (("BKP-COV-001", "azurerm_linux_virtual_machine.jump", None), "infra/app",
     "f32b94e86ccbbe49ae5b00fe099422fe"),
    (("T-1", "azurerm_linux_virtual_machine.a", "ephemeral"), "envs/t",
     "1f9ac6d1725144ca58df988f522e5a00"),
])
def test_fingerprint_of_known_parts(parts: tuple[str, str, str | None], unit: str,
                                    expected: str) -> None:
    assert fingerprint(*parts, unit=unit) == expected


MAIN_TF = """\
variable "subnet_id" {
  type = string
}

resource "azurerm_resource_group" "app" {
  name     = "rg-app"
  location = "westeurope"
}

resource "azurerm_recovery_services_vault" "rsv" {
  name                = "rsv-app"
  location            = azurerm_resource_group.app.location
  resource_group_name = azurerm_resource_group.app.name
  sku                 = "Standard"
}

resource "azurerm_backup_policy_vm" "daily" {
  name                = "pol-daily"
  resource_group_name = azurerm_resource_group.app.name
  recovery_vault_name = azurerm_recovery_services_vault.rsv.name
  timezone            = "UTC"

  backup {
    frequency = "Daily"
    time      = "23:00"
  }

  retention_daily {
    count = 30
  }
}

resource "azurerm_network_interface" "web" {
  name                = "nic-web"
  location            = azurerm_resource_group.app.location
  resource_group_name = azurerm_resource_group.app.name

  ip_configuration {
    name                          = "internal"
    subnet_id                     = var.subnet_id
    private_ip_address_allocation = "Dynamic"
  }
}

resource "azurerm_network_interface" "jump" {
  name                = "nic-jump"
  location            = azurerm_resource_group.app.location
  resource_group_name = azurerm_resource_group.app.name

  ip_configuration {
    name                          = "internal"
    subnet_id                     = var.subnet_id
    private_ip_address_allocation = "Dynamic"
  }
}

resource "azurerm_linux_virtual_machine" "web" {
  name                            = "vm-web"
  location                        = azurerm_resource_group.app.location
  resource_group_name             = azurerm_resource_group.app.name
  size                            = "Standard_D2s_v5"
  admin_username                  = "azureuser"
  disable_password_authentication = true
  network_interface_ids           = [azurerm_network_interface.web.id]

  admin_ssh_key {
    username   = "azureuser"
    public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureOnlyKeyNotAReal fixture"
  }

  os_disk {
    caching              = "ReadOnly"
    storage_account_type = "Standard_LRS"

    diff_disk_settings {
      option = "Local"
    }
  }

  source_image_reference {
    publisher = "Canonical"
    offer     = "0001-com-ubuntu-server-jammy"
    sku       = "22_04-lts-gen2"
    version   = "latest"
  }
}

resource "azurerm_linux_virtual_machine" "jump" {
  name                            = "vm-jump"
  location                        = azurerm_resource_group.app.location
  resource_group_name             = azurerm_resource_group.app.name
  size                            = "Standard_D2s_v5"
  admin_username                  = "azureuser"
  disable_password_authentication = true
  network_interface_ids           = [azurerm_network_interface.jump.id]

  admin_ssh_key {
    username   = "azureuser"
    public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureOnlyKeyNotAReal fixture"
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }

  source_image_reference {
    publisher = "Canonical"
    offer     = "0001-com-ubuntu-server-jammy"
    sku       = "22_04-lts-gen2"
    version   = "latest"
  }
}

resource "azurerm_backup_protected_vm" "web" {
  resource_group_name = azurerm_resource_group.app.name
  recovery_vault_name = azurerm_recovery_services_vault.rsv.name
  source_vm_id        = azurerm_linux_virtual_machine.web.id
  backup_policy_id    = azurerm_backup_policy_vm.daily.id
}
"""


def _blocks(text: str) -> list[str]:
    """The top-level blocks of ``text`` (each starts a line with ``resource``/``variable``)."""
    return [block.strip("\n") + "\n" for block in re.split(r"\n\n(?=resource |variable )", text)]


def _write(folder: Path, text: str) -> Path:
    """``folder/main.tf`` holding ``text``, in a repository whose root is ``folder``'s
    parent (the fingerprints name the unit relative to it: ``app``)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder.parent / ".git").mkdir(exist_ok=True)
    (folder / "main.tf").write_text(text, encoding="utf-8")
    return folder


def _scan(folder: Path, cwd: Path | None = None) -> Report:
    """Scan ``folder`` as the CLI does from the working directory ``cwd`` (a relative path)."""
    where = cwd or folder
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(where)
        report = scan([os.path.relpath(folder, where)],
                      ScanOptions(cwd=str(where), select=("BKP-COV-001", "BKP-STO-003")))
    assert report.errors == () and len(report.units) == 1
    return report


def _prints(report: Report) -> dict[tuple[str, str], str]:
    return {(f.rule_id, f.resource.address): f.fingerprint for f in report.findings}


def _lines(report: Report) -> dict[tuple[str, str], int]:
    return {(f.rule_id, f.resource.address): f.location.line for f in report.findings}


def _sarif_prints(report: Report, cwd: Path) -> set[str]:
    document = json.loads(sarif.render(report, RenderOptions(cwd=str(cwd))))
    return {r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in document["runs"][0]["results"]}


def test_scanned_findings_have_the_expected_fingerprints(tmp_path: Path) -> None:
    report = _scan(_write(tmp_path / "app", MAIN_TF))
    assert _prints(report) == EXPECTED
    assert _sarif_prints(report, tmp_path / "app") == {UNPROTECTED, EPHEMERAL}


def test_fingerprints_survive_line_shifts(tmp_path: Path) -> None:
    """Lines really move (a header comment and blank lines are added before and between the
    resources), the findings' lines change, the fingerprints do not."""
    original = _scan(_write(tmp_path / "app", MAIN_TF))
    shifted_text = "# header added later\n\n\n" + "\n\n\n".join(_blocks(MAIN_TF))
    shifted = _scan(_write(tmp_path / "app", shifted_text))
    before, after = _lines(original), _lines(shifted)
    assert all(after[key] > before[key] for key in EXPECTED), (before, after)
    assert _prints(shifted) == EXPECTED


def test_fingerprints_survive_reordering(tmp_path: Path) -> None:
    reordered = "\n".join(reversed(_blocks(MAIN_TF)))
    assert reordered != MAIN_TF
    original = _lines(_scan(_write(tmp_path / "app", MAIN_TF)))
    report = _scan(_write(tmp_path / "app", reordered))
    assert _lines(report) != original
    assert _prints(report) == EXPECTED


def test_fingerprints_do_not_depend_on_the_working_directory(tmp_path: Path) -> None:
    folder = _write(tmp_path / "repo" / "infra" / "app", MAIN_TF)
    (tmp_path / "repo" / "infra" / ".git").rmdir()  # the repository is repo/, not infra/
    (tmp_path / "repo" / ".git").mkdir()  # one repository, scanned from three places
    expected = {  # the unit is infra/app in this repository
        ("BKP-COV-001", "azurerm_linux_virtual_machine.jump"): "f32b94e86ccbbe49ae5b00fe099422fe",
        ("BKP-STO-003", "azurerm_linux_virtual_machine.web"): "333e5296928fefaaae05f2a06e7f9afe",
    }
    for cwd in (folder, tmp_path / "repo", tmp_path / "repo" / "infra"):
        assert _prints(_scan(folder, cwd)) == expected, cwd
