"""The matrix data: limits and lists of the support matrix, loaded and validated.

``load_matrix()`` reads the built-in ``matrix.yaml`` of ``azbackup_policy.policies``
(or a user file given with ``--matrix``) and validates it against
``matrix.schema.json``. A user file is validated on every load; the built-in file is
validated when asked (``validate=True``, as the test suite does), because it ships
inside the package and cannot change after its tests passed, while importing
jsonschema to re-check it would cost about 40 ms on every scan (benchmarks/RESULTS.md).
Rules receive it as ``RuleContext.matrix``, a typed :class:`Matrix` (one frozen
dataclass per section), so a rule reads ``ctx.matrix.disks.max_disks_per_vm`` and a
misspelt name is a type error, not a run-time rule failure; a file whose keys differ from
the dataclasses is refused when it is loaded.
``load_rows()`` reads ``rows.yaml``: every MATRIX.md row id with its area and, when
no rule enforces it, the reason (the source of docs/matrix-coverage.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from functools import cache
from importlib import resources
from typing import Any, TypeVar

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
    from azbackup_policy.bounded import CONFIG_MAX_BYTES, read_file
    from azbackup_policy.errors import InputError

    try:
        return path, read_file(path, path, CONFIG_MAX_BYTES).decode("utf-8-sig")
    except (InputError, UnicodeDecodeError) as exc:
        reason = exc.message if isinstance(exc, InputError) else str(exc)
        raise ConfigError(path, "", f"cannot read the matrix file ({reason})") from None


def _parse(name: str, text: str) -> Any:
    import yaml

    # libyaml's safe loader when PyYAML has it (the matrix is read on every scan: 35 ms
    # with the pure-Python loader, 3 ms with libyaml); the same safe constructors.
    try:
        if not name.startswith(f"{PACKAGE}/"):  # a file of the user's: bounded
            from azbackup_policy.bounded import safe_yaml

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


# -- typed matrix data ---------------------------------------------------------------------
# Lists become tuples; nested mappings stay mappings (their keys are data: tiers, sizes).

@dataclass(frozen=True, slots=True)
class Article:
    """The Microsoft article the data follows (its date is every rule's article date)."""

    title: str
    url: str
    date: str


@dataclass(frozen=True, slots=True)
class Disks:
    max_disks_per_vm: int
    max_disk_size_gb: int
    max_vm_total_size_gb: int
    supported_types: tuple[str, ...]
    ultra_type: str
    premium_v2_type: str
    ultra_grs_crr_regions: tuple[str, ...]
    premium_v2_grs_crr_regions: tuple[str, ...]
    max_disks_per_des_cvm: int
    trusted_data_disk_security_types: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    frequencies: tuple[str, ...]
    hourly_intervals: tuple[int, ...]
    hourly_window: Mapping[str, int]  # min, max (hours)
    hourly_default_window: int
    client_validation: Mapping[str, Mapping[str, Any]]  # client -> its extra checks
    crash_consistent_value: str
    retention: Mapping[str, Mapping[str, int]]  # tier -> min, max
    max_recovery_points: int
    instant_restore: Mapping[str, Any]  # V1, V2 (min, max[, weekly]); V2_hourly (a list)
    trusted_launch_standard_min_api: str
    instant_restore_rg_prefix: str
    max_items_per_policy: int
    max_vms_per_vault: int
    dst_time_zones: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Confidential:
    regions: tuple[str, ...]
    min_size_version: int
    os_disk_encryption_type: str


@dataclass(frozen=True, slots=True)
class Compute:
    min_vcpus: int
    min_memory_gb: float
    size_catalogue: Mapping[str, Mapping[str, float]]  # size -> vcpus, memory_gb
    premium_capable_families: tuple[str, ...]
    azure_boost: Mapping[str, int]  # intel_min_version, amd_min_version
    confidential: Confidential
    extended_location_type: str


@dataclass(frozen=True, slots=True)
class Regions:
    sovereign_prefixes: tuple[str, ...]
    enhanced_policy_unlisted_prefixes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OsLists:
    windows_publishers: tuple[str, ...]
    windows_supported_sku_patterns: tuple[str, ...]
    windows_unsupported_sku_patterns: tuple[str, ...]
    coreos_markers: tuple[str, ...]
    endorsed_linux_publishers: tuple[str, ...]
    endorsed_linux_distros: tuple[str, ...]
    oracle_publisher: str
    docker_extension_types: tuple[str, ...]
    docker_install_patterns: tuple[str, ...]
    nfs_mount_patterns: tuple[str, ...]
    zfs_pool_patterns: tuple[str, ...]
    ade_extension_types: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Matrix:
    """The support-matrix data, typed: ``matrix.disks.max_disks_per_vm``."""

    article: Article
    disks: Disks
    policy: Policy
    compute: Compute
    regions: Regions
    os: OsLists

    @classmethod
    def from_data(cls, data: Mapping[str, Any], name: str = MATRIX_FILE) -> Matrix:
        """The typed form of validated matrix data; a key the classes do not have, or one
        they need and the data lacks, is a :class:`ConfigError` naming it."""
        return _build(cls, data, name, "")


# (class, field) -> the dataclass of that field's value.
_SECTIONS: dict[tuple[type[Any], str], type[Any]] = {
    (Matrix, "article"): Article, (Matrix, "disks"): Disks, (Matrix, "policy"): Policy,
    (Matrix, "compute"): Compute, (Matrix, "regions"): Regions, (Matrix, "os"): OsLists,
    (Compute, "confidential"): Confidential,
}
_T = TypeVar("_T")


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, dict):
        return {key: _frozen(item) for key, item in value.items()}
    return value


def _build(cls: type[_T], data: Mapping[str, Any], name: str, where: str) -> _T:
    assert is_dataclass(cls)
    wanted = [f.name for f in fields(cls)]
    if not isinstance(data, Mapping):
        raise ConfigError(name, where, "must be a mapping")
    for key in [*(k for k in wanted if k not in data), *(k for k in data if k not in wanted)]:
        problem = "is missing" if key not in data else "is not a known key"
        raise ConfigError(name, f"{where}.{key}".lstrip("."), problem)
    values = {
        key: _build(_SECTIONS[cls, key], data[key], name, f"{where}.{key}".lstrip("."))
        if (cls, key) in _SECTIONS else _frozen(data[key])
        for key in wanted
    }
    return cls(**values)


def load_typed_matrix(path: str | None = None, *, validate: bool = False) -> Matrix:
    """:func:`load_matrix` as a typed :class:`Matrix`."""
    name = path or f"{PACKAGE}/{MATRIX_FILE}"
    return Matrix.from_data(load_matrix(path, validate=validate), name)


@cache
def builtin_matrix() -> Matrix:
    """The built-in matrix data (read once)."""
    return load_typed_matrix()
