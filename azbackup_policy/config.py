"""The configuration: one strict, typed, frozen object read from one file.

The file is ``.azbackup-policy.yaml`` (or ``.yml``), or the ``[tool.azbackup-policy]`` table
of ``pyproject.toml``, found by walking up from the scanned paths to the repository root
(the folder holding ``.git``); ``--config FILE`` wins. It is validated against the JSON
Schema shipped in the package (``config.schema.json``); an unknown key is an error with a
"did you mean" hint, and every error names the file and the key path
(:class:`~azbackup_policy.errors.ConfigError`).

Paths inside the file (``matrix``, ``parameters``, ``var-files``, ``baseline``, ``rules``,
``bicep-cache``)
are relative to the file's folder. Command-line flags override the values of the file
(:meth:`Config.scan_options`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

from azbackup_policy.bounded import safe_yaml
from azbackup_policy.errors import ConfigError
from azbackup_policy.options import ScanOptions
from azbackup_policy.rules import FailOn, Severity
from azbackup_policy.suppressions import COVERAGE_RULE, ConfigSuppression, parse_date

if TYPE_CHECKING:
    import jsonschema

CONFIG_NAMES = (".azbackup-policy.yaml", ".azbackup-policy.yml")
PYPROJECT = "pyproject.toml"
TOOL_KEY = "azbackup-policy"
_PYPROJECT_TABLE = re.compile(r'^\s*\[\s*tool\s*\.\s*"?azbackup-policy"?\s*[\].]', re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Organisation:
    """Requirements of the organisation, checked by ``policies/organisation.py``."""

    require_protection: bool = False
    allowed_policy_types: tuple[str, ...] = ()
    min_daily_retention_days: int | None = None
    allowed_vault_redundancy: tuple[str, ...] = ()
    require_cross_region_restore: bool = False
    require_soft_delete_or_immutability: bool = False
    opt_out_tag: str | None = None
    protect_tag: str | None = None  # "NAME" or "NAME=VALUE": the workload must be backed up

    def as_options(self) -> dict[str, Any]:
        """The settings that are set, snake_case, as rules read them from ``options``."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {k: v for k, v in values.items() if v not in (None, False, ())}


@dataclass(frozen=True, slots=True)
class Config:
    """Everything one configuration file says; the defaults are an empty file."""

    file: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=lambda: MappingProxyType({}))
    fail_on: FailOn | None = None
    strict: bool | None = None
    exclude: tuple[str, ...] = ()
    matrix: str | None = None
    parameters: tuple[str, ...] = ()
    var_files: tuple[str, ...] = ()
    baseline: str | None = None
    bicep_cache: str | None = None
    rules: tuple[str, ...] = ()
    suppressions: tuple[ConfigSuppression, ...] = ()
    organisation: Organisation = Organisation()
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    limits: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    trusted: bool = False  # named with --config (else found in the scanned repository)

    def eval_limits(self, given: Mapping[str, float] | None = None) -> Any:
        """The evaluation limits: a file found in the repository may only lower them; the
        command line's ``given`` (``--limits``) win. ValueError names a wrong limit."""
        from azbackup_policy.options import EvalLimits, limits_from

        wanted = limits_from(dict(self.limits))
        if not self.trusted:
            default = EvalLimits()
            wanted = limits_from({name: min(getattr(wanted, name.replace("-", "_")),
                                            getattr(default, name.replace("-", "_")))
                                  for name in self.limits})
        return limits_from(dict(given or {}), wanted)

    def severity_overrides(self) -> dict[str, Severity]:
        overrides = dict(self.severity)
        if self.organisation.require_protection:
            overrides.setdefault(COVERAGE_RULE, Severity.ERROR)
        return overrides

    def rule_options(self) -> dict[str, Any]:
        return {**self.options, "organisation": self.organisation.as_options()}

    def scan_options(self, **overrides: Any) -> ScanOptions:
        """The scan options of this file, with ``overrides`` (the command line) winning."""
        base = ScanOptions(
            parameter_files=self.parameters,
            var_files=self.var_files,
            excludes=self.exclude,
            fail_on=self.fail_on or "warning",
            strict=bool(self.strict),
            select=self.select,
            ignore=self.ignore,
            severity_overrides=self.severity_overrides(),
            matrix_file=self.matrix,
            rule_options=self.rule_options(),
            rule_files=self.rules,
            suppressions=self.suppressions,
            baseline_file=self.baseline,
            limits=self.eval_limits(),
            bicep_cache=self.bicep_cache,
        )
        return replace(base, **overrides)


