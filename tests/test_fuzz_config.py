"""Hypothesis: mutated configuration files and YAML rule files load or raise ConfigError."""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz_strategies import OPERATIONS
from hypothesis import given
from hypothesis import strategies as st

from azbackup_policy.config import load_config
from azbackup_policy.errors import ConfigError
from azbackup_policy.yaml_rules import load_rules

CONFIG = """\
select: [BKP-COV, organisation]
ignore: [BKP-ORG-006]
severity:
  BKP-COV-001: note
fail-on: error
strict: true
exclude: ["legacy/**"]
suppressions:
  - rule: BKP-COV-001
    address: azurerm_linux_virtual_machine.jump[*]
    reason: protected by Azure Policy DeployIfNotExists
    until: 2027-01-31
organisation:
  allowed-policy-types: [V2]
  min-daily-retention-days: 30
  opt-out-tag: backup-exempt
"""
PYPROJECT = """\
[tool.azbackup-policy]
select = ["BKP-COV"]
fail-on = "error"
exclude = ["legacy/**"]
[tool.azbackup-policy.organisation]
min-daily-retention-days = 30
"""
RULES = """\
rules:
  - id: ACME-VM-001
    name: prod-vm-premium-os-disk
    area: organisation
    severity: warning
    matrix_rows: [ST1]
    summary: Production VMs use a Premium SSD OS disk.
    help: Our restore objective needs Premium OS disks in production.
    target: vm
    condition:
      all:
        - {field: tags.env, equals: PROD}
        - {field: os_disk.storage_type, not_in: [Premium_LRS, Premium_ZRS]}
    message: "VM {name} in {tags.env} has a {os_disk.storage_type} OS disk"
"""
YAML_TOKENS = ["&a ", "*a", "!!python/object:os.system ", "!!binary ", "? ", "- ", ": ",
               "{", "}", "[", "]", "|", ">", "'", '"', "#", "%YAML 1.1\n", "---\n", "...\n",
               "\t", "2027-02-30", "1e999", "~", "<<: *a\n", "!!set {a}", "\x00"]


@st.composite
def mutated(draw: st.DrawFn, seed: str) -> str:
    text = seed
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.sampled_from(YAML_TOKENS)) + text[at:]
        else:
            text = draw(st.sampled_from(OPERATIONS))(draw, text)
    return text


def _load_config(tmp: Path, name: str, text: str) -> None:
    path = tmp / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_config(str(path), cwd=str(tmp))
    except ConfigError as error:
        assert error.file and error.message


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("config-fuzz")


@given(text=mutated(CONFIG))
def test_mutated_yaml_config(folder: Path, text: str) -> None:
    _load_config(folder, ".azbackup-policy.yaml", text)


@given(text=mutated(PYPROJECT))
def test_mutated_pyproject(folder: Path, text: str) -> None:
    _load_config(folder, "pyproject.toml", text)


@given(text=mutated(RULES))
def test_mutated_rules(text: str) -> None:
    try:
        load_rules(text, "rules.yaml")
    except ConfigError as error:
        assert error.file == "rules.yaml" and error.message
