"""The configuration file: discovery, validation with key paths, typing, CLI overrides."""

from __future__ import annotations

import dataclasses
import io
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from azbackup_policy.cli import main
from azbackup_policy.config import (
    Config,
    config_schema,
    find_config,
    load_config,
    resolve_config,
)
from azbackup_policy.errors import ConfigError
from azbackup_policy.rules import Severity

FULL = """\
select: [BKP-COV, organisation]
ignore: [BKP-ORG-006]
severity:
  BKP-COV-001: note
fail-on: error
strict: true
exclude: ["legacy/**"]
matrix: data/matrix.yaml
parameters: [arm/prod.parameters.json]
var-files: [env/prod.tfvars]
baseline: .azbackup-baseline.json
rules: [rules/org.yaml]
suppressions:
  - rule: BKP-COV-001
    address: azurerm_linux_virtual_machine.jump[*]
    reason: protected by Azure Policy DeployIfNotExists
    until: 2027-01-31
organisation:
  allowed-policy-types: [V2]
  min-daily-retention-days: 30
  opt-out-tag: backup-exempt
options:
  example-org-rules: {tag: backup-class}
"""


def repo(tmp_path: Path) -> Path:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    return tmp_path / "repo"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, text: str) -> ConfigError:
    write(path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(str(path))
    return caught.value


def test_the_schema_is_a_valid_json_schema_shipped_in_the_package() -> None:
    text = resources.files("azbackup_policy").joinpath("config.schema.json").read_text("utf-8")
    jsonschema.Draft202012Validator.check_schema(json.loads(text))
    assert config_schema()["additionalProperties"] is False


def test_found_by_walking_up_to_the_repository_root(tmp_path: Path) -> None:
    root = repo(tmp_path)
    config = write(root / ".azbackup-policy.yaml", "strict: true\n")
    (root / "infra" / "web").mkdir(parents=True)
    assert find_config([str(root / "infra" / "web")]) == str(config)
    assert find_config([str(root / "infra"), str(root / "infra" / "web")]) == str(config)


def test_not_found_above_the_repository_root(tmp_path: Path) -> None:
    write(tmp_path / ".azbackup-policy.yaml", "strict: true\n")
    root = repo(tmp_path)
    assert find_config([str(root)]) is None


def test_yaml_wins_over_pyproject_and_pyproject_needs_the_table(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root / "pyproject.toml", "[project]\nname = 'x'\n")
    assert find_config([str(root)]) is None
    write(root / "pyproject.toml", "[tool.azbackup-policy]\nstrict = true\n")
    assert find_config([str(root)]) == str(root / "pyproject.toml")
    write(root / ".azbackup-policy.yaml", "strict: false\n")
    assert find_config([str(root)]) == str(root / ".azbackup-policy.yaml")


def test_full_file_becomes_a_typed_frozen_object(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(str(write(tmp_path / "repo" / ".azbackup-policy.yaml", FULL)))
    assert config.file == "repo/.azbackup-policy.yaml"
    assert config.select == ("BKP-COV", "organisation")
    assert config.severity == {"BKP-COV-001": Severity.NOTE}
    assert (config.fail_on, config.strict) == ("error", True)
    assert config.matrix == "repo/data/matrix.yaml"
    assert config.var_files == ("repo/env/prod.tfvars",)
    assert config.rules == ("repo/rules/org.yaml",)
    suppression = config.suppressions[0]
    assert suppression.until is not None and suppression.until.isoformat() == "2027-01-31"
    assert suppression.origin == "repo/.azbackup-policy.yaml: suppressions[0]"
    assert config.organisation.min_daily_retention_days == 30
    assert config.rule_options()["organisation"] == {
        "allowed_policy_types": ("V2",), "min_daily_retention_days": 30,
        "opt_out_tag": "backup-exempt"}
    assert config.rule_options()["example-org-rules"] == {"tag": "backup-class"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.strict = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.severity["BKP-COV-001"] = Severity.ERROR  # type: ignore[index]


def test_pyproject_table(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", '[tool.azbackup-policy]\nfail-on = "note"\n'
                 '[[tool.azbackup-policy.suppressions]]\nrule = "BKP-COV-001"\n'
                 'reason = "r"\nuntil = 2027-01-31\n')
    config = load_config(str(path))
    assert config.fail_on == "note"
    assert config.suppressions[0].until is not None


def test_pyproject_errors_name_the_table_key_path(tmp_path: Path) -> None:
    error = error_of(tmp_path / "pyproject.toml", "[tool.azbackup-policy]\nfail_on = 'x'\n")
    assert error.key_path == "tool.azbackup-policy.fail_on"
    assert "did you mean 'fail-on'?" in error.message


@pytest.mark.parametrize(("text", "key_path", "hint"), [
    ("selct: [x]\n", "selct", "did you mean 'select'?"),
    ("organisation:\n  min-daily-retention: 30\n", "organisation.min-daily-retention",
     "did you mean 'min-daily-retention-days'?"),
    ("suppressions:\n  - rule: X\n    reasn: r\n", "suppressions[0].reasn",
     "did you mean 'reason'?"),
    ("zzz: 1\n", "zzz", "known keys: baseline, bicep-cache, exclude"),
])
def test_unknown_keys_name_the_key_path_and_suggest(tmp_path: Path, text: str, key_path: str,
                                                    hint: str) -> None:
    error = error_of(tmp_path / ".azbackup-policy.yaml", text)
    assert error.key_path == key_path
    assert hint in error.message
    assert str(tmp_path / ".azbackup-policy.yaml") in str(error) or \
        ".azbackup-policy.yaml" in error.file


@pytest.mark.parametrize(("text", "key_path", "fragment"), [
    ("fail-on: sometimes\n", "fail-on", "must be one of error, warning, note, never"),
    ("strict: maybe\n", "strict", "must be true or false"),
    ("severity: {BKP-COV-001: fatal}\n", "severity.BKP-COV-001", "must be one of error"),
    ("suppressions:\n  - rule: X\n", "suppressions[0]", "missing key 'reason'"),
    ("suppressions:\n  - {rule: X, reason: '  '}\n", "suppressions[0].reason",
     "a reason is mandatory"),
    ("suppressions:\n  - {rule: X, reason: r, until: soon}\n", "suppressions[0].until",
     "YYYY-MM-DD"),
    ("suppressions:\n  - {rule: X, reason: r, until: '2027-02-30'}\n", "suppressions[0].until",
     "not a date"),
    ("suppressions:\n  - {rule: X, reason: r, until: 2027-02-30}\n", "", "out of range"),
    ("organisation: {min-daily-retention-days: 0}\n",
     "organisation.min-daily-retention-days", "minimum"),
    ("organisation: {allowed-policy-types: [V3]}\n", "organisation.allowed-policy-types[0]",
     "must be one of V1, V2"),
    ("- a\n- b\n", "", "must be a mapping"),
    ("select: [\n", "", "invalid YAML at line"),
])
def test_wrong_values_name_the_key_path(tmp_path: Path, text: str, key_path: str,
                                        fragment: str) -> None:
    error = error_of(tmp_path / ".azbackup-policy.yaml", text)
    assert error.key_path == key_path
    assert fragment in error.message


def test_empty_file_is_the_default_config(tmp_path: Path) -> None:
    config = load_config(str(write(tmp_path / ".azbackup-policy.yaml", "# nothing yet\n")))
    assert dataclasses.replace(config, file=None) == Config()


def test_require_protection_raises_the_coverage_rule_unless_set_explicitly() -> None:
    from azbackup_policy.config import Organisation

    bumped = Config(organisation=Organisation(require_protection=True))
    assert bumped.severity_overrides() == {"BKP-COV-001": Severity.ERROR}
    explicit = dataclasses.replace(bumped, severity={"BKP-COV-001": Severity.NOTE})
    assert explicit.severity_overrides() == {"BKP-COV-001": Severity.NOTE}


def test_command_line_values_override_the_file(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root / ".azbackup-policy.yaml", "fail-on: note\nselect: [coverage]\nstrict: true\n")
    config = resolve_config([str(root)])
    assert config.scan_options().fail_on == "note"
    options = config.scan_options(fail_on="error", select=("BKP-ORG",))
    assert (options.fail_on, options.select, options.strict) == ("error", ("BKP-ORG",), True)
    assert resolve_config([str(root)], disabled=True) == Config()


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, environ={})
    return code, out.getvalue(), err.getvalue()


def test_cli_misspelled_key_exits_2_with_key_path_and_suggestion(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root / ".azbackup-policy.yaml", "organisation:\n  opt-out-tags: backup-exempt\n")
    code, _, err = run_cli("scan", str(root))
    assert code == 2
    assert ".azbackup-policy.yaml: organisation.opt-out-tags: unknown key" in err
    assert "did you mean 'opt-out-tag'?" in err


def test_cli_explicit_config_wins_and_no_config_ignores(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root / ".azbackup-policy.yaml", "bogus: 1\n")
    other = write(tmp_path / "other.yaml", "fail-on: never\n")
    assert run_cli("scan", str(root), "--config", str(other))[0] == 0
    assert run_cli("scan", str(root), "--no-config")[0] == 0
    assert run_cli("scan", str(root))[0] == 2
    assert run_cli("inventory", str(root))[0] == 2


def test_cli_missing_config_file_exits_2(tmp_path: Path) -> None:
    code, _, err = run_cli("scan", str(tmp_path), "--config", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "nope.yaml: cannot read the file" in err


def test_names_that_match_no_rule_are_warned_about(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from test_suppressions import fake_inputs, unit

    from azbackup_policy.pipeline import ScanOptions, scan

    fake_inputs(monkeypatch, tmp_path, [unit("terraform-plan")])
    report = scan(["."], ScanOptions(select=("coverage", "BKP-COVV"), ignore=("BKP-ORG-099",),
                                     severity_overrides={"BKP-XYZ-001": Severity.NOTE}))
    assert report.warnings == ("severity override for unknown rule BKP-XYZ-001",
                               "select 'BKP-COVV' matches no rule",
                               "ignore 'BKP-ORG-099' matches no rule")
