"""The matrix data file: schema validation, errors that name the key, row ids."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml
from policies_support import all_rules

from azbackup_policy.errors import ConfigError
from azbackup_policy.matrix import load_matrix, load_rows

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\| ([A-Z]+[0-9]+) \| \w+ \| .* \| (?:yes|no|partly) \| .* \|\s*$")


SHARED_MATRIX = ROOT.parent / "shared" / "MATRIX.md"  # the project's domain truth, when beside


def _row_ids(text: str) -> list[str]:
    return [m.group(1) for line in text.splitlines() if (m := ROW.match(line))]


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


def test_embedded_rows_equal_matrix_md() -> None:
    """rows.yaml lists MATRIX.md's rows in order. MATRIX.md is read from ../shared beside the
    checkout when it is there (and the copy shipped in the package must then be identical);
    elsewhere (a CI clone) the shipped copy is checked. Never skipped."""
    shipped = (files("azbackup_policy.policies") / "MATRIX.md").read_text(encoding="utf-8")
    if SHARED_MATRIX.is_file():
        text = SHARED_MATRIX.read_text(encoding="utf-8")
        assert shipped == text, "copy ../shared/MATRIX.md to policies/MATRIX.md"
    else:
        text = shipped
    ids = _row_ids(text)
    assert len(ids) > 100
    assert ids == list(load_rows())


def test_the_fast_yaml_loader_reads_the_builtin_matrix_like_safe_load() -> None:
    from azbackup_policy.matrix import _package_text, _parse

    text = _package_text("matrix.yaml")
    assert _parse("matrix.yaml", text) == yaml.safe_load(text)
    with pytest.raises(ConfigError, match=r"not valid YAML \(line 3\)"):
        _parse("m.yaml", "a: 1\nb: [\n")


def test_the_typed_matrix_is_the_data() -> None:
    from azbackup_policy.matrix import Matrix, builtin_matrix

    data, typed = load_matrix(), builtin_matrix()
    assert isinstance(typed, Matrix)
    assert typed.disks.max_disks_per_vm == data["disks"]["max_disks_per_vm"]
    assert typed.compute.confidential.regions == tuple(data["compute"]["confidential"]["regions"])
    assert typed.policy.retention["daily"] == data["policy"]["retention"]["daily"]
    assert typed.article.date == data["article"]["date"]


@pytest.mark.parametrize(("change", "key_path"), [
    (lambda d: d["disks"].pop("max_disks_per_vm"), "disks.max_disks_per_vm"),
    (lambda d: d["compute"]["confidential"].update(zones=1), "compute.confidential.zones"),
])
def test_typed_loading_names_a_missing_or_unknown_key(change: object, key_path: str) -> None:
    """Keys the classes do not know are refused when the data is loaded, not at a rule's run."""
    import copy

    from azbackup_policy.matrix import Matrix

    data = copy.deepcopy(dict(load_matrix()))
    change(data)  # type: ignore[operator]
    with pytest.raises(ConfigError) as info:
        Matrix.from_data(data, "m.yaml")
    assert (info.value.file, info.value.key_path) == ("m.yaml", key_path)


def test_a_user_matrix_reaches_the_rules_typed(tmp_path: Path) -> None:
    from azbackup_policy.matrix import load_typed_matrix

    data = copy_of_matrix()
    data["disks"]["max_disks_per_vm"] = 2
    path = tmp_path / "matrix.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_typed_matrix(str(path)).disks.max_disks_per_vm == 2


def copy_of_matrix() -> dict[str, Any]:
    import copy

    return copy.deepcopy(dict(load_matrix()))
