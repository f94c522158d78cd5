"""The matrix data file: schema validation, errors that name the key, row ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from policies_support import all_rules

from azbackup_policy.errors import ConfigError
from azbackup_policy.matrix import load_matrix, load_rows

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\| ([A-Z]+[0-9]+) \| \w+ \| .* \| (?:yes|no|partly) \| .* \|\s*$")


def _matrix_md() -> Path | None:
    for base in (ROOT.parent, ROOT.parent.parent):
        candidate = base / "shared" / "MATRIX.md"
        if candidate.is_file():
            return candidate
    return None


def test_builtin_matrix_is_valid_and_dated() -> None:
    data = load_matrix()
    assert data["article"]["date"] == "2026-03-26"
    assert data["disks"]["max_disks_per_vm"] == 32
    assert data["policy"]["max_items_per_policy"] == 100


def test_builtin_matrix_passes_its_schema() -> None:
    # Scans skip this check for the built-in file (it ships in the package); it is made here.
    assert load_matrix(validate=True) == load_matrix()


def test_user_matrix_file(tmp_path: Path) -> None:
    data = dict(load_matrix())
    data["article"] = {**data["article"], "date": "2027-01-01"}
    path = tmp_path / "matrix.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_matrix(str(path))["article"]["date"] == "2027-01-01"


def test_invalid_value_names_the_key(tmp_path: Path) -> None:
    data = dict(load_matrix())
    data["disks"] = {**data["disks"], "max_disks_per_vm": "many"}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_matrix(str(path))
    assert info.value.key_path == "disks.max_disks_per_vm"
    assert info.value.file == str(path)


def test_unknown_key_is_an_error(tmp_path: Path) -> None:
    data = {**load_matrix(), "extra": 1}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(dict(data)), encoding="utf-8")
    with pytest.raises(ConfigError, match="extra"):
        load_matrix(str(path))


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("disks: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_matrix(str(path))
    with pytest.raises(ConfigError, match="cannot read"):
        load_matrix(str(tmp_path / "missing.yaml"))


def test_every_row_has_a_rule_or_a_reason() -> None:
    enforced = {row for rule in all_rules().values() for row in rule.matrix_rows}
    rows = load_rows()
    assert len(rows) == 185
    lacking = [row for row, info in rows.items() if row not in enforced and not info["reason"]]
    assert lacking == []


def test_not_static_rows_are_not_claimed_by_rules() -> None:
    enforced = {row for rule in all_rules().values() for row in rule.matrix_rows}
    rows = load_rows()
    assert [r for r in enforced if rows[r]["static"] == "no"] == []


@pytest.mark.skipif(_matrix_md() is None, reason="shared/MATRIX.md is not next to the repo")
def test_embedded_rows_equal_matrix_md() -> None:
    path = _matrix_md()
    assert path is not None
    ids = [m.group(1) for line in path.read_text(encoding="utf-8").splitlines()
           if (m := ROW.match(line))]
    assert ids == list(load_rows())


def test_the_fast_yaml_loader_reads_the_builtin_matrix_like_safe_load() -> None:
    from azbackup_policy.matrix import _package_text, _parse

    text = _package_text("matrix.yaml")
    assert _parse("matrix.yaml", text) == yaml.safe_load(text)
    with pytest.raises(ConfigError, match=r"not valid YAML \(line 3\)"):
        _parse("m.yaml", "a: 1\nb: [\n")