# --- finding the file -----------------------------------------------------------------


def find_config(paths: Sequence[str], cwd: str | None = None) -> str | None:
    """The configuration file that applies to ``paths``, or None.

    Walks up from the folder that holds every path; stops after the repository root
    (the folder holding ``.git``). In each folder ``.azbackup-policy.yaml`` wins over
    ``pyproject.toml``; a ``pyproject.toml`` counts only with a ``[tool.azbackup-policy]``
    table.
    """
    folder = _start_folder(paths, cwd)
    while True:
        found = _config_in(folder)
        if found is not None:
            return found
        parent = os.path.dirname(folder)
        if os.path.exists(os.path.join(folder, ".git")) or parent == folder:
            return None
        folder = parent


def _start_folder(paths: Sequence[str], cwd: str | None) -> str:
    base = cwd or os.getcwd()
    folders = []
    for path in paths or (".",):
        absolute = os.path.abspath(os.path.join(base, path))
        folders.append(absolute if os.path.isdir(absolute) else os.path.dirname(absolute))
    try:
        return os.path.commonpath(folders)
    except ValueError:  # different drives on Windows
        return folders[0]


def _config_in(folder: str) -> str | None:
    for name in CONFIG_NAMES:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    pyproject = os.path.join(folder, PYPROJECT)
    if os.path.isfile(pyproject) and _PYPROJECT_TABLE.search(read_config_text(pyproject)):
        return pyproject
    return None


def resolve_config(
    paths: Sequence[str],
    explicit: str | None = None,
    *,
    disabled: bool = False,
    cwd: str | None = None,
) -> Config:
    """The configuration for a scan of ``paths``: ``explicit`` wins, else the one found."""
    if disabled:
        return Config()
    path = explicit or find_config(paths, cwd)
    if path is None:
        return Config()
    if explicit is not None:
        return replace(load_config(path, cwd=cwd), trusted=True)
    # Found in the scanned repository: it, and every file it names, must be inside it.
    root = _repository_of(path, cwd)
    _check_inside(root, path, path, "", cwd)  # before it is read: it may be a link
    config = load_config(path, cwd=cwd)
    named = [("matrix", config.matrix), ("baseline", config.baseline),
             *(("parameters", p) for p in config.parameters),
             *(("var-files", p) for p in config.var_files), *(("rules", p) for p in config.rules)]
    for key, value in named:
        if value is not None:
            _check_inside(root, config.file or path, value, key, cwd)
    return config


def _repository_of(path: str, cwd: str | None) -> str:
    from azbackup_policy.discover import repository_root

    folder = os.path.dirname(os.path.abspath(os.path.join(cwd or os.getcwd(), path)))
    return repository_root(folder, cwd)


def _check_inside(root: str, shown: str, value: str, key: str, cwd: str | None) -> None:
    """A ConfigError when ``value`` (symbolic links resolved) lies outside ``root``."""
    real = os.path.realpath(os.path.join(cwd or os.getcwd(), value))
    if real != root and not real.startswith(root + os.sep):
        raise ConfigError(shown, key, f"{value} is outside the repository ({root}) and is "
                          "not read; name it with --config or on the command line instead")


# --- reading and validating -----------------------------------------------------------


def read_config_text(path: str, what: str = "the file") -> str:
    """A configuration-like file (config, YAML rules, baseline, matrix), read bounded: a
    regular file of at most :data:`~azbackup_policy.bounded.CONFIG_MAX_BYTES`."""
    from azbackup_policy.bounded import CONFIG_MAX_BYTES, read_file
    from azbackup_policy.discover import decode_text
    from azbackup_policy.errors import InputError

    try:
        return decode_text(read_file(path, path, CONFIG_MAX_BYTES), path)
    except InputError as exc:
        reason = exc.message.removeprefix("cannot read file: ")
        raise ConfigError(path, "", f"cannot read {what} ({reason})") from None


