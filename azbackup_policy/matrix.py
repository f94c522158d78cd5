"""The matrix data: limits and lists of the support matrix, loaded and validated.

``load_matrix()`` reads the built-in ``matrix.yaml`` of ``azbackup_policy.policies``
(or a user file given with ``--matrix``) and validates it against
``matrix.schema.json``. A user file is validated on every load; the built-in file is
validated when asked (``validate=True``, as the test suite does), because it ships
inside the package and cannot change after its tests passed, while importing
jsonschema to re-check it would cost about 40 ms on every scan (benchmarks/RESULTS.md).
Rules receive the result as ``RuleContext.matrix``.
``load_rows()`` reads ``rows.yaml``: every MATRIX.md row id with its area and, when
no rule enforces it, the reason (the source of docs/matrix-coverage.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

from azbackup_policy.errors import ConfigError

PACKAGE = "azbackup_policy.policies"
MATRIX_FILE = "matrix.yaml"
ROWS_FILE = "rows.yaml"
SCHEMA_FILE = "matrix.schema.json"


def _package_text(name: str) -> str:
    return resources.files(PACKAGE).joinpath(name).read_text(encoding="utf-8")


def matrix_schema() -> Mapping[str, Any]:
    """The JSON Schema every matrix file must satisfy."""
    schema: Mapping[str, Any] = json.loads(_package_text(SCHEMA_FILE))
    return schema


def _read(path: str | None, default: str) -> tuple[str, str]:
    if path is None:
        return f"{PACKAGE}/{default}", _package_text(default)
    from azbackup_policy.config import read_config_text

    return path, read_config_text(path, "the matrix file")


def _parse(name: str, text: str) -> Any:
    import yaml

    # libyaml's safe loader when PyYAML has it (the matrix is read on every scan: 35 ms
    # with the pure-Python loader, 3 ms with libyaml); the same safe constructors.
    try:
        if not name.startswith(f"{PACKAGE}/"):  # a file of the user's: bounded
            from azbackup_policy.config import safe_yaml

            return safe_yaml(text)
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(name, "", f"not valid YAML{where}: {exc}") from exc


def _validate(name: str, data: Any, schema: Mapping[str, Any]) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        first = errors[0]
        key_path = ".".join(str(part) for part in first.absolute_path)
        raise ConfigError(name, key_path, first.message)


def load_matrix(path: str | None = None, *, validate: bool = False) -> Mapping[str, Any]:
    """The matrix limits and lists (built-in, or ``path``).

    ``path`` is always validated against the schema; the built-in file only with
    ``validate`` (the test suite checks it; see the module doc).
    """
    name, text = _read(path, MATRIX_FILE)
    data = _parse(name, text)
    if path is not None or validate:
        _validate(name, data, matrix_schema())
    result: Mapping[str, Any] = data
    return result


def load_rows(path: str | None = None) -> Mapping[str, Mapping[str, str]]:
    """Every matrix row id -> ``{area, subject, static, reason}`` (validated)."""
    name, text = _read(path, ROWS_FILE)
    data = _parse(name, text)
    schema = dict(matrix_schema())
    _validate(name, data, {"$ref": "#/$defs/rows_file", "$defs": schema["$defs"]})
    rows: Mapping[str, Mapping[str, str]] = data["rows"]
    return rows