def load_config(path: str, *, cwd: str | None = None) -> Config:
    """Read, validate and type the configuration file at ``path``."""
    shown = _shown(path, cwd)
    if os.path.basename(path) == PYPROJECT or path.endswith(".toml"):
        data, prefix = _pyproject_table(read_config_text(path), shown), f"tool.{TOOL_KEY}"
    else:
        data, prefix = yaml_mapping(read_config_text(path), shown), ""
    data = _dates_as_text(data)
    for key_path, message in schema_errors(config_schema(), data, prefix):
        raise ConfigError(shown, key_path, message)
    base_dir = os.path.dirname(os.path.abspath(os.path.join(cwd or os.getcwd(), path)))
    return _build(data, shown, prefix, _Paths(base_dir, cwd))


def _shown(path: str, cwd: str | None) -> str:
    from azbackup_policy.discover import display_path

    return display_path(os.path.join(cwd or os.getcwd(), path), cwd)


def yaml_mapping(text: str, shown: str) -> dict[str, Any]:
    import yaml

    try:
        data = safe_yaml(text)
    except ValueError as exc:  # a date such as 2027-02-30
        raise ConfigError(shown, "", f"invalid YAML: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(shown, "", f"invalid YAML{where}: {problem}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(shown, "", f"must be a mapping of keys, got {type(data).__name__}")
    return data


def _pyproject_table(text: str, shown: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10: the conditional 'tomli' dependency
        try:
            import tomli as tomllib
        except ModuleNotFoundError as exc:
            raise ConfigError(shown, f"tool.{TOOL_KEY}", "reading pyproject.toml needs "
                              "Python 3.11+ or the 'tomli' package") from exc
    try:
        document = tomllib.loads(text)
    except RecursionError:
        raise ConfigError(shown, "", "invalid TOML: nested too deeply") from None
    except (tomllib.TOMLDecodeError, ValueError) as exc:  # ValueError: a 5000-digit number
        raise ConfigError(shown, "", f"invalid TOML: {exc}") from exc
    table = document.get("tool", {}).get(TOOL_KEY, {})
    if not isinstance(table, dict):
        raise ConfigError(shown, f"tool.{TOOL_KEY}", "must be a table")
    return table


def _dates_as_text(value: Any) -> Any:
    """YAML and TOML read ``2027-01-31`` as a date; the schema wants the text."""
    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _key_path(prefix: str, parts: Sequence[str | int]) -> str:
    text = prefix
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_OWN_MESSAGE = ("pattern", "oneOf", "maxProperties")
_TYPE_WORDS = {"object": "a mapping", "array": "a list", "string": "a string",
               "boolean": "true or false", "integer": "an integer", "number": "a number"}


def _message(error: jsonschema.ValidationError) -> str:
    schema, value, expected = error.schema, error.instance, cast(Any, error.validator_value)
    if error.validator in _OWN_MESSAGE and isinstance(schema, dict) and "x-error" in schema:
        got = f" (got {value!r})" if error.validator == "pattern" else ""
        return f"{schema['x-error']}{got}"
    if error.validator == "enum":
        return f"must be one of {', '.join(map(str, expected))} (got {value!r})"
    if error.validator == "type":
        return f"must be {_TYPE_WORDS.get(str(expected), expected)}" \
            f" (got {value!r})"
    if error.validator == "required" and isinstance(value, dict):
        missing = [key for key in expected if key not in value]
        return f"missing key {missing[0]!r}" if missing else error.message
    return error.message


def _unknown_keys(error: jsonschema.ValidationError) -> list[tuple[str, str]]:
    """(key, message with a "did you mean" hint) for each key the schema does not allow."""
    schema, instance = cast(Mapping[str, Any], error.schema), cast(Any, error.instance)
    allowed = sorted(schema.get("properties", {}))
    out = []
    for key in sorted(map(str, instance)):
        if key in allowed:
            continue
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(allowed)}"
        out.append((key, f"unknown key {key!r}{hint}"))
    return out


def schema_errors(schema: Mapping[str, Any], data: Any,
                  prefix: str = "") -> list[tuple[str, str]]:
    """Every violation of ``schema`` as (key path, message), in document order.

    An unknown key names its own path (``organisation.min-retention``) and the closest
    allowed key.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    out: list[tuple[str, str]] = []
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        where = list(error.absolute_path)
        if error.validator == "additionalProperties" and error.validator_value is False:
            out.extend((_key_path(prefix, [*where, key]), message)
                       for key, message in _unknown_keys(error))
        else:
            out.append((_key_path(prefix, where), _message(error)))
    return out


@cache
def config_schema() -> Mapping[str, Any]:
    text = resources.files("azbackup_policy").joinpath("config.schema.json").read_text("utf-8")
    schema: Mapping[str, Any] = json.loads(text)
    return schema


# --- typing the validated data --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Paths:
    base_dir: str
    cwd: str | None

    def resolve(self, path: str) -> str:
        from azbackup_policy.discover import display_path

        joined = os.path.join(self.base_dir, os.path.expanduser(path))
        return display_path(joined, self.cwd)

    def all(self, paths: Sequence[str]) -> tuple[str, ...]:
        return tuple(self.resolve(p) for p in paths)


def _build(data: Mapping[str, Any], shown: str, prefix: str, paths: _Paths) -> Config:
    matrix, baseline, cache = data.get("matrix"), data.get("baseline"), data.get("bicep-cache")
    return Config(
        file=shown,
        select=tuple(data.get("select", ())),
        ignore=tuple(data.get("ignore", ())),
        severity=MappingProxyType(
            {rule: Severity(level) for rule, level in data.get("severity", {}).items()}
        ),
        fail_on=cast("FailOn | None", data.get("fail-on")),  # the schema's enum
        strict=data.get("strict"),
        exclude=tuple(data.get("exclude", ())),
        matrix=None if matrix is None else paths.resolve(matrix),
        parameters=paths.all(data.get("parameters", ())),
        var_files=paths.all(data.get("var-files", ())),
        baseline=None if baseline is None else paths.resolve(baseline),
        bicep_cache=None if cache is None else paths.resolve(cache),
        rules=paths.all(data.get("rules", ())),
        suppressions=_suppressions(data.get("suppressions", ()), shown, prefix, paths),
        organisation=_organisation(data.get("organisation", {})),
        options=MappingProxyType(dict(data.get("options", {}))),
        limits=MappingProxyType(dict(data.get("limits", {}))),
    )


def _suppressions(items: Sequence[Mapping[str, Any]], shown: str, prefix: str,
                  paths: _Paths) -> tuple[ConfigSuppression, ...]:
    out = []
    for index, item in enumerate(items):
        key_path = f"{prefix + '.' if prefix else ''}suppressions[{index}]"
        until = item.get("until")
        try:
            until_date = None if until is None else parse_date(until)
        except ValueError as exc:
            raise ConfigError(shown, f"{key_path}.until", str(exc)) from exc
        out.append(ConfigSuppression(
            rule=item["rule"], reason=item["reason"].strip(), address=item.get("address"),
            file=item.get("file"), until=until_date, origin=f"{shown}: {key_path}",
            base_dir=paths.base_dir,
        ))
    return tuple(out)


def _organisation(data: Mapping[str, Any]) -> Organisation:
    return Organisation(
        require_protection=bool(data.get("require-protection", False)),
        allowed_policy_types=tuple(data.get("allowed-policy-types", ())),
        min_daily_retention_days=data.get("min-daily-retention-days"),
        allowed_vault_redundancy=tuple(data.get("allowed-vault-redundancy", ())),
        require_cross_region_restore=bool(data.get("require-cross-region-restore", False)),
        require_soft_delete_or_immutability=bool(
            data.get("require-soft-delete-or-immutability", False)
        ),
        opt_out_tag=data.get("opt-out-tag"),
        protect_tag=data.get("protect-tag"),
    )
